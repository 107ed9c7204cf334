"""Run a sweep: one JSON record per finished run, written atomically; finished runs are skipped (resume).

Layout: ``<out>/<experiment>/<preset>/runs/<run-id>.json``. A run in progress holds ``<run-id>.lock``
(created exclusively, holding the owner's pid), so two processes running the same sweep split the work
instead of duplicating it; a lock whose process is gone is taken over. A run that raises (a non-finite
loss, say) is recorded with ``status: failed`` and its message, and is run again by the next sweep. Each
run checkpoints to ``<run-id>.ckpt`` after every epoch and resumes from it when killed. Under torchrun
every rank trains each run and rank 0 alone claims runs, writes records and speaks.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import socket
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy
import torch

from losses.distributed import world_size
from sweeps.config import SCHEMA
from sweeps.spec import PlannedRun, RunOutcome
from sweeps.store import record_problem
from training.atomic import DiskFullError, pid_alive, remove_stale_temporaries, replace_atomically
from training.distributed import agree, is_main
from training.encoder_files import encoder_from_checkpoint


def _git(*args: str) -> str:
    cwd = Path(__file__).resolve().parent
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True, cwd=cwd).stdout.strip()


def git_commit() -> str:
    """HEAD's hash, with ``+dirty`` when the code (anything outside ``results/``) differs from it."""
    try:
        commit = _git("rev-parse", "HEAD")
        dirty = _git("status", "--porcelain", "--", ":/", ":(top,exclude)results")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit}+dirty" if dirty else commit


