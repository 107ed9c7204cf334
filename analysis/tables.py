"""Results tables: writing them, and finding which of their columns a sweep actually varied."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from training.atomic import replace_atomically


def write_table(frame: pd.DataFrame, path: Path) -> Path:
    return replace_atomically(path, lambda tmp: frame.to_csv(tmp, index=False))


def varying_columns(frame: pd.DataFrame, candidates: list[str]) -> list[str]:
    """The candidate columns that take more than one value (the sweep axes actually swept)."""
    return [c for c in candidates if c in frame and frame[c].nunique(dropna=False) > 1]


def save_arrays(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    """A run's own arrays (k-means maps, crops) as one compressed ``.npz``, written atomically."""

    def write(tmp: Path) -> None:
        with tmp.open("wb") as handle:
            np.savez_compressed(handle, **arrays)

    return replace_atomically(path, write)
