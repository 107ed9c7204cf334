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
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import numpy
import torch

from experiments.config import SCHEMA
from experiments.spec import PlannedRun, RunOutcome
from losses.distributed import world_size
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
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(record, indent=1, sort_keys=True))
    os.replace(tmp, path)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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


def _stale(owner: dict | None) -> bool:
    """Whether a lock's owner is gone: no readable owner (an empty or corrupt lock: locks appear atomically,
    so this is never a lock being written), or on this host a dead pid or a pid now held by another process.
    A lock from another host is never taken over."""
    if not isinstance(owner, dict) or not isinstance(owner.get("pid"), int):
        return True
    if owner.get("host") != socket.gethostname():
        return False
    if not _pid_alive(owner["pid"]):
        return True
    start = _process_start(owner["pid"])
    return owner.get("start") is not None and start is not None and start != owner["start"]


def try_lock(lock: Path) -> bool:
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
                if not _stale(owner):
                    return False
                lock.unlink(missing_ok=True)
        return False
    finally:
        private.unlink(missing_ok=True)


def finished(path: Path) -> bool:
    """A record that exists, parses and says ``ok``; a failed or unreadable one is run again."""
    try:
        return json.loads(path.read_text()).get("status") == "ok"
    except (OSError, ValueError):
        return False


def run_sweep(
    experiment: str,
    preset: str,
    runs: list[PlannedRun],
    run_one: Callable[[PlannedRun, Path], RunOutcome],
    runs_dir: Path,
    device: torch.device,
    log: Callable[[str], None] = print,
    keep_encoders: bool = False,
) -> list[Path]:
    """Run every planned run not yet finished in ``runs_dir``; returns the paths of the records it wrote.

    ``run_one(run, checkpoint_path)`` trains and evaluates; an exception inside it (divergence, a bad
    combination only the data reveals) is recorded as a failed run and the sweep goes on. With
    ``keep_encoders``, a finished run's trained ResNet is saved as ``<run-id>.encoder.pt`` (the suite's
    encoder file, ``training/encoder_files.py``) for ``kmeans_features`` and other analyses.
    """
    main = is_main()
    log = log if main else _quiet
    if main:
        runs_dir.mkdir(parents=True, exist_ok=True)
    written, commit, env = [], git_commit(), {**environment(device), "processes": world_size()}
    for number, run in enumerate(runs, 1):
        path, lock = runs_dir / f"{run.run_id}.json", runs_dir / f"{run.run_id}.lock"
        checkpoint = runs_dir / f"{run.run_id}.ckpt"
        label = f"[{number}/{len(runs)}] {run.run_id} {run.label}".rstrip()
        if not agree(main and _claim(path, lock, label, log)):  # rank 0 decides; under torchrun all ranks follow
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
            if record["status"] == "ok":
                metrics = " ".join(f"{k}={v:.4f}" for k, v in record["metrics"].items())
                log(f"{label}: finished in {record['wall_time_s']:.0f}s: {metrics}")
        finally:
            if main:
                lock.unlink(missing_ok=True)
    return written


def _quiet(message: str) -> None:
    """The log of ranks other than 0 (rank 0 speaks for the run)."""


def _claim(path: Path, lock: Path, label: str, log: Callable[[str], None]) -> bool:
    """Whether this process takes the run: not finished, and its lock taken (then held until the run ends)."""
    if finished(path):
        log(f"{label}: done already, skipped")
        return False
    if not try_lock(lock):
        log(f"{label}: running in another process, skipped")
        return False
    if finished(path):  # finished by another process between our check and our lock
        lock.unlink(missing_ok=True)
        return False
    return True
