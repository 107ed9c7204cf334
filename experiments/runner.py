"""Run a sweep: one JSON record per finished run, written atomically; finished runs are skipped (resume).

Layout: ``<out>/<experiment>/<preset>/runs/<run-id>.json``. A run in progress holds ``<run-id>.lock``
(created exclusively, holding the owner's pid), so two processes running the same sweep split the work
instead of duplicating it; a lock whose process is gone is taken over. A run that fails with a non-finite
loss is recorded with ``status: failed`` and its message.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy
import torch

from experiments.config import run_id
from training.loop import NonFiniteLossError


@dataclass
class RunOutcome:
    """What an experiment's run function returns."""

    metrics: dict[str, float]
    data_source: str
    history: list[float]


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parent,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


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


def try_lock(lock: Path) -> bool:
    """Take ``lock`` exclusively; a lock left by a dead process (same host) is taken over.

    The lock appears atomically with its owner's pid already in it (written to a private file, then
    hard-linked into place), so no process ever reads a half-written lock and mistakes it for a stale one.
    """
    private = lock.with_name(f".{lock.name}.{os.getpid()}.tmp")
    private.write_text(str(os.getpid()))
    try:
        for _ in range(2):
            try:
                os.link(private, lock)
                return True
            except FileExistsError:
                try:
                    owner = int(lock.read_text())
                except (OSError, ValueError):
                    return False
                if _pid_alive(owner):
                    return False
                lock.unlink(missing_ok=True)
        return False
    finally:
        private.unlink(missing_ok=True)


def run_sweep(
    experiment: str,
    preset: str,
    configs: list[Any],
    run_one: Callable[[Any], RunOutcome],
    runs_dir: Path,
    device: torch.device,
    log: Callable[[str], None] = print,
) -> list[Path]:
    """Run every config not yet recorded in ``runs_dir``; returns the paths of the records it wrote."""
    runs_dir.mkdir(parents=True, exist_ok=True)
    written, commit, env = [], git_commit(), environment(device)
    for number, config in enumerate(configs, 1):
        rid = run_id(config)
        path, lock = runs_dir / f"{rid}.json", runs_dir / f"{rid}.lock"
        label = f"[{number}/{len(configs)}] {rid}"
        if path.exists():
            log(f"{label} done already, skipped")
            continue
        if not try_lock(lock):
            log(f"{label} running in another process, skipped")
            continue
        try:
            if path.exists():  # finished by another process between our check and our lock
                continue
            log(f"{label} {_describe(config)}")
            start = time.time()
            record = {
                "experiment": experiment,
                "preset": preset,
                "run_id": rid,
                "config": dataclasses.asdict(config),
                "seed": config.seed,
                "git_commit": commit,
                **env,
            }
            try:
                outcome = run_one(config)
                record.update(
                    status="ok", metrics=outcome.metrics, data_source=outcome.data_source, history=outcome.history
                )
            except NonFiniteLossError as error:
                record.update(status="failed", error=str(error), metrics={}, data_source="", history=[])
                log(f"{label} FAILED: {error}")
            record["wall_time_s"] = round(time.time() - start, 2)
            write_json_atomically(record, path)
            written.append(path)
            log(f"{label} finished in {record['wall_time_s']:.0f}s: {record['metrics']}")
        finally:
            lock.unlink(missing_ok=True)
    return written


def _describe(config: Any) -> str:
    defaults = type(config)()
    changed = {
        f.name: getattr(config, f.name)
        for f in dataclasses.fields(config)
        if getattr(config, f.name) != getattr(defaults, f.name)
    }
    return " ".join(f"{k}={v}" for k, v in changed.items())
