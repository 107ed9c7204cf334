"""Experiment configs: dataclasses with defaults, named presets (overrides + sweep axes), ``--set`` parsing.

A run config is a flat frozen dataclass of scalars. A preset gives base overrides and sweep axes (a grid
of values per field); ``--set key=value`` overrides one field (``key=a,b,c`` on a sweep axis replaces the
axis). The run id is a hash of the full resolved config, so re-running a sweep skips finished runs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class ConfigError(ValueError):
    """A bad experiment, preset, key or value; the message lists what is allowed."""


@dataclass(frozen=True)
class PretrainConfig:
    """Fields shared by every pretraining experiment (method, encoder, optimization, loss)."""

    method: str = "simclr"  # simclr | supervised | random
    encoder: str = "resnet18"
    width: int = 64
    stem_stride: int = 1
    loss: str = "nt_xent"
    temperature: float = 0.1
    lam: float = 1.0
    head_depth: int = 2
    head_hidden: int = 512
    head_out: int = 128
    epochs: int = 10
    batch_size: int = 256
    optimizer: str = "adam"
    lr: float = 1e-3
    weight_decay: float = 1e-4
    schedule: str = "cosine"
    warmup_epochs: float = 0.0
    crop_scale_min: float = 0.2
    flip: bool = False
    color_strength: float = 0.5
    probe_epochs: int = 40
    seed: int = 0


@dataclass(frozen=True)
class Preset:
    """base: field overrides; sweep: field -> values (the grid is their Cartesian product); note: for humans."""

    base: dict[str, Any] = field(default_factory=dict)
    sweep: dict[str, tuple] = field(default_factory=dict)
    note: str = ""


def field_types(config_cls: type) -> dict[str, type]:
    hints = typing.get_type_hints(config_cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(config_cls)}


def parse_value(config_cls: type, key: str, text: str) -> Any:
    """Parse ``text`` to the type of field ``key`` of ``config_cls``; one-line error otherwise."""
    types = field_types(config_cls)
    if key not in types:
        raise ConfigError(f"unknown --set key {key!r}; allowed keys: {', '.join(sorted(types))}")
    kind = types[key]
    if kind is bool:
        if text.lower() in ("true", "1", "yes"):
            return True
        if text.lower() in ("false", "0", "no"):
            return False
        raise ConfigError(f"--set {key}={text!r}: expected a boolean (true/false)")
    try:
        return kind(text)
    except ValueError:
        raise ConfigError(f"--set {key}={text!r}: expected a value of type {kind.__name__}") from None


def apply_overrides(config_cls: type, preset: Preset, overrides: dict[str, str]) -> Preset:
    """Preset with ``--set`` overrides applied (comma-separated values replace a sweep axis)."""
    base, sweep = dict(preset.base), dict(preset.sweep)
    for key, text in overrides.items():
        if key in sweep:
            sweep[key] = tuple(parse_value(config_cls, key, part) for part in text.split(","))
        else:
            base[key] = parse_value(config_cls, key, text)
    return Preset(base, sweep, preset.note)


def expand_grid(
    config_cls: type, preset: Preset, seeds: tuple[int, ...], canonical: Callable[[Any], Any] = lambda c: c
) -> list[Any]:
    """Every run config of the preset's grid and seeds, canonicalized, without duplicates, in grid order."""
    axes = list(preset.sweep.items())
    configs, seen = [], set()
    for values in itertools.product(*(v for _, v in axes)):
        for seed in seeds:
            settings = {**preset.base, **dict(zip((k for k, _ in axes), values)), "seed": seed}
            config = canonical(config_cls(**settings))
            if run_id(config) not in seen:
                seen.add(run_id(config))
                configs.append(config)
    return configs


def run_id(config: Any) -> str:
    """12 hex digits of the SHA-1 of the config's sorted JSON (class name included)."""
    payload = json.dumps({"class": type(config).__name__, **dataclasses.asdict(config)}, sort_keys=True)
    return hashlib.sha1(payload.encode()).hexdigest()[:12]
