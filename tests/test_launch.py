"""Scale-out paths of run_experiment.py: a smoke grid under torchrun (2 CPU processes) and through submitit's
local executor, the dry run, and the one-line errors of bad launcher options."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import run_experiment
from sweeps import launch

ROOT = Path(__file__).resolve().parents[1]


def _args(out: Path, mnist_root: str | None, *extra: str) -> list[str]:
    args = ["randbit", "--preset", "smoke", "--out", str(out), "--no-progress", "--device", "cpu", *extra]
    return args + (["--data-root", mnist_root] if mnist_root else [])


def _records(out: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in (out / "randbit" / "smoke" / "runs").glob("*.json")}


def test_torchrun_trains_each_run_on_two_processes_and_rank_0_alone_writes(tmp_path, mnist_root):
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    done = subprocess.run(
        [*command, "run_experiment.py", *_args(tmp_path / "two", mnist_root)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("== randbit [smoke]") == 1  # one report, from rank 0
    assert run_experiment.main(_args(tmp_path / "one", mnist_root)) == 0
    two, one = _records(tmp_path / "two"), _records(tmp_path / "one")
    assert two.keys() == one.keys() and len(two) == 2  # both ranks and the 1-process run agree on the run ids
    assert all(r["processes"] == 2 and r["status"] == "ok" for r in two.values())
    runs = tmp_path / "two" / "randbit" / "smoke" / "runs"
    assert not list(runs.glob("*.lock")) and not list(runs.glob("*.ckpt"))  # locks released, checkpoints removed
    for run_id, record in two.items():  # the same training; the probe may differ by a few test images
        assert record["metrics"]["acc_linear"] == pytest.approx(one[run_id]["metrics"]["acc_linear"], abs=0.08)
    assert min(r["metrics"]["acc_linear"] for r in two.values()) < max(r["metrics"]["acc_linear"] for r in two.values())


def test_local_launcher_runs_each_pending_run_as_a_submitit_job(tmp_path, mnist_root, capsys):
    assert run_experiment.main(_args(tmp_path, mnist_root, "--launcher", "local", "--parallel", "2")) == 0
    out = capsys.readouterr().out
    assert out.count("submitted job") == 2 and out.count(": recorded") == 2 and "== randbit [smoke]" in out
    assert len(_records(tmp_path)) == 2 and (tmp_path / "randbit" / "smoke" / "figure.png").exists()
    assert run_experiment.main(_args(tmp_path, mnist_root, "--launcher", "local")) == 0
    assert "submitted job" not in capsys.readouterr().out  # nothing pending: nothing submitted


def test_dry_run_prints_the_jobs_and_writes_nothing(tmp_path, mnist_root, capsys):
    extra = ("--launcher", "slurm", "--partition", "gpu", "--gpus-per-job", "2", "--dry-run")
    assert run_experiment.main(_args(tmp_path / "out", mnist_root, *extra)) == 0
    out = capsys.readouterr().out
    assert "2 job(s) on Slurm partition gpu, 2 GPU(s)" in out and "data.n_bits=10" in out
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--launcher", "slurm"), "--launcher slurm needs --partition"),
        (("--launcher", "slurm", "--partition", "gpu"), "--launcher slurm needs Slurm (sbatch is not on PATH)"),
        (("--launcher", "torchrun"), "--launcher torchrun needs the environment torchrun sets"),
        (("--launcher", "mpi"), "--launcher 'mpi' is unknown; choose one of none, torchrun, slurm, local"),
        (("--launcher", "local", "--parallel", "0"), "--parallel 0 is not allowed"),
        (("--wait",), "--wait applies to --launcher slurm or local"),
        (
            ("--launcher", "slurm", "--partition", "gpu", "--gpus-per-job", "3", "--dry-run"),
            "optim.batch_size=64 cannot be split over 3 processes",
        ),
    ],
)
def test_bad_launcher_options_get_one_line_before_anything_is_written(
    extra, message, tmp_path, mnist_root, capsys, monkeypatch
):
    monkeypatch.setattr(launch.shutil, "which", lambda name: None)  # a machine without Slurm
    assert run_experiment.main(_args(tmp_path / "out", mnist_root, *extra)) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_submitting_without_submitit_installed_is_one_line(tmp_path, mnist_root, capsys, monkeypatch):
    monkeypatch.setattr(launch.importlib.util, "find_spec", lambda name: None)
    assert run_experiment.main(_args(tmp_path, mnist_root, "--launcher", "local")) == 2
    assert "--launcher local needs submitit, which is not installed" in capsys.readouterr().err


def test_under_torchrun_a_batch_that_does_not_split_is_refused_before_joining(tmp_path, capsys, monkeypatch):
    torchrun = {"RANK": "0", "WORLD_SIZE": "3", "LOCAL_RANK": "0", "MASTER_ADDR": "x", "MASTER_PORT": "1"}
    for name, value in torchrun.items():
        monkeypatch.setenv(name, value)
    assert run_experiment.main(_args(tmp_path / "out", None)) == 2
    assert "optim.batch_size=64 cannot be split over 3 processes" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
