"""run_experiment.py end to end: smoke presets, resume, concurrency, bad input, NaN handling."""

from __future__ import annotations

import json
import multiprocessing

import pandas as pd
import pytest

import run_experiment
from experiments.config import Preset, PretrainConfig, apply_overrides, expand_grid, run_id
from experiments.multidigit_size import MultiDigitSizeConfig, canonical
from experiments.runner import RunOutcome, run_sweep
from tests._sweep_worker import FakeConfig, sweep
from training.device import resolve_device
from training.loop import NonFiniteLossError


@pytest.mark.parametrize("experiment", ["multidigit_size", "randbit"])
def test_smoke_preset_runs_end_to_end_and_writes_table_and_figure(experiment, tmp_path, mnist_root, capsys):
    args = [experiment, "--preset", "smoke", "--out", str(tmp_path), "--no-progress", "--device", "cpu"]
    if mnist_root:
        args += ["--data-root", mnist_root]
    assert run_experiment.main(args) == 0
    preset_dir = tmp_path / experiment / "smoke"
    table = pd.read_csv(preset_dir / "results.csv")
    assert len(table) == len(list((preset_dir / "runs").glob("*.json"))) >= 2
    assert (table["status"] == "ok").all()
    assert (preset_dir / "figure.png").stat().st_size > 10_000
    assert json.loads((preset_dir / "claim.json").read_text())["claim"]
    record = json.loads(next((preset_dir / "runs").glob("*.json")).read_text())
    for key in ("config", "seed", "metrics", "wall_time_s", "device", "torch", "data_source", "git_commit"):
        assert key in record
    assert "Verdict:" in capsys.readouterr().out
    # --plot-only rebuilds from the files without training
    (preset_dir / "figure.png").unlink()
    assert run_experiment.main([experiment, "--preset", "smoke", "--out", str(tmp_path), "--plot-only"]) == 0
    assert (preset_dir / "figure.png").exists()


def test_report_covers_only_the_requested_grid(tmp_path, mnist_root):
    """Runs of an earlier --set grid stay in runs/ but never enter this grid's table and figure."""
    base = ["multidigit_size", "--preset", "smoke", "--out", str(tmp_path), "--no-progress", "--device", "cpu"]
    base += ["--data-root", mnist_root] if mnist_root else []
    random_only = ["--set", "method=random"]
    assert run_experiment.main(base + random_only + ["--set", "canvas_size=32"]) == 0
    assert run_experiment.main(base + random_only) == 0
    preset_dir = tmp_path / "multidigit_size" / "smoke"
    assert len(list((preset_dir / "runs").glob("*.json"))) == 4
    table = pd.read_csv(preset_dir / "results.csv")
    assert sorted(table["large_size"]) == [7, 14] and set(table["canvas_size"]) == {28}
    assert run_experiment.main(base + random_only + ["--set", "large_size=14", "--plot-only"]) == 0
    assert pd.read_csv(preset_dir / "results.csv")["large_size"].tolist() == [14]


def test_list_names_every_paper_experiment(capsys):
    assert run_experiment.main(["--list"]) == 0
    out = capsys.readouterr().out
    for name in ("generalized_losses", "kmeans_features", "multidigit_size", "randbit", "--preset colab"):
        assert name in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nonexistent"], "experiment 'nonexistent' is unknown; choose one of multidigit_size, randbit"),
        (["randbit", "--preset", "huge"], "preset 'huge' is unknown for randbit; choose one of smoke, quick"),
        (["randbit", "--set", "colour=1"], "unknown --set key 'colour'; allowed keys:"),
        (["randbit", "--set", "epochs=ten"], "--set epochs='ten': expected a value of type int"),
        (["randbit", "--set", "n_bits=0,99"], "n_bits=99 is not allowed; it must be in [0, 30]"),
        (["randbit", "--set", "online=true", "--set", "method=supervised"], "online=true needs method=simclr"),
        (["multidigit_size", "--set", "large_size=100"], "must be <= canvas_size=84"),
        (["randbit", "--device", "tpu"], "device 'tpu' is unknown"),
        (["randbit", "--seeds", "a,b"], "--seeds 'a,b' must be comma-separated integers"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_nothing_written(args, message, tmp_path, capsys):
    assert run_experiment.main([*args, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and "\n" not in err
    assert not any(tmp_path.iterdir())


def test_grid_expansion_canonicalizes_and_dedupes():
    preset = Preset(base={"epochs": 1}, sweep={"method": ("simclr", "supervised"), "temperature": (0.1, 0.5)})
    configs = expand_grid(MultiDigitSizeConfig, preset, (0,), canonical)
    assert [(c.method, c.temperature) for c in configs] == [("simclr", 0.1), ("simclr", 0.5), ("supervised", 0.1)]
    overridden = apply_overrides(MultiDigitSizeConfig, preset, {"temperature": "0.2", "epochs": "3"})
    assert overridden.sweep["temperature"] == (0.2,) and overridden.base["epochs"] == 3
    assert run_id(PretrainConfig()) == run_id(PretrainConfig()) != run_id(PretrainConfig(seed=1))


def test_killed_sweep_resumes_with_every_run_exactly_once(tmp_path):
    executed = []

    def run_one(config: FakeConfig) -> RunOutcome:
        if config.x == 2 and not executed.count(2):
            executed.append(2)
            raise KeyboardInterrupt  # killed in the middle of run 2
        executed.append(config.x)
        return RunOutcome({"value": config.x}, "fake", [])

    configs = [FakeConfig(x=i) for i in range(4)]
    runs = tmp_path / "runs"
    with pytest.raises(KeyboardInterrupt):
        run_sweep("fake", "smoke", configs, run_one, runs, resolve_device("cpu"), log=lambda _: None)
    assert sorted(p.name for p in runs.iterdir()) == sorted(f"{run_id(FakeConfig(x=i))}.json" for i in (0, 1))
    run_sweep("fake", "smoke", configs, run_one, runs, resolve_device("cpu"), log=lambda _: None)
    assert executed == [0, 1, 2, 2, 3]
    assert sorted(p.name for p in runs.iterdir()) == sorted(f"{run_id(FakeConfig(x=i))}.json" for i in range(4))


def test_two_processes_on_one_sweep_run_each_config_once(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=sweep, args=(str(tmp_path), 6)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    executions = (tmp_path / "executions.log").read_text().split("\n")[:-1]
    assert sorted(int(line.split()[0]) for line in executions) == list(range(6))
    records = [json.loads(p.read_text()) for p in (tmp_path / "runs").glob("*.json")]
    assert sorted(r["metrics"]["value"] for r in records) == list(range(6))
    assert not list((tmp_path / "runs").glob("*.lock")) and not list((tmp_path / "runs").glob(".*tmp"))


def test_non_finite_loss_is_recorded_as_a_failed_run(tmp_path):
    def run_one(config: FakeConfig) -> RunOutcome:
        raise NonFiniteLossError("loss became nan at epoch 1, step 3")

    [path] = run_sweep("fake", "smoke", [FakeConfig()], run_one, tmp_path, resolve_device("cpu"), log=lambda _: None)
    record = json.loads(path.read_text())
    assert record["status"] == "failed" and "nan" in record["error"]
