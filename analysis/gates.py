"""Validity gates shared by the claim checks, and the baselines they read, with each threshold argued once.

A gate says when an experiment can test its claim at all; the claim checks (``analysis/<experiment>.py``)
check them before the claim (``analysis/claims.py``). The floors are two runs every probed figure carries:
``random`` (the same encoder, untrained) and ``pixels`` (a linear probe on the raw input).
"""

from __future__ import annotations

import pandas as pd

from analysis.claims import Gate, at_least, at_most

FLOOR_LABELS = {"random": "untrained encoder", "pixels": "raw pixels"}

# A supervised network that reads single MNIST digits below 0.90 has not learned them: a linear probe on
# the raw pixels of centred MNIST digits reaches about 0.92 and a trained ResNet more than 0.98.
TRAINED_DIGIT_ACCURACY = 0.90
# "Beats the floor": 2 points, about 3 binomial sigmas of the difference of two accuracies near 0.9 on 5k
# test images (2 sigmas on 2k). Less, and the probe cannot tell training from the floor.
LEARNED_MARGIN = 0.02
# A collapse toward chance needs a start far from it: half the way from chance to perfect, so that losing
# half of it (the RandBit criterion) is a fall of at least 0.25, more than ten times the noise above.
ROOM_ABOVE_CHANCE = 0.5


def floors(frame: pd.DataFrame, metric: str, mask: pd.Series | None = None) -> dict[str, float]:
    """Floor method -> mean ``metric`` of its runs (restricted to ``mask``); floors without runs are left out."""
    rows = frame if mask is None else frame[mask]
    if "method.name" not in rows:
        return {}
    return {
        method: float(rows.loc[rows["method.name"] == method, metric].mean())
        for method in FLOOR_LABELS
        if (rows["method.name"] == method).any()
    }


def floor_numbers(values: dict[str, float], where: str) -> dict[str, float]:
    """The floors as claim numbers, e.g. ``{"untrained encoder acc @ 0 bits": 0.87}``."""
    return {f"{FLOOR_LABELS[m]} acc @ {where}": v for m, v in values.items()}


def beats_floors(who: str, value: float, values: dict[str, float], margin: float = LEARNED_MARGIN) -> list[Gate]:
    """One gate per floor: ``who`` (an accuracy ``value``) at least ``margin`` above it."""
    return [
        at_least(
            f"{who} - {FLOOR_LABELS[m]}",
            value - floor,
            margin,
            "training learned nothing the probe can read beyond this floor, so there is no learned feature to test",
        )
        for m, floor in values.items()
    ]


def trained_baseline(who: str, value: float, threshold: float = TRAINED_DIGIT_ACCURACY) -> Gate:
    return at_least(who, value, threshold, "too little training to test this claim")


def room_above_chance(who: str, value: float, chance: float) -> Gate:
    return at_least(
        f"{who} - chance",
        value - chance,
        ROOM_ABOVE_CHANCE,
        "too close to chance for a collapse toward it to show",
    )


def seed_spread(frame: pd.DataFrame, metric: str, cells: list[str], margin: float) -> list[Gate]:
    """With several seeds: the largest standard deviation over seeds of one cell (``cells``: the swept keys)
    at most half the claim's ``margin``, else a difference of one margin could be noise. One seed: none."""
    if "seed" not in frame or frame["seed"].nunique() < 2:
        return []
    spread = float(frame.groupby(cells, dropna=False)[metric].std().max())
    return [at_most("largest seed std", spread, margin / 2, "seeds disagree by more than half the effect margin")]


def without_floors(frame: pd.DataFrame) -> pd.DataFrame:
    """The trained runs only (the floors are drawn and gated, never part of a claim's curves)."""
    return frame[~frame["method.name"].isin(FLOOR_LABELS)] if "method.name" in frame else frame
