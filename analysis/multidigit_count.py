"""Figure and claim check of ``multidigit_count``: single-digit linear accuracy vs digits per training image."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from analysis.claims import ClaimCheck, at_least
from analysis.gates import beats_floors, floor_numbers, trained_baseline
from analysis.plotting import save_figure
from datasets.multidigit import grid_cells

CLAIM = (
    "Up to about 8 digits per image SimCLR's features classify single digits as well as supervised ones; with "
    "random placement (digits overlap) accuracy drops earlier (about 12+ digits) than with in-grid placement."
)
MATCH_MARGIN = 0.05  # "as good as supervised": at most 5 points below at every count up to half the cells
PLACEMENT_MARGIN = 0.02  # random below in-grid: > 2 points, about 2 binomial sigmas of a 2k-image difference
# The paper's drop with random placement starts at about 12 of 16 cells: a grid must reach 3/4 of the cells.
DENSEST_SHARE = 0.75
METHOD_LABELS = {
    "simclr": "SimCLR",
    "supervised": "supervised (presence)",
    "random": "untrained encoder",
    "pixels": "raw pixels",
}


def curves(frame: pd.DataFrame) -> dict[tuple[str, str], pd.Series]:
    """(placement, method) -> mean ``acc_digit`` indexed by digits per image (seeds averaged)."""
    grouped = frame.groupby(["data.placement", "method.name", "data.n_digits"])["acc_digit"].mean()
    return {(p, m): grouped.loc[(p, m)].sort_index() for p, m in grouped.index.droplevel(2).unique()}


def figure(frame: pd.DataFrame, preset: str, path: Path) -> Path:
    placements = sorted(frame["data.placement"].unique(), reverse=True)  # random, in_grid
    fig, axes = plt.subplots(1, len(placements), figsize=(5.5 * len(placements), 4), sharey=True, squeeze=False)
    lines = curves(frame)
    for ax, placement in zip(axes[0], placements):
        for method, label in METHOD_LABELS.items():
            if (placement, method) in lines:
                curve = lines[(placement, method)]
                style = "-" if method == "simclr" else "--" if method == "supervised" else ":"
                ax.plot(curve.index, curve.values, style, marker="o", label=label)
        ax.axhline(frame["chance"].iloc[0], color="0.5", ls=":", label="chance")
        ax.set_title(f"{placement.replace('_', '-')} placement")
        ax.set_xlabel("digits per training image")
        ax.set_xticks(sorted(frame["data.n_digits"].unique()))
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("single-digit linear accuracy")
    axes[0][-1].legend(fontsize=8)
    canvas, digit = int(frame["data.canvas_size"].iloc[0]), int(frame["data.digit_size"].iloc[0])
    fig.suptitle(f"MultiDigits: many objects per image ({canvas} px canvas, {digit} px digits)")
    return save_figure(fig, frame, preset, path)


def claim_check(frame: pd.DataFrame) -> ClaimCheck:
    """Counts are compared as a fraction of the in-grid cells, so a smaller canvas keeps the paper's density:
    "up to 8 digits" is up to half the cells, "12+ digits" is three quarters of them or more."""
    lines = curves(frame)
    placements = sorted({p for p, _ in lines})
    if not all((p, m) in lines for p in placements for m in ("simclr", "supervised")):
        return ClaimCheck(CLAIM, {}, None, "needs SimCLR and supervised runs for every placement")
    cells = grid_cells(int(frame["data.canvas_size"].iloc[0]), int(frame["data.digit_size"].iloc[0]))
    numbers: dict[str, float] = {"in-grid cells": cells}
    gaps = []
    for placement in placements:
        simclr, supervised = lines[(placement, "simclr")], lines[(placement, "supervised")]
        for count in simclr.index.intersection(supervised.index):
            numbers[f"{placement} SimCLR acc @ {count} digits"] = simclr[count]
            numbers[f"{placement} supervised acc @ {count} digits"] = supervised[count]
            if count <= cells / 2:
                gaps.append(supervised[count] - simclr[count])
    gates = []
    for placement in placements:
        simclr, supervised = lines[(placement, "simclr")], lines[(placement, "supervised")]
        fewest = simclr.index.min()
        floor = {
            m: lines[(placement, m)][fewest] for m in ("random", "pixels") if fewest in lines.get((placement, m), ())
        }
        numbers |= floor_numbers(floor, f"{fewest} digits, {placement}")
        if fewest in supervised.index:
            gates.append(trained_baseline(f"{placement} supervised acc @ {fewest} digits", supervised[fewest]))
        gates += beats_floors(f"{placement} SimCLR acc @ {fewest} digits", simclr[fewest], floor)
    worst_gap = max(gaps) if gaps else float("nan")
    numbers["largest supervised - SimCLR gap, up to half the cells"] = worst_gap
    matches = bool(gaps) and worst_gap <= MATCH_MARGIN
    summary = (
        f"up to {cells // 2} digits (half the {cells} cells) SimCLR is at most {worst_gap:+.3f} below supervised "
        f"(needs <= {MATCH_MARGIN})"
    )
    if not {"random", "in_grid"} <= set(placements):
        return ClaimCheck(CLAIM, numbers, None, summary + "; cannot tell: needs both placements", gates)
    common = lines[("random", "simclr")].index.intersection(lines[("in_grid", "simclr")].index)
    most = common.max()
    below = lines[("in_grid", "simclr")][most] - lines[("random", "simclr")][most]
    numbers[f"SimCLR in-grid - random @ {most} digits"] = below
    summary += f"; at {most} digits random placement is {below:+.3f} below in-grid (needs > {PLACEMENT_MARGIN})"
    gates.append(
        at_least("largest digit count / in-grid cells", most / cells, DENSEST_SHARE, "the grid stops before the drop")
    )
    return ClaimCheck(CLAIM, numbers, matches and below > PLACEMENT_MARGIN, summary, gates)
