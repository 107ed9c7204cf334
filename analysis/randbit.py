"""Figure and claim check of ``randbit``: linear accuracy vs number of random bits."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from analysis.claims import ClaimCheck
from analysis.plotting import accuracy_axes, save_figure
from analysis.tables import varying_columns

CLAIM = (
    "From about 10 random bits on, linear evaluation accuracy collapses toward chance: the network learns "
    "the bits and ignores the image. Temperature and batch size help only slightly."
)
LEARNED_MARGIN = 0.1  # without bits the probe must beat chance by this much, or there is nothing to collapse


def _metrics(frame: pd.DataFrame) -> list[str]:
    return [m for m in ("acc_linear", "acc_online") if m in frame and frame[m].notna().any()]


def figure(frame: pd.DataFrame, preset: str, path: Path) -> Path:
    metrics = _metrics(frame)
    fig, axes = plt.subplots(1, len(metrics), figsize=(5.5 * len(metrics), 4), squeeze=False)
    groups = varying_columns(frame, ["loss.temperature", "optim.batch_size", "method.name"]) or ["method.name"]
    for ax, metric in zip(axes[0], metrics):
        for key, group in frame.groupby(groups, dropna=False):
            key = key if isinstance(key, tuple) else (key,)
            label = ", ".join(f"{g.split('.')[-1]}={v}" for g, v in zip(groups, key))
            curve = group.groupby("data.n_bits")[metric].mean().sort_index()
            ax.plot(curve.index, curve.values, marker="o", label=label)
        ylabel = f"test accuracy ({metric.removeprefix('acc_')} classifier)"
        accuracy_axes(ax, frame["chance"].iloc[0], "number of random bits", ylabel, legend_size=7)
    fig.suptitle(f"RandBit: feature suppression ({frame['data.images'].iloc[0]}, {frame['model.encoder'].iloc[0]})")
    return save_figure(fig, frame, preset, path)


def claim_check(frame: pd.DataFrame) -> ClaimCheck:
    metric = _metrics(frame)[-1]  # the online classifier where the notebook protocol reports it
    by_bits = frame.groupby("data.n_bits")[metric]
    chance = float(frame["chance"].iloc[0])
    zero_bits, most = frame["data.n_bits"].min(), frame["data.n_bits"].max()
    numbers = {f"mean {metric} @ {b} bits": float(v) for b, v in by_bits.mean().sort_index().items()}
    numbers[f"best {metric} @ {most} bits"] = float(by_bits.max().loc[most])
    numbers["chance"] = chance
    base, worst_case_best = numbers[f"mean {metric} @ {zero_bits} bits"], numbers[f"best {metric} @ {most} bits"]
    kept = (worst_case_best - chance) / max(base - chance, 1e-9)
    supported = zero_bits == 0 and most >= 10 and kept < 0.5
    summary = (
        f"with {most} bits even the best setting keeps {kept:.0%} of the above-chance accuracy of "
        f"0 bits ({worst_case_best:.3f} vs {base:.3f}, chance {chance:.3f}); supported needs < 50%"
    )
    if base - chance < LEARNED_MARGIN:
        summary += f"; cannot tell: without bits the accuracy is only {base - chance:+.3f} above chance"
        return ClaimCheck(CLAIM, numbers, None, summary)
    return ClaimCheck(CLAIM, numbers, supported, summary)
