"""Throughput levers for the `cpu` presets, side by side on this machine: one SimCLR training step (two
views, encoder, head, NT-Xent, backward, Adam) of each `cpu` preset's encoder and batch under

* eager fp32 on all threads (today's sweeps: the baseline),
* ``torch.compile`` of the step's model (compile time reported apart, not in the step),
* bf16 autocast (``optim.precision=bf16``; native on CPUs with AVX512-BF16 / AMX, emulated elsewhere),
* both,
* two runs at once (``--launcher local --parallel 2``): two processes, one thread each, stepping together;
  their combined steps per second against one process on all threads.

Medians of ``--steps`` steps after 3 warm-up steps; ratios are speed-ups over the baseline (> 1 is faster).
Each compiled or bf16 measurement runs in a process of its own; one that dies prints ``crashed``.

    python benchmarks/bench_levers.py [--steps 8] [--only NAME]
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from losses import build_loss  # noqa: E402
from training.device import as_input, autocast, native_bf16, prepare  # noqa: E402
from training.encoders import build_encoder  # noqa: E402
from training.heads import projection_head  # noqa: E402
from training.levers import CPU_RULE, cpu_kind  # noqa: E402

CPU = torch.device("cpu")
# cpu preset: (encoder, width, stem stride, channels, image size, batch, head hidden, head out, memory format as
# the preset sets it: every measurement of a row uses it, so that the baseline is the preset's own eager fp32)
CPU_PRESETS = {
    "randbit (ConvN, 28 px, 20 bits, channels_last)": ("convn", 0, 1, 21, 28, 512, 256, 64, "channels_last"),
    "randbit_methods (ConvN, 28 px, 20 bits)": ("convn", 0, 1, 21, 28, 512, 256, 64, "auto"),
    "color_distortion (ConvN, 28 px, RGB)": ("convn", 0, 1, 3, 28, 256, 256, 64, "auto"),
    "multidigit_size (ResNet-18 w8, 112 px)": ("resnet18", 8, 2, 1, 112, 128, 256, 64, "auto"),
    "multidigit_count / digit_on_image (ResNet-18 w8, 56 px)": ("resnet18", 8, 2, 1, 56, 128, 256, 64, "auto"),
    "kmeans_features (ResNet-18 w8, stride-1 stem, 64 px, RGB)": ("resnet18", 8, 1, 3, 64, 128, 256, 64, "auto"),
}


def make_step(shape: tuple, precision: str, compiled: bool, device: torch.device = CPU):
    """A closure doing one training step on fixed random views (on ``device``), and the model it trains."""
    encoder_name, width, stride, channels, size, batch, hidden, out, memory_format = shape
    torch.manual_seed(0)
    encoder = build_encoder(encoder_name, channels, size, width or 64, "small", stride)
    head = projection_head(encoder.feature_dim, 2, hidden, out)
    model = prepare(torch.nn.Sequential(encoder, head), device, precision, memory_format)
    optimizer = torch.optim.Adam(model.parameters(), 1e-3)
    loss_fn = build_loss("nt_xent", temperature=0.2)
    forward = torch.compile(model) if compiled else model
    views = [
        as_input(torch.rand(batch, channels, size, size, device=device), device, precision, memory_format)
        for _ in range(2)
    ]

    def step() -> float:
        with autocast(device, precision):
            z1, z2 = (forward(v) for v in views)
        loss = loss_fn(z1, z2).total
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return float(loss.detach())

    return step


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def matmul_peak(device: torch.device, dtype: torch.dtype, n: int = 4096, repeats: int = 10) -> float:
    """Achieved TFLOP/s of an n^3 matmul in ``dtype``: the machine's GEMM peak, the reference of "of peak"."""
    a, b = (torch.randn(n, n, device=device, dtype=dtype) for _ in range(2))
    for _ in range(2):
        a @ b
    synchronize(device)
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    synchronize(device)
    return 2 * n**3 * repeats / (time.perf_counter() - start) / 1e12


def step_flops(shape: tuple, precision: str, device: torch.device = CPU) -> float:
    """Floating-point operations of one training step (forward and backward), counted by torch."""
    from torch.utils.flop_counter import FlopCounterMode

    step = make_step(shape, precision, False, device)
    with FlopCounterMode(display=False) as counter:
        step()
    return float(counter.get_total_flops())


