"""What an experiment module declares (``Experiment``, ``Preset``) and what flows between the layers.

A leaf module: experiment modules, the registry, the runner and ``run_experiment.py`` import it; it
imports nothing from them, so there are no import cycles.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # a declaration imports no torch, pandas or matplotlib: --list and a bad value answer at once
    import pandas as pd
    import torch

    from analysis.claims import ClaimCheck

FigureMaker = Callable[["pd.DataFrame", str, Path], Path]  # (results table, preset, path) -> the figure written
ClaimChecker = Callable[["pd.DataFrame"], "ClaimCheck"]


class ConfigError(ValueError):
    """A bad experiment, preset, key or value; the message names it and what is allowed."""


@dataclass(frozen=True)
class Lazy:
    """A function named by its module and name, imported at its first call. An experiment declares its run,
    data source, figure and claim check so, and its module stays free of torch and the plotting stack."""

    module: str
    name: str

    def resolve(self) -> Callable[..., Any]:
        """The function itself (its module imported); a misspelt module or name is an ``ImportError`` naming it."""
        found = getattr(importlib.import_module(self.module), self.name, None)
        if not callable(found):
            raise ImportError(f"{self.module}.{self.name} is not a function of {self.module}")
        return found

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.resolve()(*args, **kwargs)


@dataclass(frozen=True)
class Preset:
    """base: dotted key -> value; sweep: dotted key -> values; variants: settings that go together (a loss
    with its own tuned temperature or lambda). The grid is the Cartesian product of the sweep axes and the
    variants (none: one empty variant). figure / claim_check: this preset's own, where its grid asks a
    different question than the experiment's (an ablation); None: the experiment's."""

    base: dict[str, Any] = field(default_factory=dict)
    sweep: dict[str, tuple] = field(default_factory=dict)
    note: str = ""
    variants: tuple[dict[str, Any], ...] = ()
    figure: FigureMaker | None = None
    claim_check: ClaimChecker | None = None


@dataclass(frozen=True)
class RunContext:
    device: torch.device
    data_root: str | None
    progress: bool = True
    checkpoint: Path | None = None  # where the run saves its per-epoch checkpoint (and resumes from)
    outputs: Path | None = None  # a folder for the run's own files beside its record (k-means maps)
    take_over_locks: bool = False  # also take run locks held by other hosts (their runs are known dead)


@dataclass
class RunOutcome:
    """What an experiment's run function returns."""

    metrics: dict[str, float]
    history: list[float]


@dataclass(frozen=True)
class PlannedRun:
    """One run of a grid: its config, the data source it will read, its id and a label of its swept keys."""

    config: Any
    data_source: str
    run_id: str
    label: str


@dataclass(frozen=True)
class Experiment:
    """One paper figure.

    config_cls: a ``RunConfig`` subclass whose ``data`` section is the experiment's; run: config -> metrics;
    data_source: (config, data root) -> the name of the data actually read (``mnist-full``, a fallback, ...),
    part of every run's identity; figure / claim_check: from the results table (pandas) to the figure file
    and the verdict.
    """

    name: str
    figure_title: str
    config_cls: type
    presets: dict[str, Preset]
    run: Callable[[Any, RunContext], RunOutcome]
    data_source: Callable[[Any, str | None], str]
    figure: FigureMaker
    claim_check: ClaimChecker

    def preset(self, name: str) -> Preset:
        if name not in self.presets:
            raise ConfigError(f"--preset {name!r} is unknown for {self.name}; choose one of {', '.join(self.presets)}")
        return self.presets[name]

    def analysis(
        self, preset: str
    ) -> tuple[Callable[[pd.DataFrame, str, Path], Path], Callable[[pd.DataFrame], ClaimCheck]]:
        """The figure and claim check of ``preset``: its own where it has them, else the experiment's."""
        chosen = self.preset(preset)
        return chosen.figure or self.figure, chosen.claim_check or self.claim_check
