"""Figures and claim check of ``color_distortion``.

* ``figure.png``: linear accuracy on the object class (left) and the colour-histogram retrieval accuracy of
  two crops of one image (right) against the colour distortion strength, jitter only and jitter + grayscale;
* ``figure_histograms.png``: crops of two photographs and their colour histograms, without colour
  distortion and at the largest strength (the SimCLR paper's Fig. 6), from ``runs/<run-id>/crops.npz``.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from analysis.claims import ClaimCheck, at_least
from analysis.gates import beats_floors, floor_numbers, floors, without_floors
from analysis.plotting import draw_floors, save_figure

CROPS_FILE = "crops.npz"
CLAIM = (
    "Without colour distortion, crops of one image share their colour histogram, so contrastive learning can "
    "match views by colour alone: crop histograms identify their image, and linear accuracy on the "
    "class is lower than with colour distortion."
)
MARGIN = 0.05  # accuracy difference that counts (2,000 test crops: a binomial sigma of about 0.011)
SHORTCUT_DROP = 0.2  # histogram retrieval must fall by this much with the strongest distortion
# The shortcut must exist: without distortion a crop's colour histogram must find the other crop of its
# image at 0.10 or more (50 times chance with 500 candidates), or there is nothing for distortion to remove.
SHORTCUT_AVAILABLE = 0.10


def _variant(frame: pd.DataFrame) -> pd.Series:
    return frame["augment.gray_prob"].map(lambda p: "jitter + grayscale" if p and p > 0 else "jitter only")


def _labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with a ``variant`` column; a strength-0 run (no colour distortion, so no grayscale either: one
    run) is the strength-0 point of every variant."""
    labelled = frame.assign(variant=_variant(frame))
    distorted = labelled[labelled["augment.color_strength"] > 0]
    undistorted = labelled[labelled["augment.color_strength"] == 0]
    copies = [undistorted.assign(variant=variant) for variant in distorted["variant"].unique()]
    return pd.concat([distorted, *copies]) if copies else labelled


def curves(frame: pd.DataFrame, metric: str, statistic: str = "mean") -> dict[str, pd.Series]:
    """variant -> ``statistic`` (mean, or std across seeds) of ``metric`` indexed by colour strength."""
    grouped = _labelled(without_floors(frame)).groupby(["variant", "augment.color_strength"])[metric]
    grouped = grouped.agg(statistic).fillna(0.0)
    return {v: grouped.loc[v].sort_index() for v in grouped.index.get_level_values(0).unique()}


def figure(frame: pd.DataFrame, preset: str, path: Path) -> Path:
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    panels = (("acc_linear", "chance", "linear probe: class"), ("hist_retrieval", "hist_chance", None))
    for ax, (metric, chance, title) in zip(axes, panels):
        if metric == "acc_linear":
            draw_floors(ax, frame, metric)
        spread = curves(frame, metric, "std")
        for variant, curve in curves(frame, metric).items():
            ax.errorbar(curve.index, curve.values, yerr=spread[variant].values, marker="o", capsize=3, label=variant)
        ax.axhline(frame[chance].iloc[0], color="0.5", ls=":", label="chance")
        ax.set_xlabel("colour distortion strength")
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
        ax.set_title(title or "colour histogram finds the other crop of its image")
    axes[0].set_ylabel("test accuracy (mean and std over seeds)")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"Colour distortion and the colour-histogram shortcut ({frame['data_source'].iloc[0]})")
    save_figure(fig, frame, preset, path)
    _histogram_figure(frame, preset, path)
    return path


