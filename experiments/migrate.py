"""Migrate run records of schema 1 (flat config, id = hash of every field) to schema 2, without retraining.

    python -m experiments.migrate results/randbit/quick/runs [more runs folders ...]

Schema 1 records hold a flat config (``temperature``, ``epochs``, ``n_bits``, ...). Each flat field is
moved to its section (``V1_KEYS``; the rest are the experiment's ``data`` fields), the config is parsed
with today's config class and canonicalized, and the record is rewritten as ``<schema-2 id>.json`` with
``schema: 2`` and ``migrated_from: <old id>``; the old file is removed. Metrics, history and provenance
(commit, device, versions, data source) are kept exactly as they were.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from experiments.config import SCHEMA, canonical, compose, run_id
from experiments.registry import get_experiment
from experiments.runner import write_json_atomically

V1_KEYS = {
    "method": "method.name",
    "online": "method.online_probe",
    "encoder": "model.encoder",
    "width": "model.width",
    "stem_stride": "model.stem_stride",
    "head_depth": "model.head_depth",
    "head_hidden": "model.head_hidden",
    "head_out": "model.head_out",
    "loss": "loss.name",
    "temperature": "loss.temperature",
    "lam": "loss.lam",
    "epochs": "optim.epochs",
    "batch_size": "optim.batch_size",
    "optimizer": "optim.optimizer",
    "lr": "optim.lr",
    "weight_decay": "optim.weight_decay",
    "schedule": "optim.schedule",
    "warmup_epochs": "optim.warmup_epochs",
    "crop_scale_min": "augment.crop_min_scale",
    "flip": "augment.flip",
    "color_strength": "augment.color_strength",
    "probe_epochs": "eval.probe_epochs",
    "seed": "seed",
}


def migrate_record(record: dict[str, Any]) -> dict[str, Any]:
    """The schema-2 form of a schema-1 record."""
    experiment = get_experiment(record["experiment"])
    settings = {V1_KEYS.get(key, f"data.{key}"): value for key, value in record["config"].items()}
    config = canonical(compose(experiment.config_cls, settings))
    new_id = run_id(config, record["data_source"], experiment.name)
    return {
        **record,
        "schema": SCHEMA,
        "config": dataclasses.asdict(config),
        "run_id": new_id,
        "migrated_from": record["run_id"],
    }


def migrate_folder(runs_dir: Path) -> list[tuple[str, str]]:
    """Migrate every schema-1 record in ``runs_dir``; returns (old id, new id) pairs."""
    renamed = []
    for path in sorted(runs_dir.glob("*.json")):
        record = json.loads(path.read_text())
        if record.get("schema", 1) != 1:
            continue
        migrated = migrate_record(record)
        target = runs_dir / f"{migrated['run_id']}.json"
        write_json_atomically(migrated, target)
        if target != path:
            path.unlink()
        renamed.append((record["run_id"], migrated["run_id"]))
    return renamed


if __name__ == "__main__":
    for folder in sys.argv[1:]:
        for old, new in migrate_folder(Path(folder)):
            print(f"{folder}: {old} -> {new}")
