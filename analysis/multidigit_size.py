"""Figure and claim check of ``multidigit_size``: linear accuracy on the small and the large digit vs size."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from analysis.claims import ClaimCheck
from analysis.gates import FLOOR_LABELS, beats_floors, floor_numbers, trained_baseline
from analysis.plotting import save_figure

CLAIM = (
    "Supervised stays high for both digits; SimCLR's accuracy on the small digit falls toward a random "
    "network's as the other digit grows, while the large digit is learned well."
)


def _curves(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    curves = {}
    for (method, tau), group in frame.groupby(["method.name", "loss.temperature"], dropna=False):
        label = f"SimCLR tau={tau:g}" if method == "simclr" else FLOOR_LABELS.get(method, method)
        curves[label] = group.groupby("data.large_size")[["acc_small", "acc_large"]].mean().sort_index()
    return curves


def figure(frame: pd.DataFrame, preset: str, path: Path) -> Path:
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    small = int(frame["data.small_size"].iloc[0])
    for label, curve in _curves(frame).items():
        style = ":" if label in FLOOR_LABELS.values() else "--" if label == "supervised" else "-"
        for ax, column in zip(axes, ("acc_small", "acc_large")):
            ax.plot(curve.index, curve[column], style, marker="o", label=label)
    axes[0].set_title(f"small digit ({small} px), linear eval")
    axes[1].set_title("large digit (second digit's size), linear eval")
    for ax in axes:
        ax.set_xlabel("size of the second digit (px)")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("test accuracy")
    axes[1].legend(fontsize=8)
    fig.suptitle(f"Modified MultiDigits: feature suppression ({int(frame['data.canvas_size'].iloc[0])} px canvas)")
    return save_figure(fig, frame, preset, path)


def claim_check(frame: pd.DataFrame) -> ClaimCheck:
    """Gates (with equal digits, the smallest second size): supervised reads the small digit, and the best
    SimCLR beats both floors on it (there is a learned feature to suppress). Claim: SimCLR's small-digit
    accuracy drops as the second digit grows, and supervised stays above it at the largest size."""
    curves = _curves(frame)
    simclr = {k: v for k, v in curves.items() if k.startswith("SimCLR")}
    if not simclr or "supervised" not in curves:
        return ClaimCheck(CLAIM, {}, None, "needs SimCLR and supervised runs")
    best = max(simclr, key=lambda k: simclr[k]["acc_small"].iloc[0])
    sizes = simclr[best].index.intersection(curves["supervised"].index)
    if len(sizes) < 2:
        return ClaimCheck(CLAIM, {}, None, "needs SimCLR and supervised runs at two or more second-digit sizes")
    smallest, largest = sizes.min(), sizes.max()
    ours, supervised = simclr[best]["acc_small"], curves["supervised"]["acc_small"]
    numbers = {
        f"{best} small-digit acc @ second={smallest}px": ours[smallest],
        f"{best} small-digit acc @ second={largest}px": ours[largest],
        f"{best} large-digit acc @ second={largest}px": simclr[best].loc[largest, "acc_large"],
        f"supervised small-digit acc @ second={smallest}px": supervised[smallest],
        f"supervised small-digit acc @ second={largest}px": supervised[largest],
    }
    floor = {
        method: curves[label].loc[smallest, "acc_small"]
        for method, label in FLOOR_LABELS.items()
        if label in curves and smallest in curves[label].index
    }
    numbers |= floor_numbers(floor, f"second={smallest}px (small digit)")
    gates = [trained_baseline(f"supervised small-digit acc @ second={smallest}px", supervised[smallest])]
    gates += beats_floors(f"{best} small-digit acc @ second={smallest}px", ours[smallest], floor)
    drop, gap = ours[smallest] - ours[largest], supervised[largest] - ours[largest]
    summary = (
        f"SimCLR's small-digit accuracy changes by {-drop:+.3f} as the second digit grows from {smallest} "
        f"to {largest} px; supervised is {gap:+.3f} above SimCLR at {largest} px "
        f"(supported needs a drop > 0.05 and a gap > 0.05)"
    )
    return ClaimCheck(CLAIM, {k: float(v) for k, v in numbers.items()}, drop > 0.05 and gap > 0.05, summary, gates)
