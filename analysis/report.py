"""From a grid's results table to the committed outputs: results.csv, figure.png and claim.json."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd

from analysis.claims import ClaimCheck
from analysis.gates import without_floors
from analysis.tables import write_table

REPORT_LOCK = ".report.lock"


@contextlib.contextmanager
def report_lock(preset_dir: Path) -> Iterator[None]:
    """Hold ``<preset_dir>/.report.lock`` exclusively (``flock``; released when the process dies), so that two
    processes finishing a sweep together write one consistent table, figure and claim after the other."""
    preset_dir.mkdir(parents=True, exist_ok=True)
    with (preset_dir / REPORT_LOCK).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


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
    (and, with no finished run, an earlier figure). Returns the claim check. Runs under ``report_lock``."""
    with report_lock(preset_dir):
        write_table(frame, preset_dir / "results.csv")
        finished = frame[frame["status"] == "ok"]
        if without_floors(finished).empty:  # only floor runs (or none): nothing to draw a claim's curves from
            finished = finished.iloc[:0]
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
