"""From a grid's results table to the committed outputs: results.csv, figure.png and claim.json."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from analysis.claims import ClaimCheck
from analysis.tables import write_table


def build_report(
    frame: pd.DataFrame,
    preset: str,
    preset_dir: Path,
    figure: Callable[[pd.DataFrame, str, Path], Path],
    claim_check: Callable[[pd.DataFrame], ClaimCheck],
    complete: bool,
) -> ClaimCheck | None:
    """Write the table (every run of the grid, failed ones too) and the figure (finished runs); check and
    save the claim only when ``complete`` (every run of the grid finished), else remove an earlier claim
    (and, with no finished run, an earlier figure). Returns the claim check."""
    write_table(frame, preset_dir / "results.csv")
    finished = frame[frame["status"] == "ok"]
    stale = [preset_dir / "claim.json"] if finished.empty or not complete else []
    for path in stale + ([preset_dir / "figure.png"] if finished.empty else []):
        path.unlink(missing_ok=True)  # an earlier grid's figure or claim must not pass for this one's
    if finished.empty:
        return None
    figure(finished, preset, preset_dir / "figure.png")
    if not complete:
        return None
    check = claim_check(finished)
    check.save(preset_dir / "claim.json")
    return check
