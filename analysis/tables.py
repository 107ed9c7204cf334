"""Result files -> one pandas table: a row per run, config fields and metrics as columns."""

from __future__ import annotations

import json
from collections.abc import Collection
from pathlib import Path

import pandas as pd

META_COLUMNS = ("run_id", "status", "data_source", "device", "wall_time_s", "git_commit")


def load_runs(runs_dir: Path, run_ids: Collection[str] | None = None) -> pd.DataFrame:
    """The ``*.json`` records under ``runs_dir`` (only ``run_ids`` if given) as a DataFrame, maybe empty."""
    rows = []
    for path in sorted(Path(runs_dir).glob("*.json")):
        if run_ids is not None and path.stem not in run_ids:
            continue
        record = json.loads(path.read_text())
        rows.append({**{k: record.get(k) for k in META_COLUMNS}, **record["config"], **record.get("metrics", {})})
    return pd.DataFrame(rows)


def write_table(frame: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return path


def varying_columns(frame: pd.DataFrame, candidates: list[str]) -> list[str]:
    """The candidate columns that take more than one value (the sweep axes actually swept)."""
    return [c for c in candidates if c in frame and frame[c].nunique(dropna=False) > 1]
