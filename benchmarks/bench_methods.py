"""One training step of each method (views, forward, loss, backward, optimizer, after_step) at the
randbit_methods quick size (ConvN, 28 px MNIST-sized inputs with 10 bit planes, batch 256), median of 10
steps after 3 warm-up steps, and its ratio to SimCLR's.

python benchmarks/bench_methods.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sweeps.config import RunConfig  # noqa: E402
from training.augment import AugmentConfig, augment  # noqa: E402
from training.config import LossConfig, MethodConfig, ModelConfig  # noqa: E402
from training.encoders import build_encoder  # noqa: E402
from training.methods import method_classes  # noqa: E402
from training.optim import OptimConfig  # noqa: E402

BATCH, CHANNELS = 256, 11  # one image channel and ten bit planes


def step_ms(name: str) -> float:
    torch.manual_seed(0)
    settings = RunConfig(
        model=ModelConfig(encoder="convn", head_hidden=256, head_out=64),
        method=MethodConfig(name=name),
        loss=LossConfig(temperature=0.1),
        augment=AugmentConfig(crop_min_scale=0.5, color_strength=0.0),
        optim=OptimConfig(batch_size=BATCH),
    )
    images, targets = torch.rand(BATCH, CHANNELS, 28, 28), torch.randint(0, 10, (BATCH,))
    method = method_classes()[name](build_encoder("convn", CHANNELS, 28), settings, targets)
    method.setup(images[:2], CHANNELS)
    optimizer = torch.optim.Adam([p for p in method.parameters() if p.requires_grad], lr=1e-3)
    generator, times = torch.Generator().manual_seed(0), []
    for i in range(13):
        start = time.perf_counter()
        views = [augment(images, settings.augment, generator) for _ in range(method.n_views)]
        loss = method.step(views, targets, generator).loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        method.after_step(i / 13)
        if i >= 3:
            times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def main() -> None:
    reference = step_ms("simclr")
    print(f"{'method':12s} {'step ms':>8s} {'/ SimCLR':>9s}")
    for name in ("simclr", "byol", "moco", "autoencoder", "supervised"):
        ms = reference if name == "simclr" else step_ms(name)
        print(f"{name:12s} {ms:8.1f} {ms / reference:8.2f}x")


if __name__ == "__main__":
    main()