def environment(device: torch.device) -> dict[str, str]:
    import torchvision

    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu"
    return {
        "device": f"{device.type}:{name}",
        "host": socket.gethostname(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "numpy": numpy.__version__,
        "threads": str(torch.get_num_threads()),
    }


def write_json_atomically(record: dict, path: Path) -> None:
    replace_atomically(path, lambda tmp: tmp.write_text(json.dumps(record, indent=1, sort_keys=True)))


def _process_start(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux ``/proc``), None where unknown: with the pid
    it names one process, so a pid reused after a restart is not taken for the lock's owner."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]  # field 22; the command name in (...) may hold spaces


def _lock_owner() -> dict:
    return {"host": socket.gethostname(), "pid": os.getpid(), "start": _process_start(os.getpid())}


# A lock held by another host is taken over only when neither it nor the run's checkpoint has changed for this
# long: a run checkpoints every epoch, and even a paper-scale epoch on one GPU takes a few hours.
FOREIGN_LOCK_TIMEOUT_S = 24 * 3600


def _foreign(owner: Any) -> bool:
    return isinstance(owner, dict) and owner.get("host") != socket.gethostname()


def _quiet_for(lock: Path) -> float:
    """Seconds since the lock or its run's checkpoint last changed."""
    times = [p.stat().st_mtime for p in (lock, lock.with_suffix(".ckpt")) if p.exists()]
    return time.time() - max(times) if times else 0.0


def _stale(owner: Any, lock: Path, take_over_foreign: bool) -> bool:
    """Whether a lock's owner is gone: no readable owner (an empty or corrupt lock: locks appear atomically,
    so this is never a lock being written), on this host a dead pid or a pid now held by another process, or
    another host's lock quiet for ``FOREIGN_LOCK_TIMEOUT_S`` (any foreign lock with ``take_over_foreign``)."""
    if not isinstance(owner, dict) or not isinstance(owner.get("pid"), int):
        return True
    if _foreign(owner):
        return take_over_foreign or _quiet_for(lock) > FOREIGN_LOCK_TIMEOUT_S
    if not pid_alive(owner["pid"]):
        return True
    start = _process_start(owner["pid"])
    return owner.get("start") is not None and start is not None and start != owner["start"]


def try_lock(lock: Path, take_over_foreign: bool = False) -> bool:
    """Take ``lock`` exclusively; a stale lock (see ``_stale``) is taken over.

    The lock appears atomically with its owner (host, pid, process start) already in it: written to a
    private file, then hard-linked into place, so no process ever reads a half-written lock.
    """
    private = lock.with_name(f".{lock.name}.{os.getpid()}.tmp")
    private.write_text(json.dumps(_lock_owner()))
    try:
        for _ in range(2):
            try:
                os.link(private, lock)
                return True
            except FileExistsError:
                try:
                    owner = json.loads(lock.read_text())
                except FileNotFoundError:
                    continue  # released meanwhile: try again
                except (OSError, ValueError):
                    owner = None
                if not _stale(owner, lock, take_over_foreign):
                    return False
                lock.unlink(missing_ok=True)
        return False
    finally:
        private.unlink(missing_ok=True)


def run_sweep(
    experiment: str,
    preset: str,
    runs: list[PlannedRun],
    run_one: Callable[[PlannedRun, Path], RunOutcome],
    runs_dir: Path,
    device: torch.device,
    log: Callable[[str], None] = print,
    keep_encoders: bool = False,
    take_over_locks: bool = False,
) -> list[Path]:
    """Run every planned run not yet finished in ``runs_dir``; returns the paths of the records it wrote.

    ``run_one(run, checkpoint_path)`` trains and evaluates; an exception inside it (divergence, a bad
    combination only the data reveals) is recorded as a failed run and the sweep goes on. With
    ``keep_encoders``, a finished run's trained ResNet is saved as ``<run-id>.encoder.pt`` (the suite's
    encoder file, ``training/encoder_files.py``) for ``kmeans_features`` and other analyses. A record is
    trusted as finished only when it is this run's (``store.record_problem``); any other file in its place is
    named and the run is run again. ``take_over_locks``: also take the locks of other hosts. A full disk
    stops the sweep with ``DiskFullError``; the temporaries of killed processes are removed at the start.
    """
    main = is_main()
    log = log if main else _quiet
    if main:
        runs_dir.mkdir(parents=True, exist_ok=True)
        for stale in remove_stale_temporaries(runs_dir) + remove_stale_temporaries(runs_dir.parent):
            log(f"removed {stale}, left by a process that was killed while writing it")
    written, commit, env = [], git_commit(), {**environment(device), "processes": world_size()}
    times: list[float] = []  # wall time of each run trained here, for the time-left estimate
    for number, run in enumerate(runs, 1):
        path, lock = runs_dir / f"{run.run_id}.json", runs_dir / f"{run.run_id}.lock"
        checkpoint = runs_dir / f"{run.run_id}.ckpt"
        label = f"[{number}/{len(runs)}] {run.run_id} {run.label}".rstrip()
        claimed = main and _claim(run, experiment, runs_dir, label, log, take_over_locks)
        if not agree(claimed):  # rank 0 decides; under torchrun all ranks follow
            continue
        try:
            log(f"{label}{': resuming from its checkpoint' if checkpoint.exists() else ''}")
            start = time.time()
            record = {
                "schema": SCHEMA,
                "experiment": experiment,
                "preset": preset,
                "run_id": run.run_id,
                "config": dataclasses.asdict(run.config),
                "seed": run.config.seed,
                "data_source": run.data_source,
                "git_commit": commit,
                **env,
            }
            try:
                outcome = run_one(run, checkpoint)
                record.update(status="ok", metrics=outcome.metrics, history=outcome.history)
            except DiskFullError:
                raise  # nothing more can be written: the sweep stops, the last checkpoint is kept
            except Exception as error:  # noqa: BLE001 - any error inside a run is recorded, the sweep goes on
                message = f"{type(error).__name__}: {error}"
                record.update(status="failed", error=message, traceback=traceback.format_exc(), metrics={}, history=[])
                log(f"{label}: FAILED: {message}")
            if not main:
                continue
            record["wall_time_s"] = round(time.time() - start, 2)
            if keep_encoders and record["status"] == "ok" and checkpoint.exists():
                model = run.config.model
                kept = runs_dir / f"{run.run_id}.encoder.pt"
                if encoder_from_checkpoint(checkpoint, model.encoder, model.stem_stride, kept):
                    log(f"{label}: encoder kept in {kept}")
            write_json_atomically(record, path)
            checkpoint.unlink(missing_ok=True)
            written.append(path)
            times.append(record["wall_time_s"])
            if record["status"] == "ok":
                metrics = " ".join(f"{k}={v:.4f}" for k, v in record["metrics"].items())
                log(f"{label}: finished in {record['wall_time_s']:.0f}s: {metrics}")
            log(progress_line(number, len(runs), times))
        finally:
            if main:
                lock.unlink(missing_ok=True)
    return written


def progress_line(done: int, total: int, times: list[float]) -> str:
    """The sweep's overall line after a run: runs done of the grid and, from the mean time of the runs trained
    so far, the time left if every remaining run trains (runs found finished take none)."""
    line = f"sweep: {done}/{total} runs done"
    if done == total or not times:
        return line
    mean = sum(times) / len(times)
    left = mean * (total - done)
    when = f"{left:.0f} s" if left < 90 else f"{left / 60:.0f} min"
    return f"{line}, at most about {when} left ({mean:.0f} s a run so far)"


def _quiet(message: str) -> None:
    """The log of ranks other than 0 (rank 0 speaks for the run)."""


def _claim(
    run: PlannedRun, experiment: str, runs_dir: Path, label: str, log: Callable[[str], None], take_over: bool
) -> bool:
    """Whether this process takes the run: not finished, and its lock taken (then held until the run ends)."""
    path, lock = runs_dir / f"{run.run_id}.json", runs_dir / f"{run.run_id}.lock"
    if (problem := record_problem(path, run, experiment)) is None:
        log(f"{label}: done already, skipped")
        return False
    if not try_lock(lock, take_over):
        log(f"{label}: {_held_by(lock)}, skipped")
        return False
    if (late := record_problem(path, run, experiment)) is None:  # finished elsewhere between check and lock
        lock.unlink(missing_ok=True)
        return False
    if problem or late:
        warn(f"{path} {problem or late}: running {run.run_id} again, which replaces it")
    return True


def _held_by(lock: Path) -> str:
    """Who holds a lock we could not take, and for another host what to do about it."""
    try:
        owner = json.loads(lock.read_text())
    except (OSError, ValueError):
        return "running in another process"
    if not _foreign(owner):
        return "running in another process"
    return (
        f"locked by host {owner.get('host')!r} (pid {owner.get('pid')}); if nothing runs there, delete {lock} "
        "or run again with --take-over-locks"
    )


def warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)
