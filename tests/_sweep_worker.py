"""A sweep worker for the concurrency test: a cheap fake experiment that logs every run it executes."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from experiments.runner import run_sweep
from experiments.spec import PlannedRun, RunOutcome


@dataclass(frozen=True)
class FakeConfig:
    x: int = 0
    seed: int = 0


def sweep(out: str, n: int) -> None:
    log = Path(out) / "executions.log"

    def run_one(run: PlannedRun, checkpoint: Path) -> RunOutcome:
        with log.open("a") as handle:
            handle.write(f"{run.config.x} {os.getpid()}\n")
        time.sleep(0.2)
        return RunOutcome({"value": float(run.config.x)}, [])

    run_sweep("fake", "smoke", fake_runs(n), run_one, Path(out) / "runs", torch.device("cpu"), log=lambda _: None)


def fake_runs(n: int) -> list[PlannedRun]:
    return [PlannedRun(FakeConfig(x=i), "fake", f"run{i}", f"x={i}") for i in range(n)]
