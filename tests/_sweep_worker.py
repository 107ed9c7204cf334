"""A sweep worker for the concurrency test: a cheap fake experiment that logs every run it executes."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from sweeps.config import RunConfig, run_id
from sweeps.runner import run_sweep
from sweeps.spec import PlannedRun, RunOutcome


@dataclass(frozen=True)
class FakeData:
    x: int = 0


@dataclass(frozen=True)
class FakeConfig(RunConfig):
    """A real run config (the store checks a record's config against its run) whose data is one number."""

    data: FakeData = field(default_factory=FakeData)

    @property
    def x(self) -> int:
        return self.data.x


def sweep(out: str, n: int) -> None:
    log = Path(out) / "executions.log"

    def run_one(run: PlannedRun, checkpoint: Path) -> RunOutcome:
        with log.open("a") as handle:
            handle.write(f"{run.config.x} {os.getpid()}\n")
        time.sleep(0.2)
        return RunOutcome({"value": float(run.config.x)}, [])

    run_sweep("fake", "smoke", fake_runs(n), run_one, Path(out) / "runs", torch.device("cpu"), log=lambda _: None)


def fake_runs(n: int) -> list[PlannedRun]:
    configs = [FakeConfig(data=FakeData(x=i)) for i in range(n)]
    return [PlannedRun(c, "fake", run_id(c, "fake", "fake"), f"x={c.x}") for c in configs]


def record_names(runs: list[PlannedRun]) -> list[str]:
    return sorted(f"{run.run_id}.json" for run in runs)
