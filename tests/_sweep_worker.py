"""A sweep worker for the concurrency test: a cheap fake experiment that logs every run it executes."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from experiments.runner import RunOutcome, run_sweep


@dataclass(frozen=True)
class FakeConfig:
    x: int = 0
    seed: int = 0


def sweep(out: str, n: int) -> None:
    log = Path(out) / "executions.log"

    def run_one(config: FakeConfig) -> RunOutcome:
        with log.open("a") as handle:
            handle.write(f"{config.x} {os.getpid()}\n")
        time.sleep(0.2)
        return RunOutcome({"value": float(config.x)}, "fake", [])

    configs = [FakeConfig(x=i) for i in range(n)]
    run_sweep("fake", "smoke", configs, run_one, Path(out) / "runs", torch.device("cpu"), log=lambda _: None)
