"""Faults the store must survive: records it cannot trust, locks of other hosts, temporaries of killed
processes, a full disk. None may stop a grid from finishing, and each is named in one line."""

from __future__ import annotations

import errno
import json
import os
import time
from pathlib import Path

import pytest

from sweeps.runner import run_sweep
from sweeps.spec import PlannedRun, RunOutcome
from sweeps.store import collect
from tests._sweep_worker import FakeConfig, fake_runs
from training.atomic import DiskFullError, remove_stale_temporaries, replace_atomically
from training.device import resolve_device

CPU = resolve_device("cpu")


def _sweep(runs: list[PlannedRun], runs_dir: Path, **options) -> list[int]:
    ran = []

    def run_one(run: PlannedRun, checkpoint: Path) -> RunOutcome:
        ran.append(run.config.x)
        return RunOutcome({"value": float(run.config.x)}, [])

    run_sweep("fake", "smoke", runs, run_one, runs_dir, CPU, log=lambda _: None, **options)
    return ran


def _ok_record(run: PlannedRun) -> dict:
    return {"status": "ok", "config": {"data": {"x": run.config.x}}, "data_source": "fake", "metrics": {"value": 1.0}}


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ("[1, 2]", "holds a JSON list, not a run record"),
        ('"done"', "holds a JSON str, not a run record"),
        ('{"status": "ok"}', "has no config or no data source"),
        ('{"status": "finished", "config": {}}', "has status 'finished'"),
        ("OTHER_RUN", "holds the config of run"),
        ('{"status": "ok", "config": {}, "data_source": "fake", "metrics": [0.5]}', "has metrics that are not a"),
        ('{"status": "ok", "conf', "is not a readable JSON record"),
        ("", "is not a readable JSON record"),
        ("\x00\xff garbage", "is not a readable JSON record"),
    ],
)
def test_a_record_that_is_not_this_runs_is_named_and_run_again(content, named, tmp_path, capsys):
    runs = fake_runs(2)
    path = tmp_path / f"{runs[0].run_id}.json"
    if content == "OTHER_RUN":
        content = json.dumps(_ok_record(runs[1]))  # the other run's finished record under this run's name
    path.write_text(content)
    assert _sweep(runs, tmp_path) == [0, 1]
    err = capsys.readouterr().err
    assert f"warning: {path} {named}" in err and f"running {runs[0].run_id} again" in err
    assert json.loads(path.read_text())["metrics"] == {"value": 0.0}
    assert _sweep(runs, tmp_path) == []  # now trusted: the grid is finished


def test_the_table_names_a_record_of_the_wrong_shape_instead_of_failing(tmp_path):
    runs = fake_runs(1)
    record = {**_ok_record(runs[0]), "metrics": [0.5]}
    (tmp_path / f"{runs[0].run_id}.json").write_text(json.dumps(record))
    collected = collect(FakeConfig, "fake", runs, tmp_path)
    assert collected.records == [] and collected.missing == runs
    assert "metrics that are not a mapping" in collected.unreadable[0]


def _foreign_lock(path: Path) -> None:
    path.write_text(json.dumps({"host": "another-host", "pid": 4242, "start": "1"}))


def test_a_lock_of_another_host_says_what_to_do_and_is_taken_when_asked_or_quiet_for_a_day(tmp_path):
    runs = fake_runs(1)
    lock = tmp_path / f"{runs[0].run_id}.lock"
    _foreign_lock(lock)
    logged = []
    run_sweep("fake", "smoke", runs, lambda r, c: RunOutcome({}, []), tmp_path, CPU, log=logged.append)
    assert "locked by host 'another-host' (pid 4242)" in logged[0] and "--take-over-locks" in logged[0]
    assert _sweep(runs, tmp_path, take_over_locks=True) == [0]

    (tmp_path / f"{runs[0].run_id}.json").unlink()
    _foreign_lock(lock)
    day_ago = time.time() - 25 * 3600
    os.utime(lock, (day_ago, day_ago))
    assert _sweep(runs, tmp_path) == [0]
    assert not lock.exists()


def test_temporaries_of_killed_processes_are_removed_at_sweep_start(tmp_path):
    runs_dir = tmp_path / "runs"
    runs_dir.mkdir()
    dead = runs_dir / ".abc.json.999999999.tmp"  # a pid above any pid_max: no such process
    dead_figure = tmp_path / ".figure.999999999.tmp.png"  # the preset folder holds the figure and tables
    own = runs_dir / f".mine.{os.getpid()}.tmp.json"
    for path in (dead, own):
        path.write_text("partial")
    assert remove_stale_temporaries(runs_dir) == [dead] and own.exists()
    dead.write_text("partial")
    dead_figure.write_text("partial")
    _sweep(fake_runs(1), runs_dir)
    assert not dead.exists() and not dead_figure.exists() and own.exists()


def test_a_failed_write_leaves_no_temporary_and_a_full_disk_is_one_line(tmp_path):
    target = tmp_path / "claim.json"

    def half_then_fail(tmp: Path, code: int) -> None:
        tmp.write_text("half")
        raise OSError(code, os.strerror(code))

    with pytest.raises(OSError, match="Permission denied"):
        replace_atomically(target, lambda tmp: half_then_fail(tmp, errno.EACCES))
    with pytest.raises(DiskFullError) as full:
        replace_atomically(target, lambda tmp: half_then_fail(tmp, errno.ENOSPC))
    message = str(full.value)
    assert f"the disk holding {tmp_path} is full: could not write claim.json" in message and "\n" not in message
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_stops_the_sweep_and_keeps_what_finished(tmp_path):
    def run_one(run: PlannedRun, checkpoint: Path) -> RunOutcome:
        if run.config.x == 1:
            raise DiskFullError(f"the disk holding {tmp_path} is full: could not write its checkpoint")
        return RunOutcome({"value": 0.0}, [])

    runs = fake_runs(3)
    with pytest.raises(DiskFullError):
        run_sweep("fake", "smoke", runs, run_one, tmp_path, CPU, log=lambda _: None)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{runs[0].run_id}.json"]  # no lock, no failed record
