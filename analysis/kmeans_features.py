"""Figures, score table and claim check of ``kmeans_features``.

* ``figure.png`` (the paper's left panel): k-means maps at the last block, one row per encoder and raw
  pixels, columns K, for a whole photograph and a masked image;
* ``figure_blocks.png`` (the right panel): the SimCLR encoder's maps, one row per block, columns K;
* ``figure_scores.png``: object IoU and ARI on the masked images against K, per block and encoder.

The maps come from ``runs/<run-id>/maps.npz``, saved by each run next to its record.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from analysis.claims import ClaimCheck
from analysis.plotting import save_figure

MAPS_FILE = "maps.npz"
PIXELS = "raw pixels"
CLAIM = (
    "Like supervised features, SimCLR features group object regions (more than raw pixels, which group "
    "colour), and later blocks give more object-level groups than earlier ones."
)
# A difference counts above 0.05 IoU: over 64 masked images with a per-image spread of about 0.2, the
# standard error of a mean is about 0.025, so 0.05 is two of them.
MARGIN = 0.05
SHOWN_IMAGES = (0, 3)  # the cat's face and the first masked image (maps.npz order: 3 photographs, 3 masked)


def encoder_names(frame: pd.DataFrame) -> pd.Series:
    """Each run's encoder name: ``kmeans.label``, else the trained method, else the weights file's name."""

    def name(row: pd.Series) -> str:
        if isinstance(row.get("kmeans.label"), str) and row["kmeans.label"]:
            return row["kmeans.label"]
        if row["kmeans.encoder"] == "trained":
            return str(row["method.name"])
        return Path(str(row["kmeans.encoder"]).partition(":")[2]).name

    return frame.apply(name, axis=1)


def _role(name: str) -> str | None:
    lowered = name.lower()
    return next((role for role in ("simclr", "supervised", "random") if role in lowered), None)


def scores(frame: pd.DataFrame) -> pd.DataFrame:
    """Long table: encoder, block, k, ari, iou (seeds averaged); raw pixels once, averaged over the runs."""
    rows = []
    for name, (_, run) in zip(encoder_names(frame), frame.iterrows()):
        for column in run.index:
            for prefix, encoder in (("iou_", name), ("pixels_iou_", PIXELS)):
                if column.startswith(prefix) and pd.notna(run[column]):
                    block, k = (int(part[1:]) for part in column.removeprefix(prefix).split("_"))
                    ari = run[column.replace("iou_", "ari_")]
                    rows.append({"encoder": encoder, "block": block, "k": k, "ari": ari, "iou": run[column]})
    table = pd.DataFrame(rows)
    return table.groupby(["encoder", "block", "k"], as_index=False)[["ari", "iou"]].mean()


def _maps(frame: pd.DataFrame, path: Path) -> dict[str, dict[str, np.ndarray]]:
    """Encoder name -> the arrays saved by its run (the first seed), for runs whose maps are present."""
    loaded = {}
    for name, run_id in zip(encoder_names(frame), frame["run_id"]):
        file = path.parent / "runs" / str(run_id) / MAPS_FILE
        if name not in loaded and file.exists():
            with np.load(file) as arrays:
                loaded[name] = dict(arrays)
    return loaded


def _overlay(ax: plt.Axes, image: np.ndarray, clusters: np.ndarray | None, mask: np.ndarray | None) -> None:
    grey = image.mean(axis=0) / 255.0
    if clusters is None:
        ax.imshow(image.transpose(1, 2, 0))
        if mask is not None and mask.any():
            ax.contour(mask, levels=[0.5], colors="white", linewidths=0.8)
    else:
        repeat = image.shape[-1] // clusters.shape[-1]
        big = np.kron(clusters, np.ones((repeat, repeat), dtype=clusters.dtype))
        ax.imshow(grey, cmap="gray", vmin=0, vmax=1)
        ax.imshow(big, cmap="tab10", vmin=0, vmax=9, alpha=0.6, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])


def _map_grid(rows: list[tuple[str, dict[str, np.ndarray], str]], ks: list[int], title: str) -> plt.Figure:
    """rows: (row label, arrays, map key prefix such as ``encoder_b4``); each shown image gets its rows."""
    n_rows = len(rows) * len(SHOWN_IMAGES)
    fig, axes = plt.subplots(n_rows, len(ks) + 1, figsize=(1.9 * (len(ks) + 1), 1.9 * n_rows + 0.6), squeeze=False)
    for i, image_index in enumerate(SHOWN_IMAGES):
        for j, (label, arrays, prefix) in enumerate(rows):
            row = axes[i * len(rows) + j]
            image, mask = arrays["images"][image_index], arrays["masks"][image_index]
            _overlay(row[0], image, None, mask)
            row[0].set_ylabel(label, fontsize=9)
            for ax, k in zip(row[1:], ks):
                _overlay(ax, image, arrays[f"{prefix}_k{k}"][image_index], None)
                if i == 0 and j == 0:
                    ax.set_title(f"K = {k}", fontsize=10)
    axes[0][0].set_title("image", fontsize=10)
    fig.suptitle(title, fontsize=11)
    return fig


def figure(frame: pd.DataFrame, preset: str, path: Path) -> Path:
    table = scores(frame)
    ks, blocks = sorted(table["k"].unique()), sorted(table["block"].unique())
    last = blocks[-1]
    maps = _maps(frame, path)
    if maps:
        first = next(iter(maps.values()))
        rows = [(name, arrays, f"encoder_b{last}") for name, arrays in maps.items()] + [
            (PIXELS, first, f"pixels_b{last}")
        ]
        fig = _map_grid(rows, ks, f"k-means maps of block {last} features (rows) for K clusters (columns)")
        save_figure(fig, frame, preset, path)
        simclr = next((name for name in maps if _role(name) == "simclr"), next(iter(maps)))
        rows = [(f"{simclr}\nblock {b}", maps[simclr], f"encoder_b{b}") for b in blocks]
        fig = _map_grid(rows, ks, f"k-means maps of the {simclr} encoder, one block group per row")
        save_figure(fig, frame, preset, path.with_name("figure_blocks.png"))
    save_figure(_scores_figure(table), frame, preset, path.with_name("figure_scores.png"))
    if not maps:  # records without their map folders: the score plot is the figure
        save_figure(_scores_figure(table), frame, preset, path)
    return path


def _scores_figure(table: pd.DataFrame) -> plt.Figure:
    blocks = sorted(table["block"].unique())
    fig, axes = plt.subplots(2, len(blocks), figsize=(4 * len(blocks), 7), sharey="row", squeeze=False)
    for column, block in enumerate(blocks):
        for name, curve in table[table["block"] == block].groupby("encoder"):
            style = ":" if name == PIXELS else "-"
            for row, metric in enumerate(("iou", "ari")):
                axes[row][column].plot(curve["k"], curve[metric], style, marker="o", label=name)
        axes[0][column].set_title(f"block {block}")
        axes[1][column].set_xlabel("K (clusters per image)")
    axes[0][0].set_ylabel("object IoU (majority clusters)")
    axes[1][0].set_ylabel("ARI (clusters vs object mask)")
    for ax in axes.ravel():
        ax.grid(alpha=0.3)
    axes[0][-1].legend(fontsize=8)
    fig.suptitle("How well k-means clusters follow the object on masked images (higher: more object-aligned)")
    return fig


def claim_check(frame: pd.DataFrame) -> ClaimCheck:
    table = scores(frame)
    roles = {_role(name): name for name in table["encoder"].unique() if _role(name)}
    if "simclr" not in roles or "supervised" not in roles:
        return ClaimCheck(CLAIM, {}, None, "needs a SimCLR and a supervised encoder")
    blocks = sorted(table["block"].unique())
    first, last = blocks[0], blocks[-1]

    def iou(encoder: str, block: int) -> float:
        rows = table[(table["encoder"] == encoder) & (table["block"] == block)]
        return float(rows["iou"].mean())  # averaged over K

    numbers = {f"iou_{role}_block{b}": iou(name, b) for role, name in roles.items() for b in blocks}
    numbers |= {f"iou_pixels_block{b}": iou(PIXELS, b) for b in blocks}
    simclr, supervised, pixels = (
        numbers[f"iou_simclr_block{last}"],
        numbers[f"iou_supervised_block{last}"],
        numbers[f"iou_pixels_block{last}"],
    )
    random = numbers.get(f"iou_random_block{last}")
    if random is not None and max(simclr, supervised) < random + 0.02:
        return ClaimCheck(
            CLAIM,
            numbers,
            None,
            f"neither trained encoder groups the object better than an untrained one "
            f"at block {last} (IoU {simclr:.3f} / {supervised:.3f} vs {random:.3f}): nothing to compare",
        )
    like_supervised = simclr >= supervised - MARGIN
    beats_pixels = simclr > pixels + MARGIN
    hierarchical = len(blocks) < 2 or numbers[f"iou_simclr_block{last}"] > numbers[f"iou_simclr_block{first}"] + MARGIN
    parts = [
        f"SimCLR block-{last} object IoU {simclr:.3f} vs supervised {supervised:.3f} "
        f"({'within' if like_supervised else 'not within'} {MARGIN})",
        f"vs raw pixels {pixels:.3f} ({'above' if beats_pixels else 'not above'} by {MARGIN})",
        f"SimCLR block {first} -> {last}: {numbers[f'iou_simclr_block{first}']:.3f} -> {simclr:.3f} "
        f"({'rises' if hierarchical else 'does not rise'} by {MARGIN})",
    ]
    return ClaimCheck(CLAIM, numbers, like_supervised and beats_pixels and hierarchical, "; ".join(parts))
