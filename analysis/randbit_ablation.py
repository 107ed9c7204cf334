"""Figure and claim check of ``randbit``'s ``colab_ablation`` preset: the notebook protocol, then with one of
its differences from the suite's defaults reverted at a time. Which differences move the online accuracy?

``differences``: name -> (the notebook's settings, the suite's defaults), as ``experiments.randbit`` declares
them; a run whose settings differ from a difference's notebook settings has that difference reverted.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from analysis.claims import ClaimCheck
from analysis.plotting import save_figure
from analysis.randbit import NOTEBOOK_OUTPUT

Differences = dict[str, tuple[dict, dict]]
CLAIM = (
    "Ported faithfully, the official RandBits notebook gives the online accuracies it printed at 5 and 10 bits "
    "(tau 0.1) to within 0.05; reverting its protocol differences one at a time shows which of them matter."
)
MATCH = 0.05  # the largest |ours - notebook's| still called a match
FAITHFUL = "none (notebook protocol)"
METRIC = "acc_online"


def reverted(frame: pd.DataFrame, differences: Differences) -> pd.Series:
    """Each run's reverted difference: its name, several joined by ' + ', or FAITHFUL."""

    def name(row: pd.Series) -> str:
        names = [n for n, (notebook, _) in differences.items() if any(row[k] != v for k, v in notebook.items())]
        return " + ".join(names) or FAITHFUL

    return frame.apply(name, axis=1)


def table(frame: pd.DataFrame, differences: Differences) -> pd.DataFrame:
    """Mean online accuracy: one row per reverted difference (FAITHFUL first), one column per number of bits."""
    accuracy = frame.assign(reverted=reverted(frame, differences)).pivot_table(
        index="reverted", columns="data.n_bits", values=METRIC, aggfunc="mean"
    )
    order = [FAITHFUL, *(n for n in differences if n in accuracy.index)]
    return accuracy.reindex(order + [n for n in accuracy.index if n not in order])


def _printed(frame: pd.DataFrame) -> dict[int, float]:
    return NOTEBOOK_OUTPUT.get(float(frame["loss.temperature"].iloc[0]), {})


def figure(frame: pd.DataFrame, preset: str, path: Path, differences: Differences) -> Path:
    accuracy, printed = table(frame, differences), _printed(frame)
    fig, ax = plt.subplots(figsize=(10, 1.6 + 0.42 * len(accuracy)))
    height = 0.8 / len(accuracy.columns)
    rows = np.arange(len(accuracy))
    for i, bits in enumerate(accuracy.columns):
        bars = ax.barh(rows + i * height, accuracy[bits], height, label=f"{bits} bits")
        colour = bars.patches[0].get_facecolor()
        if FAITHFUL in accuracy.index:
            ax.axvline(accuracy.loc[FAITHFUL, bits], color=colour, ls="--", lw=1)
        if bits in printed:
            ax.axvline(printed[bits], color=colour, ls=":", lw=2, label=f"notebook's printed output, {bits} bits")
    ax.set_yticks(rows + height * (len(accuracy.columns) - 1) / 2, list(accuracy.index))
    ax.invert_yaxis()
    ax.set_ylabel("reverted to the suite's default")
    ax.set_xlabel(f"test accuracy (online classifier; dashed: no difference reverted, {frame['seed'].nunique()} seed)")
    ax.set_xlim(0, 1)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    ax.set_title(f"Notebook protocol, one difference reverted at a time (tau {frame['loss.temperature'].iloc[0]})")
    return save_figure(fig, frame, preset, path)


def claim_check(frame: pd.DataFrame, differences: Differences) -> ClaimCheck:
    accuracy, printed = table(frame, differences), _printed(frame)
    if FAITHFUL not in accuracy.index or not printed:
        return ClaimCheck(
            CLAIM, {}, None, "needs the runs with no difference reverted, at a temperature the notebook ran"
        )
    faithful = accuracy.loc[FAITHFUL]
    numbers: dict[str, float] = {}
    for bits in accuracy.columns:
        numbers[f"{METRIC} @ {bits} bits, notebook protocol"] = faithful[bits]
        if bits in printed:
            numbers[f"{METRIC} @ {bits} bits, notebook's printed output"] = printed[bits]
    shifts = accuracy.drop(FAITHFUL) - faithful
    for name, row in shifts.iterrows():
        for bits, shift in row.items():
            numbers[f"shift @ {bits} bits, {name} reverted"] = shift
    gaps = {bits: faithful[bits] - printed[bits] for bits in accuracy.columns if bits in printed}
    largest = shifts.abs().max(axis=1).sort_values(ascending=False).index[:3]
    moved = "; ".join(
        f"{name}: " + ", ".join(f"{shifts.loc[name, bits]:+.3f} @ {bits}" for bits in shifts.columns)
        for name in largest
    )
    summary = (
        "ours minus the notebook's printed output: "
        + ", ".join(f"{gap:+.3f} @ {bits} bits" for bits, gap in gaps.items())
        + f" (a match needs |gap| <= {MATCH}); the largest shifts when reverted: {moved}"
    )
    return ClaimCheck(CLAIM, numbers, all(abs(g) <= MATCH for g in gaps.values()), summary)
