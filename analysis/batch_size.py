"""Figure and claim check of ``batch_size``: linear accuracy vs batch size, one line per head depth."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from analysis.claims import ClaimCheck, Gate, at_least
from analysis.gates import beats_floors, floor_numbers, floors, seed_spread, without_floors
from analysis.generalized_losses import hidden_layers
from analysis.plotting import draw_floors, save_figure

CLAIM = (
    "A deeper projection head narrows the accuracy gap between small and large batches: the difference between "
    "the smallest and the largest batch shrinks as hidden layers are added."
)
GAP_MARGIN = 0.02  # a gap, or a narrowing, counts when it exceeds 2 points (about 2 sigmas of 5k test images)


def table(frame: pd.DataFrame, statistic: str = "mean") -> pd.DataFrame:
    """Accuracy over seeds (``mean`` or ``std``): one row per number of hidden layers, one column per batch."""
    frame = without_floors(frame)
    frame = frame.assign(hidden=hidden_layers(frame), **{"optim.batch_size": frame["optim.batch_size"].astype(int)})
    return frame.pivot_table(
        index="hidden", columns="optim.batch_size", values="acc_linear", aggfunc=statistic, dropna=False
    )


def figure(frame: pd.DataFrame, preset: str, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(6, 4.2))
    spread = table(frame, "std").fillna(0.0)
    draw_floors(ax, frame, "acc_linear")
    for hidden, row in table(frame).iterrows():
        ax.errorbar(row.index, row.values, spread.loc[hidden], marker="o", capsize=3, label=f"{hidden} hidden layers")
    ax.set_xscale("log", base=2)
    batches = sorted(without_floors(frame)["optim.batch_size"].unique())
    ax.set_xticks(batches, [str(b) for b in batches])
    ax.set_xlabel(
        "batch size (lr x sqrt(batch / 256))"
        if without_floors(frame)["optim.lr_scaling"].eq("sqrt").all()
        else "batch size"
    )
    ax.set_ylabel("linear accuracy (encoder output)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    encoder = without_floors(frame)["model.encoder"].iloc[0]
    ax.set_title(f"Batch size x head depth ({frame['data_source'].iloc[0]}, {encoder})")
    return save_figure(fig, frame, preset, path)


def claim_check(frame: pd.DataFrame) -> ClaimCheck:
    accuracy, spread = table(frame), table(frame, "std")
    if accuracy.shape[0] < 2 or accuracy.shape[1] < 2:
        return ClaimCheck(CLAIM, {}, None, "needs two or more head depths and batch sizes")
    smallest, largest = accuracy.columns.min(), accuracy.columns.max()
    signed = accuracy[largest] - accuracy[smallest]
    gaps = signed.abs()
    numbers = {f"acc @ batch {largest} - acc @ batch {smallest}, {h} hidden layers": g for h, g in signed.items()}
    numbers["largest seed std"] = spread.max().max()
    shallow, deep = gaps.index.min(), gaps.index.max()
    summary = (
        f"the gap between batch {smallest} and {largest} is {gaps[shallow]:.3f} with {shallow} hidden layers and "
        f"{gaps[deep]:.3f} with {deep} (supported needs it to shrink by more than {GAP_MARGIN})"
    )
    floor = floors(frame, "acc_linear")
    numbers |= floor_numbers(floor, "any batch")
    gates = beats_floors("best acc", accuracy.max().max(), floor)
    gates.append(_gap_to_narrow(gaps[shallow], spread.loc[shallow, [smallest, largest]].max(), shallow))
    trained = without_floors(frame).assign(hidden=hidden_layers(without_floors(frame)))
    gates += seed_spread(trained, "acc_linear", ["hidden", "optim.batch_size"], GAP_MARGIN)
    return ClaimCheck(CLAIM, numbers, gaps[shallow] - gaps[deep] > GAP_MARGIN, summary, gates)


def _gap_to_narrow(gap: float, seed_std: float, hidden: int) -> Gate:
    """A batch-size gap at the shallowest head beyond both the margin and its cells' seed spread: without one
    there is nothing for a deeper head to narrow. (With one seed, the std is NaN and only the margin counts.)"""
    noise = 0.0 if pd.isna(seed_std) else float(seed_std)
    return at_least(
        f"batch gap @ {hidden} hidden layers - max({GAP_MARGIN}, its seed std)",
        gap - max(GAP_MARGIN, noise),
        0.0,
        "no batch-size gap beyond the seed spread at the shallowest head: nothing for a deeper head to narrow",
    )
