"""fp32 against bf16 autocast (with channels_last, as ``optim.precision=bf16`` trains) and against fp32 in
channels_last (``optim.memory_format=channels_last``, where allowed) for the quick presets' encoders: one
SimCLR forward + backward of encoder, head and NT-Xent on two views, median of 6 steps after 2 warm-up
steps, as speed-ups over fp32. Prints the CPU's bf16 support (``training.device.native_bf16``), which ``auto`` follows.

python benchmarks/bench_precision.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from losses import build_loss  # noqa: E402
from training.device import as_input, autocast, memory_format_problem, native_bf16, prepare  # noqa: E402
from training.encoders import build_encoder  # noqa: E402
from training.heads import projection_head  # noqa: E402

CPU = torch.device("cpu")
# preset: (encoder, width, stem stride, channels, image size, batch)
QUICK = {
    "randbit / generalized_losses (ConvN, 28 px)": ("convn", 0, 1, 1, 28, 512),
    "randbit colab, 10 bits (ConvN, 32 px, 11 channels)": ("convn", 0, 1, 11, 32, 1000),
    "multidigit_size / multidigit_count (ResNet-18 w8, 84 px)": ("resnet18", 8, 2, 1, 84, 128),
    "digit_on_image (ResNet-18 w8, 64 px)": ("resnet18", 8, 2, 3, 64, 128),
    "kmeans_features (ResNet-18 w16, 64 px)": ("resnet18", 16, 2, 3, 64, 128),
}


def step_ms(encoder_name, width, stride, channels, size, batch, precision: str, memory_format: str = "auto") -> float:
    torch.manual_seed(0)
    encoder = build_encoder(encoder_name, channels, size, width or 64, "small", stride)
    head = projection_head(encoder.feature_dim, 2, 256, 64)
    model = prepare(torch.nn.Sequential(encoder, head), CPU, precision, memory_format)
    loss = build_loss("nt_xent", temperature=0.2)
    views = [as_input(torch.rand(batch, channels, size, size), CPU, precision, memory_format) for _ in range(2)]
    times = []
    for i in range(8):
        start = time.perf_counter()
        with autocast(CPU, precision):
            z1, z2 = (model(v) for v in views)
        loss(z1, z2).total.backward()
        model.zero_grad(set_to_none=True)
        if i >= 2:
            times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def main() -> None:
    print(f"CPU bf16 units (AVX512-BF16 / AMX): {native_bf16(CPU)}; threads: {torch.get_num_threads()}")
    print(f"{'quick encoder':58s} {'fp32 ms':>8s} {'bf16':>7s} {'fp32 channels_last':>19s}")
    for name, shape in QUICK.items():
        fp32, bf16 = step_ms(*shape, "fp32"), step_ms(*shape, "bf16")
        if memory_format_problem(shape[0], CPU, "fp32", "channels_last"):
            channels_last = "not allowed"  # training.device.memory_format_problem: a torch bug
        else:
            channels_last = f"{fp32 / step_ms(*shape, 'fp32', 'channels_last'):.2f}x"
        print(f"{name:58s} {fp32:8.0f} {fp32 / bf16:6.2f}x {channels_last:>19s}")


if __name__ == "__main__":
    main()
