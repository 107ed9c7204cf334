"""Figures, score table and claim check of ``kmeans_features``.

* ``figure.png`` (the paper's left panel): k-means maps at the last block, one row per encoder and raw
  pixels, columns K, for a whole photograph and a masked image;
* ``figure_blocks.png`` (the right panel): the SimCLR encoder's maps, one row per block, columns K;
* ``figure_scores.png``: object IoU on each set of masked images against K, per block and encoder (the ARI
  is in ``results.csv``).

The maps come from ``runs/<run-id>/maps.npz``, saved by each run next to its record; where the run left out
the padding ring (``border`` pixels), the maps cover the interior and the ring is drawn shaded.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from analysis.claims import ClaimCheck, at_least
from analysis.plotting import save_figure

MAPS_FILE = "maps.npz"
PIXELS = "raw pixels"
CLAIM = (
    "Like supervised features, SimCLR features group object regions (more than an untrained encoder, and more "
    "than raw pixels where colour cannot tell the object from its background), and later blocks give more "
    "object-level groups than earlier ones."
)
# Sets whose objects have their background's colour mean and spread: only there is "more than raw pixels" a
# fair test, since elsewhere colour alone finds the object. On the others the untrained encoder is the reference.
COLOUR_MATCHED = ("matched",)
# A difference counts above 0.05 IoU: over 64 masked images with a per-image spread of about 0.2, the
# standard error of a mean is about 0.025, so 0.05 is two of them.
MARGIN = 0.05
LEARNED_MARGIN = 0.02  # IoU points by which training must improve on the untrained encoder (averaged over K)
# Accuracy by which a trained encoder must beat the untrained one on its own training task on held-out
# canvases (the digit probe, or view retrieval): 2 points, about two standard errors of the difference of two
# accuracies near 0.1-0.3 measured on 2k canvases (2k probe images, 4k retrieval views).
LEARNED_PROBE_MARGIN = 0.02
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
    """simclr / supervised / random (an untrained encoder: the method's name, or a label saying so), else None."""
    lowered = name.lower().replace("untrained", "random")
    return next((role for role in ("simclr", "supervised", "random") if role in lowered), None)


METRIC_COLUMN = re.compile(r"^(?P<objects>[a-z]+)_(?P<pixels>pixels_)?iou_b(?P<block>\d+)_k(?P<k>\d+)$")


def scores(frame: pd.DataFrame) -> pd.DataFrame:
    """Long table: objects (the scored set), encoder, block, k, ari, iou (seeds averaged); raw pixels once,
    averaged over the runs."""
    rows = []
    for name, (_, run) in zip(encoder_names(frame), frame.iterrows()):
        for column in run.index:
            match = METRIC_COLUMN.match(column)
            if match and pd.notna(run[column]):
                encoder = PIXELS if match["pixels"] else name
                row = {"objects": match["objects"], "encoder": encoder, "block": int(match["block"])}
                row |= {"k": int(match["k"]), "ari": run[column.replace("iou_", "ari_")], "iou": run[column]}
                rows.append(row)
    table = pd.DataFrame(rows)
    return table.groupby(["objects", "encoder", "block", "k"], as_index=False, sort=False)[["ari", "iou"]].mean()


def _maps(frame: pd.DataFrame, path: Path) -> dict[str, dict[str, np.ndarray]]:
    """Encoder name -> the arrays saved by its run (the first seed), for runs whose maps are present."""
    loaded = {}
    for name, run_id in zip(encoder_names(frame), frame["run_id"]):
        file = path.parent / "runs" / str(run_id) / MAPS_FILE
        if name not in loaded and file.exists():
            with np.load(file) as arrays:
                loaded[name] = dict(arrays)
    return loaded


def _overlay(
    ax: plt.Axes, image: np.ndarray, clusters: np.ndarray | None, mask: np.ndarray | None, border: int
) -> None:
    """An image, or in grey under a cluster map of its interior (``border`` pixels in from each edge; the ring
    left out is shaded); the mask's outline on both, so that one sees whether the clusters follow it."""
    size = image.shape[-1]
    if clusters is None:
        ax.imshow(image.transpose(1, 2, 0))
    else:
        inner = (border - 0.5, size - border - 0.5, size - border - 0.5, border - 0.5)
        ax.imshow(image.mean(axis=0) / 255.0, cmap="gray", vmin=0, vmax=1)
        ax.imshow(clusters, cmap="tab10", vmin=0, vmax=9, alpha=0.6, interpolation="nearest", extent=inner)
    if mask is not None and mask.any():
        ax.contour(mask, levels=[0.5], colors="white", linewidths=0.8)
    if border:
        ring = np.zeros((size, size, 4))
        ring[..., 3] = 0.7
        ring[border:-border, border:-border, 3] = 0.0
        ax.imshow(ring)
    ax.set_xlim(-0.5, size - 0.5)
    ax.set_ylim(size - 0.5, -0.5)
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
            border = int(arrays.get("border", 0))
            _overlay(row[0], image, None, mask, 0)
            row[0].set_ylabel(label, fontsize=9)
            for ax, k in zip(row[1:], ks):
                _overlay(ax, image, arrays[f"{prefix}_k{k}"][image_index], mask, border)
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
    sets, blocks = list(table["objects"].unique()), sorted(table["block"].unique())
    colours = {name: f"C{i}" for i, name in enumerate(table["encoder"].unique())}  # one colour per encoder
    fig, axes = plt.subplots(
        len(sets), len(blocks), figsize=(4 * len(blocks), 3.4 * len(sets) + 0.6), sharey=True, squeeze=False
    )
    for row, objects in enumerate(sets):
        for column, block in enumerate(blocks):
            ax = axes[row][column]
            shown = table[(table["objects"] == objects) & (table["block"] == block)]
            for name, curve in shown.groupby("encoder", sort=False):
                style = {"ls": ":" if name == PIXELS else "-", "color": colours[name], "marker": "o"}
                ax.plot(curve["k"], curve["iou"], label=name, **style)
            ax.set_title(f"{objects} objects, block {block}", fontsize=10)
            ax.grid(alpha=0.3)
        axes[row][0].set_ylabel("object IoU (majority clusters)")
    for ax in axes[-1]:
        ax.set_xlabel("K (clusters per image)")
    axes[0][-1].legend(fontsize=8)
    fig.suptitle("How well k-means clusters follow the object on masked images (higher: more object-aligned)")
    return fig


def _reference(objects: str, roles: dict[str, str]) -> str:
    """What SimCLR must beat on a set: raw pixels where colour cannot find the object, else the untrained
    encoder (architecture alone)."""
    return PIXELS if objects in COLOUR_MATCHED else roles["random"]


def _check_set(table: pd.DataFrame, objects: str, roles: dict[str, str]) -> tuple[dict[str, float], bool, str]:
    """The three parts of the claim on one set of masked images: numbers, whether all hold, and a summary."""
    blocks = sorted(table["block"].unique())
    first, last = blocks[0], blocks[-1]

    def iou(encoder: str, block: int) -> float:
        rows = table[(table["objects"] == objects) & (table["encoder"] == encoder) & (table["block"] == block)]
        return float(rows["iou"].mean())  # averaged over K

    numbers = {f"{objects}_iou_{role}_block{b}": iou(name, b) for role, name in roles.items() for b in blocks}
    numbers |= {f"{objects}_iou_pixels_block{b}": iou(PIXELS, b) for b in blocks}
    reference = _reference(objects, roles)
    label = "raw pixels" if reference == PIXELS else "the untrained encoder"
    simclr, supervised = numbers[f"{objects}_iou_simclr_block{last}"], numbers[f"{objects}_iou_supervised_block{last}"]
    # Later blocks are coarser, which alone costs IoU; the gain over the reference at the same resolution is
    # what tells whether the later block groups the object better.
    gain = {b: iou(roles["simclr"], b) - iou(reference, b) for b in blocks}
    like_supervised, beats_reference = simclr >= supervised - MARGIN, gain[last] > MARGIN
    hierarchical = len(blocks) < 2 or gain[last] > gain[first] + MARGIN
    summary = (
        f"{objects}: SimCLR block-{last} IoU {simclr:.3f} vs supervised {supervised:.3f} "
        f"({'within' if like_supervised else 'not within'} {MARGIN}), vs {label} {simclr - gain[last]:.3f} "
        f"({'above' if beats_reference else 'not above'} by {MARGIN}); gain over {label} block {first} -> {last} "
        f"{gain[first]:+.3f} -> {gain[last]:+.3f} ({'rises' if hierarchical else 'does not rise'})"
    )
    return numbers, like_supervised and beats_reference and hierarchical, summary


# Each trained encoder's own task, measured on held-out canvases against the untrained encoder: supervised
# training's is the digit of the silhouette (a linear probe), SimCLR's is finding each canvas's other view.
OWN_TASKS = {"supervised": ("acc_linear", "digit probe"), "simclr": ("view_retrieval", "view retrieval")}


def task_scores(frame: pd.DataFrame, metric: str) -> pd.Series:
    """Each encoder's mean ``metric`` (a held-out task score) over the runs that measured it."""
    if metric not in frame:
        return pd.Series(dtype=float)
    return frame.assign(encoder=encoder_names(frame)).groupby("encoder")[metric].mean().dropna()


def _task_gates(frame: pd.DataFrame, roles: dict[str, str]) -> tuple[dict[str, float], list]:
    """Each trained encoder's own-task score and the untrained encoder's, and the gates: each trained encoder
    beats the untrained one on its own task (where the runs measured it)."""
    numbers, gates = {}, []
    for role, (metric, task) in OWN_TASKS.items():
        score = task_scores(frame, metric)
        numbers |= {f"{task} {r}": score[name] for r, name in roles.items() if name in score}
        if roles.get(role) in score and roles.get("random") in score:
            gates.append(
                at_least(
                    f"{role} {task} on held-out canvases - untrained encoder",
                    score[roles[role]] - score[roles["random"]],
                    LEARNED_PROBE_MARGIN,
                    "training did not learn its own task, so its maps cannot show learned features",
                )
            )
    return numbers, gates


def claim_check(frame: pd.DataFrame) -> ClaimCheck:
    """Gates (the grid needs an untrained encoder, else INCONCLUSIVE): each trained encoder beats it on its
    training task (where probed), and on every scored set the supervised encoder's last-block IoU beats the untrained
    encoder's, or the score cannot see learned object features at all. Claim: supported only when every
    scored set shows all three parts."""
    table = scores(frame)
    roles = {_role(name): name for name in table["encoder"].unique() if _role(name)}
    if "simclr" not in roles or "supervised" not in roles:
        return ClaimCheck(CLAIM, {}, None, "needs a SimCLR and a supervised encoder")
    if "random" not in roles:  # every gate compares with it: without one no verdict can mean what it says
        return ClaimCheck(CLAIM, {}, None, "needs an untrained encoder (method.name=random) for its gates")
    numbers, holds, summaries = {}, [], []
    for objects in table["objects"].unique():
        set_numbers, set_holds, summary = _check_set(table, objects, roles)
        numbers |= set_numbers
        holds.append(set_holds)
        summaries.append(summary)
    task_numbers, gates = _task_gates(frame, roles)
    numbers |= task_numbers
    last = max(table["block"])
    gates += [
        at_least(
            f"{o}: supervised block-{last} IoU - untrained encoder",
            numbers[f"{o}_iou_supervised_block{last}"] - numbers[f"{o}_iou_random_block{last}"],
            LEARNED_MARGIN,
            "the score does not reward learned object features on these images",
        )
        for o in table["objects"].unique()
    ]
    return ClaimCheck(CLAIM, numbers, all(holds), "; ".join(summaries), gates)
