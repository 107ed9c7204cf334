"""Results tables: writing them, and finding which of their columns a sweep actually varied."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def write_table(frame: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return path


def varying_columns(frame: pd.DataFrame, candidates: list[str]) -> list[str]:
    """The candidate columns that take more than one value (the sweep axes actually swept)."""
    return [c for c in candidates if c in frame and frame[c].nunique(dropna=False) > 1]
