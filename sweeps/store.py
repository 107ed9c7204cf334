"""Read run records back and match them to a grid by their stored config, not by file name.

Each record's config is parsed with today's config class (a field added since then takes its default),
canonicalized, and its identity compared with the grid's. A record that cannot be read or parsed is
reported by path and never counted as done.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from sweeps.config import canonical, flat_values, identity, reads, run_id, structured
from sweeps.spec import PlannedRun

META_COLUMNS = ("run_id", "status", "data_source", "device", "torch", "wall_time_s", "git_commit")


@dataclass
class Collected:
    """The grid's records in grid order, what is missing, and the files that could not be read."""

    records: list[dict[str, Any]] = field(default_factory=list)
    missing: list[PlannedRun] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)

    def frame(self) -> pd.DataFrame:
        """One row per record: the metadata, every config field (dotted; empty where the run does not read
        it, e.g. a supervised run's loss.temperature), ``final_loss`` (the last epoch's mean training loss;
        empty for a run that trains nothing) and the metrics."""
        return pd.DataFrame([_row(r) for r in self.records])


def parse_config(config_cls: type, stored: dict[str, Any]) -> Any:
    return canonical(OmegaConf.to_object(OmegaConf.merge(structured(config_cls), stored)))


def shape_problem(record: Any) -> str | None:
    """What makes parsed JSON not a run record (None when it has the shape of one): an object with a status,
    a config object, a data source and numeric metrics."""
    if not isinstance(record, dict):
        return f"holds a JSON {type(record).__name__}, not a run record"
    if record.get("status") not in ("ok", "failed"):
        return f"has status {record.get('status')!r}, not ok or failed"
    if not isinstance(record.get("config"), dict) or not isinstance(record.get("data_source"), str):
        return "has no config or no data source"
    metrics = record.get("metrics", {})
    if not isinstance(metrics, dict) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in metrics.values()
    ):
        return "has metrics that are not a mapping of names to numbers"
    return None


def record_problem(path: Path, run: PlannedRun, experiment: str) -> str | None:
    """Why the record at ``path`` is not ``run``'s finished result, or None when it is. A missing record or a
    failed run is the empty string (nothing to report: the run is simply run); anything else (unreadable,
    the wrong shape, another run's config) is named."""
    try:
        record = json.loads(path.read_text())
    except FileNotFoundError:
        return ""
    except (OSError, ValueError) as error:
        return f"is not a readable JSON record ({type(error).__name__})"
    if problem := shape_problem(record):
        return problem
    if record["status"] != "ok":
        return ""
    try:
        config = parse_config(type(run.config), record["config"])
    except (ValueError, KeyError, TypeError, OmegaConfBaseException) as error:
        return f"has a config that cannot be read ({type(error).__name__})"
    found = run_id(config, record["data_source"], experiment)
    return None if found == run.run_id else f"holds the config of run {found}, not of this run"


def _key(config: Any, data_source: str, experiment: str) -> str:
    return json.dumps(identity(config, data_source, experiment), sort_keys=True, default=str)


def collect(config_cls: type, experiment: str, planned: list[PlannedRun], runs_dir: Path) -> Collected:
    wanted = {_key(run.config, run.data_source, experiment): run for run in planned}
    found: dict[str, dict[str, Any]] = {}
    collected = Collected()
    for path in sorted(runs_dir.glob("*.json")):
        try:
            record = json.loads(path.read_text())
            if problem := shape_problem(record):
                raise ValueError(problem)
            config = parse_config(config_cls, record["config"])
            key = _key(config, record["data_source"], experiment)
        except (OSError, ValueError, KeyError, TypeError, OmegaConfBaseException) as error:
            collected.unreadable.append(f"{path}: {type(error).__name__}: {str(error).splitlines()[0][:120]}")
            continue
        if key in wanted:
            found[key] = {**record, "_config": config}
    for key, run in wanted.items():
        if key in found:
            collected.records.append(found[key])
        if key not in found or found[key].get("status") != "ok":
            collected.missing.append(run)
    return collected


def _row(record: dict[str, Any]) -> dict[str, Any]:
    config = record["_config"]
    settings = {k: v if reads(config, k) else None for k, v in flat_values(config).items()}
    history = record.get("history") or []
    final_loss = {"final_loss": history[-1]} if history else {}  # the last epoch's mean training loss
    return {**{k: record.get(k) for k in META_COLUMNS}, **settings, **final_loss, **record.get("metrics", {})}