def step_ms(shape: tuple, precision: str, compiled: bool, steps: int) -> tuple[float, float]:
    """(median step ms, seconds spent in the first step: compilation for a compiled step)."""
    step = make_step(shape, precision, compiled)
    start = time.perf_counter()
    step()
    first = time.perf_counter() - start
    for _ in range(2):
        step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times), first


def _step_worker(shape: tuple, precision: str, compiled: bool, steps: int, queue) -> None:
    queue.put(step_ms(shape, precision, compiled, steps))


def isolated_step_ms(shape: tuple, precision: str, compiled: bool, steps: int) -> tuple[float, float] | None:
    """``step_ms`` in a process of its own: None when that process dies (torch.compile segfaults on some
    shapes), so one crashing lever does not take the table with it."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    worker = context.Process(target=_step_worker, args=(shape, precision, compiled, steps, queue))
    worker.start()
    worker.join()
    return queue.get() if worker.exitcode == 0 else None


def _one_thread_worker(shape: tuple, steps: int, start, queue) -> None:
    torch.set_num_threads(1)
    step = make_step(shape, "fp32", False)
    for _ in range(3):
        step()
    start.wait()  # both processes step together
    began = time.perf_counter()
    for _ in range(steps):
        step()
    queue.put(steps / (time.perf_counter() - began))


def two_at_once(shape: tuple, steps: int) -> float:
    """Steps per second of two single-thread processes stepping at the same time, summed."""
    context = multiprocessing.get_context("spawn")
    start, queue = context.Barrier(2), context.Queue()
    workers = [context.Process(target=_one_thread_worker, args=(shape, steps, start, queue)) for _ in range(2)]
    for worker in workers:
        worker.start()
    rates = [queue.get() for _ in workers]
    for worker in workers:
        worker.join()
    return sum(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--only", default=None, help="run the presets whose name contains this")
    args = parser.parse_args()
    kind, (precision, compiled) = cpu_kind(), CPU_RULE[cpu_kind()]
    threads = torch.get_num_threads()
    print(f"CPU kind {kind} (bf16 units: {native_bf16(CPU)}); threads: {threads}; torch {torch.__version__}")
    print(f"levers rule (training/levers.py) for this kind: precision={precision}, compile={compiled}")
    peaks = {"fp32": matmul_peak(CPU, torch.float32, 2048) * 1e3}
    if native_bf16(CPU):  # emulated bf16 has no peak worth naming (and its matmul takes minutes)
        peaks["bf16"] = matmul_peak(CPU, torch.bfloat16, 2048) * 1e3
    print("GEMM peak measured (2048^3 matmul): " + ", ".join(f"{k} {v:.0f} GFLOP/s" for k, v in peaks.items()))
    header = f"{'cpu preset':58s} {'fp32 ms':>8s} {'of peak':>8s} {'compile':>8s} {'bf16':>7s} {'both':>7s}"
    print(header + f" {'2 at once':>10s} {'compile s':>12s}")
    for name, shape in CPU_PRESETS.items():
        if args.only and args.only not in name:
            continue
        base, _ = step_ms(shape, "fp32", False, args.steps)
        fraction = step_flops(shape, "fp32") / (base / 1e3) / 1e9 / peaks["fp32"]  # of the fp32 GEMM peak
        settings = (("fp32", True), ("bf16", False), ("bf16", True))  # compile, bf16, both
        levers = [isolated_step_ms(shape, precision, compiled, args.steps) for precision, compiled in settings]
        ratios = [f"{base / lever[0]:5.2f}x" if lever else "crashed" for lever in levers]
        compile_s = " / ".join(f"{lever[1]:.1f}" if lever else "-" for lever in (levers[0], levers[2]))
        parallel = two_at_once(shape, args.steps) * base / 1e3  # combined steps/s over the baseline's
        columns = f"{ratios[0]:>8s} {ratios[1]:>7s} {ratios[2]:>7s} {parallel:9.2f}x {compile_s:>12s}"
        print(f"{name:58s} {base:8.0f} {fraction:8.0%} {columns}")


if __name__ == "__main__":
    main()