def _histogram_figure(frame: pd.DataFrame, preset: str, path: Path) -> None:
    """Crops of two images with their per-channel histograms, at strength 0 and at the largest strength."""
    trained = without_floors(frame)
    with_gray = trained[_variant(trained) == "jitter + grayscale"]
    chosen = with_gray if not with_gray.empty else trained
    strengths = sorted(chosen["augment.color_strength"].unique())
    rows = []
    for strength in (strengths[0], strengths[-1]):
        run_id = chosen[chosen["augment.color_strength"] == strength]["run_id"].iloc[0]
        file = path.parent / "runs" / str(run_id) / CROPS_FILE
        if file.exists():
            with np.load(file) as arrays:
                rows.append((strength, arrays["crops"]))
    if not rows:
        return
    per_image = len(rows[0][1]) // 2
    fig, axes = plt.subplots(2 * len(rows), per_image + 1, figsize=(2 * (per_image + 1) + 1.5, 2 * 2 * len(rows)))
    for r, (strength, crops) in enumerate(rows):
        for image in range(2):
            row = axes[2 * r + image]
            shown = crops[image * per_image : (image + 1) * per_image]
            for ax, crop in zip(row[:-1], shown):
                ax.imshow(crop.transpose(1, 2, 0))
                ax.set_xticks([])
                ax.set_yticks([])
            row[0].set_ylabel(f"image {image + 1}\nstrength {strength:g}", fontsize=8)
            for crop_index, crop in enumerate(shown):
                for channel, colour in enumerate(("red", "green", "blue")):
                    counts, edges = np.histogram(crop[channel], bins=16, range=(0, 256), density=True)
                    label = colour if crop_index == 0 else None
                    row[-1].plot(edges[:-1], counts, color=colour, alpha=0.5, lw=1, label=label)
            row[-1].set_yticks([])
            row[-1].set_title("histograms of the crops", fontsize=8)
    fig.suptitle("Crops of one image share a colour histogram, unless colour is distorted")
    save_figure(fig, frame, preset, path.with_name("figure_histograms.png"))


def claim_check(frame: pd.DataFrame) -> ClaimCheck:
    """Gates: the shortcut exists (histogram retrieval without distortion) and the best SimCLR run beats
    both floors. Claim: with the strongest distortion accuracy rises and histogram retrieval falls."""
    accuracy, retrieval = curves(frame, "acc_linear"), curves(frame, "hist_retrieval")
    chance = float(frame["chance"].iloc[0])
    numbers: dict[str, float] = {"chance": chance, "hist_chance": float(frame["hist_chance"].iloc[0])}
    verdicts, parts = [], []
    for variant, curve in accuracy.items():
        if len(curve) < 2 or curve.index.min() != 0:
            continue
        low, high = curve.index.min(), curve.index.max()
        numbers |= {f"{variant} acc @ strength {s:g}": v for s, v in curve.items()}
        numbers |= {f"{variant} hist retrieval @ strength {s:g}": v for s, v in retrieval[variant].items()}
        gain, drop = curve.loc[high] - curve.loc[low], retrieval[variant].loc[low] - retrieval[variant].loc[high]
        verdicts.append(gain > MARGIN and drop > SHORTCUT_DROP)
        parts.append(
            f"{variant}: accuracy {curve.loc[low]:.3f} without distortion vs {curve.loc[high]:.3f} at strength "
            f"{high:g} ({gain:+.3f}), histogram retrieval {retrieval[variant].loc[low]:.3f} -> "
            f"{retrieval[variant].loc[high]:.3f}"
        )
    if not verdicts:
        return ClaimCheck(CLAIM, numbers, None, "needs strength 0 and a larger strength")
    summary = "; ".join(parts) + f" (supported needs accuracy +{MARGIN} and retrieval -{SHORTCUT_DROP})"
    undistorted = next(iter(retrieval.values())).iloc[0]
    gates = [at_least("hist retrieval @ strength 0", undistorted, SHORTCUT_AVAILABLE, "no colour shortcut to remove")]
    floor = floors(frame, "acc_linear")
    numbers |= floor_numbers(floor, "any strength")
    gates += beats_floors("best SimCLR acc", max(c.max() for c in accuracy.values()), floor)
    return ClaimCheck(CLAIM, numbers, all(verdicts), summary, gates)
