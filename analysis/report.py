"""From run records to the committed outputs: results.csv, figure.png and claim.json of one preset."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from analysis import multidigit_size, randbit
from analysis.claims import ClaimCheck
from analysis.tables import load_runs, write_table

REPORTS = {"multidigit_size": multidigit_size, "randbit": randbit}


def build_report(
    experiment: str, preset: str, preset_dir: Path, run_ids: Collection[str] | None = None
) -> ClaimCheck | None:
    """Write ``results.csv``, ``figure.png`` and ``claim.json`` in ``preset_dir``; None if no run finished.

    ``run_ids``: the runs of the requested grid; records of other grids in the same folder (e.g. from
    earlier ``--set`` overrides) are left out, so one figure never mixes two configurations.
    """
    frame = load_runs(preset_dir / "runs", run_ids)
    if frame.empty:
        return None
    write_table(frame, preset_dir / "results.csv")
    finished = frame[frame["status"] == "ok"]
    if finished.empty:
        return None
    module = REPORTS[experiment]
    module.figure(finished, preset, preset_dir / "figure.png")
    check = module.claim_check(finished)
    check.save(preset_dir / "claim.json")
    return check
