"""From a preset and ``--set`` overrides to the list of run configs, every one composed and validated.

Each preset key and each override is an axis of values (a single value is an axis of one); ``--set
key=a,b,c`` replaces the preset's axis or value for ``key`` (in every variant). The grid is the Cartesian
product of the axes, once per preset variant, seeds innermost; configs are canonicalized (fields a run
does not read reset) and duplicates dropped, so a supervised run is not repeated for every temperature.
An override that no run of the grid reads (a temperature for an SWD-only grid) is an error rather than
silently ignored.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from sweeps.config import canonical, compose, non_defaults, reads, unread_reason, validate
from sweeps.spec import ConfigError, Experiment


@dataclass(frozen=True)
class GridRun:
    config: Any
    label: str  # the swept keys and their values in this run, e.g. "method.name=simclr loss.temperature=0.2"


def parse_overrides(pairs: list[str]) -> dict[str, tuple[str, ...]]:
    """``["optim.lr=1e-3", "loss.temperature=0.1,0.2"]`` -> ``{"optim.lr": ("1e-3",), ...}``."""
    overrides = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        values = tuple(v.strip() for v in text.split(","))
        if not sep or not key.strip() or "" in values:
            raise ConfigError(f"--set {pair!r} must look like section.key=value, or section.key=a,b,c to sweep")
        if key.strip() in overrides:
            raise ConfigError(f"--set {key.strip()} is given twice; give each key once (a comma list sweeps)")
        if len(set(values)) < len(values):
            repeated = next(v for v in values if values.count(v) > 1)
            raise ConfigError(f"--set {pair!r} sweeps {repeated!r} twice; give each value once")
        overrides[key.strip()] = values
    return overrides


def build_grid(
    experiment: Experiment, preset_name: str, overrides: dict[str, tuple], seeds: tuple[int, ...] | None = None
) -> list[GridRun]:
    """Every run of the preset's grid with ``overrides`` applied; raises ConfigError before any run."""
    preset = experiment.preset(preset_name)
    if seeds is not None and "seed" in overrides:
        raise ConfigError("give the seeds once: --seeds 0,1,2 or --set seed=0,1,2")
    grid_settings = []
    for variant in preset.variants or ({},):
        axes = {k: (v,) for k, v in (preset.base | variant).items()} | dict(preset.sweep) | dict(overrides)
        if seeds is not None:
            axes["seed"] = seeds
        axes["seed"] = axes.pop("seed", (0,))  # seeds innermost
        grid_settings += [dict(zip(axes, values)) for values in itertools.product(*axes.values())]
    keys = list(dict.fromkeys(k for settings in grid_settings for k in settings))
    swept = [k for k in keys if len({repr(s.get(k)) for s in grid_settings}) > 1]
    raw = []
    for settings in grid_settings:
        config = compose(experiment.config_cls, settings)
        validate(config)
        raw.append((config, " ".join(f"{k}={settings[k]}" for k in swept if k in settings and reads(config, k))))
    for key in overrides:
        if not any(reads(config, key) for config, _ in raw):
            raise ConfigError(f"--set {key}: no run of this grid reads it ({unread_reason(raw[0][0], key)})")
    runs, seen = [], set()
    for config, label in raw:
        config = canonical(config)
        fingerprint = repr(sorted(non_defaults(config).items()))
        if fingerprint not in seen:
            seen.add(fingerprint)
            runs.append(GridRun(config, label))
    return runs
