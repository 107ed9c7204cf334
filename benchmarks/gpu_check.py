"""The GPU check: everything about CUDA the CPU suite cannot test, in one command on a CUDA machine.

1. The tests that change on CUDA (the collective test then reduces CUDA tensors; training and device rules).
2. A two-step run of every ``paper`` preset at the paper's model and batch sizes (one value of each swept key,
   ``tests/standins.PAPER_PINS``; two steps: ``data.n_train`` = 2 x the batch) on stand-in data written in the
   real formats, bf16 autocast and channels_last as ``optim.precision=auto`` resolves them on CUDA.
3. With two GPUs or more: the same for one preset under ``torchrun --nproc_per_node 2`` (NCCL).
4. A throughput table: SimCLR views per second (two views an image; encoder, head, NT-Xent, backward, Adam) of
   ResNet-18 on CIFAR-10 at batch 512 and ResNet-50 at 224 px (the suite's paper encoders), bf16 +
   channels_last, eager and compiled, with the achieved TFLOP/s (counted by ``torch.utils.flop_counter``) as a
   fraction of the GPU's bf16 matrix peak measured on an 8192^3 matmul.

    python benchmarks/gpu_check.py [--skip tests,presets,torchrun,throughput] [--steps 20]

Prints one table per part; every number names the device. ``--device cpu --tiny`` runs part 4 on CPU with a tiny
shape, eager only (the suite's test of this script).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_levers import make_step, matmul_peak, step_flops, synchronize  # noqa: E402
from tests.standins import PAPER_PINS, write_cifar10, write_image_folder, write_resnet_weights  # noqa: E402

# (name, shape as bench_levers.make_step takes it: encoder, width, stem stride, channels, size, batch, head hidden,
# head out, memory format): the suite's paper encoders (a stride-4 'small' stem at 224 px, as its presets use)
THROUGHPUT = {
    "ResNet-18, CIFAR-10 32 px, batch 512": ("resnet18", 64, 1, 3, 32, 512, 2048, 128, "channels_last"),
    "ResNet-50, 224 px, batch 256": ("resnet50", 64, 4, 3, 224, 256, 2048, 128, "channels_last"),
}
TINY_THROUGHPUT = {"ResNet-18 w4, 16 px, batch 8": ("resnet18", 4, 1, 3, 16, 8, 16, 8, "auto")}
TORCHVISION_CACHE = "torch/hub/checkpoints/resnet50-0676ba61.pth"  # torchvision's ResNet50_Weights.IMAGENET1K_V1
TESTS = ["tests/test_distributed_training.py", "tests/test_training.py", "tests/test_methods.py"]


def run(command: list[str], cwd: Path = ROOT, env: dict | None = None) -> tuple[bool, float, str]:
    """(succeeded, seconds, last output line) of a command."""
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env={**os.environ, **(env or {})})
    lines = (done.stdout + done.stderr).strip().splitlines()
    return done.returncode == 0, time.perf_counter() - start, lines[-1] if lines else ""


def stand_in_data(folder: Path, images: int) -> Path:
    """``folder`` laid out as the paper presets expect (``data/``: CIFAR-10, ImageNet, weights; MNIST linked)."""
    data = folder / "data"
    write_cifar10(data, n_train=images, n_test=1000)
    write_image_folder(data / "imagenet", classes=tuple(f"n{k:02d}" for k in range(10)), per_class=images // 10)
    shared = ROOT.parent / "shared" / "data" / "MNIST"
    if shared.is_dir():
        (data / "MNIST").symlink_to(shared)
    for multiple in (1, 2):
        write_resnet_weights(data / "weights" / f"resnet50-{multiple}x.pth", width=64 * multiple)
    write_resnet_weights(folder / TORCHVISION_CACHE, width=64, wrapped=False)  # no download on a GPU box
    return folder


def paper_batch(experiment: str) -> int:
    """The batch one paper run of ``experiment`` trains with."""
    from experiments.registry import EXPERIMENTS

    preset = EXPERIMENTS[experiment].presets["paper"]
    return int(PAPER_PINS[experiment].get("optim.batch_size", preset.base.get("optim.batch_size", 512)))


def preset_command(experiment: str, out: str) -> list[str]:
    if experiment == "kmeans_features":  # loads its encoders: no training, 50 scored images
        pins = {**PAPER_PINS[experiment], "data.n_masked": "50"}
    else:  # two steps of the paper's batch
        pins = {**PAPER_PINS[experiment], "optim.epochs": "1", "optim.warmup_epochs": "0", "eval.probe_epochs": "2"}
        pins["data.n_train"] = str(2 * paper_batch(experiment))
    sets = [f"{k}={v}" for k, v in pins.items()]
    args = [experiment, "--preset", "paper", "--out", out, "--data-root", "data", "--device", "cuda", "--no-progress"]
    return [str(ROOT / "run_experiment.py"), *args, "--set", *sets]


def check_presets(folder: Path, gpus: int, parts: set[str]) -> None:
    from experiments.registry import EXPERIMENTS

    env = {"PYTHONPATH": str(ROOT), "CONTRASTIVE_OFFLINE": "1", "TORCH_HOME": str(folder / "torch")}
    print("\n## paper presets, two steps each (stand-in data, real model sizes)")
    for experiment in sorted(name for name, e in EXPERIMENTS.items() if "paper" in e.presets):
        if "presets" in parts:
            ok, seconds, last = run([sys.executable, *preset_command(experiment, "out")], folder, env)
            print(f"{experiment:20s} {'ok' if ok else 'FAILED':6s} {seconds:7.1f} s  {last[:100]}")
    if "torchrun" in parts and gpus >= 2:
        torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
        ok, seconds, last = run([*torchrun, *preset_command("randbit", "out2")], folder, env)
        print(f"{'randbit, 2 GPUs':20s} {'ok' if ok else 'FAILED':6s} {seconds:7.1f} s  {last[:100]}")


def throughput(shape: tuple, precision: str, compiled: bool, device: torch.device, steps: int) -> float:
    """Median seconds per training step after warm-up (compilation excluded)."""
    step = make_step(shape, precision, compiled, device)
    for _ in range(3):
        step()
    times = []
    for _ in range(steps):
        synchronize(device)
        start = time.perf_counter()
        step()
        synchronize(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def throughput_table(
    device: torch.device, shapes: dict, steps: int, peak: float | None, compile_too: bool = True
) -> list[str]:
    """One line per shape and setting (eager, and compiled with ``compile_too``): views/s, TFLOP/s and the
    fraction of ``peak``."""
    lines = [f"{'model':40s} {'setting':16s} {'views/s':>9s} {'TFLOP/s':>8s} {'of peak':>8s}"]
    precision = "bf16" if device.type == "cuda" else "fp32"
    for name, shape in shapes.items():
        flops = step_flops(shape, precision, device)
        for compiled in (False, True) if compile_too else (False,):
            seconds = throughput(shape, precision, compiled, device, steps)
            views, tflops = 2 * shape[5] / seconds, flops / seconds / 1e12
            fraction = f"{tflops / peak:7.1%}" if peak else "-"
            setting = f"{precision}{' compiled' if compiled else ' eager'}"
            lines.append(f"{name:40s} {setting:16s} {views:9.0f} {tflops:8.2f} {fraction:>8s}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", choices=("cuda", "cpu"))
    parser.add_argument("--tiny", action="store_true", help="tiny shapes (the CPU test of this script)")
    parser.add_argument("--skip", default="", help="comma list of parts to skip: tests,presets,torchrun,throughput")
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        print("error: --device cuda: no CUDA GPU is visible here; run this on a GPU machine", file=sys.stderr)
        return 2
    device = torch.device(args.device)
    parts = {"tests", "presets", "torchrun", "throughput"} - set(filter(None, args.skip.split(",")))
    gpus = torch.cuda.device_count() if device.type == "cuda" else 0
    name = torch.cuda.get_device_name(device) if gpus else "CPU"
    print(f"# GPU check on {name} ({gpus} GPU(s)), torch {torch.__version__}")
    if "tests" in parts and gpus:
        ok, seconds, last = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *TESTS])
        print(f"\n## CUDA tests: {'ok' if ok else 'FAILED'} in {seconds:.0f} s: {last}")
    if parts & {"presets", "torchrun"} and gpus:
        with tempfile.TemporaryDirectory() as folder:
            check_presets(stand_in_data(Path(folder), 4096), gpus, parts)
    if "throughput" in parts:
        peak = matmul_peak(device, torch.bfloat16) if gpus else None
        print(
            f"\n## SimCLR throughput on {name}" + (f" (bf16 matmul peak measured: {peak:.0f} TFLOP/s)" if peak else "")
        )
        shapes = TINY_THROUGHPUT if args.tiny else THROUGHPUT
        steps = 2 if args.tiny else args.steps
        print("\n".join(throughput_table(device, shapes, steps, peak, compile_too=not args.tiny)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
