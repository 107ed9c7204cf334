"""What an experiment module declares, and the registry ``run_experiment.py`` reads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from experiments.config import ConfigError, Preset
from experiments.runner import RunOutcome

# Every figure of the paper, by content; the ones without a module yet are listed as planned.
PAPER_EXPERIMENTS = (
    "generalized_losses",
    "batch_size",
    "multidigit_count",
    "kmeans_features",
    "digit_on_image",
    "multidigit_size",
    "randbit",
)


@dataclass(frozen=True)
class RunContext:
    device: torch.device
    data_root: str | None
    progress: bool = True


@dataclass(frozen=True)
class Experiment:
    """name: experiment id; figure: the paper figure / section it reproduces; run: config -> RunOutcome."""

    name: str
    figure: str
    config_cls: type
    presets: dict[str, Preset]
    run: Callable[[Any, RunContext], RunOutcome]
    canonical: Callable[[Any], Any]
    validate: Callable[[Any], None]

    def preset(self, name: str) -> Preset:
        if name not in self.presets:
            raise ConfigError(f"preset {name!r} is unknown for {self.name}; choose one of {', '.join(self.presets)}")
        return self.presets[name]


def registry() -> dict[str, Experiment]:
    from experiments import multidigit_size, randbit

    return {e.name: e for e in (multidigit_size.EXPERIMENT, randbit.EXPERIMENT)}


def get_experiment(name: str) -> Experiment:
    experiments = registry()
    if name not in experiments:
        planned = [e for e in PAPER_EXPERIMENTS if e not in experiments]
        raise ConfigError(
            f"experiment {name!r} is unknown; choose one of {', '.join(experiments)} "
            f"(planned, not yet implemented: {', '.join(planned)})"
        )
    return experiments[name]
