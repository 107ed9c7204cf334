"""Declarative rules for config fields: the allowed range or choices live next to the field's default.

    temperature: float = setting(0.1, Interval(1e-3, 1e3))
    name: str = setting("nt_xent", OneOf(LOSS_NAMES))

``IntList`` / ``NameList`` hold several values in one string, joined by ``+`` (a comma in ``--set`` sweeps).
``field_problem(section, name)`` returns what is allowed when the value breaks its rule (None when it is
fine). Every float must be finite. Types are not checked here: the typed merge of the config (OmegaConf)
already refuses a ``True`` for a float or ``1.5`` for an int.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Interval:
    """low <= value <= high (``open_low``: low < value); None: no bound."""

    low: float | None = None
    high: float | None = None
    open_low: bool = False

    def __call__(self, value: float) -> str | None:
        above = self.low is None or (value > self.low if self.open_low else value >= self.low)
        below = self.high is None or value <= self.high
        return None if above and below else self.describe()

    def describe(self) -> str:
        if self.high is None:
            return f"a number {'>' if self.open_low else '>='} {_number(self.low)}"
        if self.low is None:
            return f"a number <= {_number(self.high)}"
        return f"in {'(' if self.open_low else '['}{_number(self.low)}, {_number(self.high)}]"


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e12 else f"{x:g}"


@dataclass(frozen=True)
class OneOf:
    """value in ``choices`` (a tuple, or a function returning one, for registries filled at import time);
    ``prefixes``: also any value starting with one of them (e.g. ``folder:<path>``)."""

    choices: tuple[str, ...] | Callable[[], Iterable[str]]
    prefixes: tuple[str, ...] = ()

    def __call__(self, value: str) -> str | None:
        allowed = tuple(self.choices() if callable(self.choices) else self.choices)
        if value in allowed or any(value.startswith(p) and len(value) > len(p) for p in self.prefixes):
            return None
        return "one of " + ", ".join((*allowed, *(f"{p}<...>" for p in self.prefixes)))


@dataclass(frozen=True)
class Switch:
    """true, false, or (with ``auto``) the text ``auto``: a lever resolved per machine (``training/levers.py``)."""

    auto: bool = True

    def __call__(self, value: bool | str) -> str | None:
        if isinstance(value, bool) or (self.auto and value == "auto"):
            return None
        return "true, false or auto" if self.auto else "true or false"


@dataclass(frozen=True)
class IntList:
    """A ``+``-separated list of integers in [low, high] (``+``, because a comma in ``--set`` sweeps)."""

    low: int
    high: int

    def __call__(self, value: str) -> str | None:
        try:
            numbers = parse_ints(value)
        except ValueError:
            numbers = ()
        ok = numbers and all(self.low <= n <= self.high for n in numbers) and len(set(numbers)) == len(numbers)
        return None if ok else f"distinct integers in [{self.low}, {self.high}] joined by +, e.g. 2+4+6+8"


def parse_ints(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("+"))


@dataclass(frozen=True)
class NameList:
    """A ``+``-separated list of distinct names from ``choices``."""

    choices: tuple[str, ...]

    def __call__(self, value: str) -> str | None:
        names = value.split("+")
        ok = all(n in self.choices for n in names) and len(set(names)) == len(names)
        example = "+".join(self.choices[:2])
        return None if ok else f"distinct names from {', '.join(self.choices)} joined by +, e.g. {example}"


Rule = Callable[[Any], "str | None"]


def setting(default: Any, rule: Rule | None = None) -> Any:
    """A dataclass field with a default and the rule its values must follow."""
    return dataclasses.field(default=default, metadata={"rule": rule})


def field_problem(section: Any, name: str) -> str | None:
    """What is allowed, if ``section.name`` breaks its rule or is a non-finite float; else None."""
    value = getattr(section, name)
    if isinstance(value, float) and not math.isfinite(value):
        return "a finite number"
    rule = next(f for f in dataclasses.fields(section) if f.name == name).metadata.get("rule")
    return rule(value) if rule is not None else None
