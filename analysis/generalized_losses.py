"""Figure and claim check of ``generalized_losses``: linear accuracy vs projection-head depth, one line per loss.

Also reads the ``tune`` preset (one head depth, several values per loss): a bar per loss setting, and the
best value of each loss, which the ``quick`` preset uses.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from analysis.claims import ClaimCheck, at_least
from analysis.gates import FLOOR_LABELS, beats_floors, floor_numbers, floors, without_floors
from analysis.plotting import save_figure

CLAIM = (
    "With a deep projection head (>= 2 hidden layers) the generalized contrastive losses (NT-Xent, decoupled "
    "NT-Xent, SWD to a uniform hypersphere, a uniform hypercube or a normal prior) give similar linear accuracy; "
    "with a shallow head they differ more."
)
# "Similar": every loss within 0.02 of the best at the deepest head (the paper's Table 1 spreads are about
# 1 point); "differ more": the spread at the shallowest head exceeds the deepest's by 0.01 or more.
SIMILAR_MARGIN = 0.02
WIDER_MARGIN = 0.01
LOSS_LABELS = {
    "nt_xent": "NT-Xent",
    "nt_xent_cross_view": "NT-Xent (cross-view)",
    "decoupled_nt_xent": "decoupled NT-Xent",
    "swd_hypersphere": "SWD, uniform hypersphere",
    "swd_hypercube": "SWD, uniform hypercube",
    "swd_normal": "SWD, normal",
}


def hidden_layers(frame: pd.DataFrame) -> pd.Series:
    """``model.head_depth`` counts the head's linear layers; the paper counts hidden layers (depth - 1)."""
    return (frame["model.head_depth"] - 1).astype(int)  # int even where floor rows made the column float


def loss_setting(row: pd.Series) -> str:
    """A loss and the values it read, e.g. ``NT-Xent tau=0.2`` or ``SWD, normal lambda=1`` (unread: empty)."""
    values = [
        f"{label}={row[key]:g}"
        for key, label in (("loss.temperature", "tau"), ("loss.lam", "lambda"))
        if pd.notna(row.get(key))
    ]
    return " ".join([LOSS_LABELS[row["loss.name"]], *values])


def table(frame: pd.DataFrame, statistic: str = "mean") -> pd.DataFrame:
    """Accuracy over seeds (``mean`` or ``std``): one row per data source and loss setting, one column per
    number of hidden layers."""
    frame = without_floors(frame)
    frame = frame.assign(loss=frame.apply(loss_setting, axis=1), hidden=hidden_layers(frame))
    return frame.pivot_table(
        index=["data_source", "loss"], columns="hidden", values="acc_linear", aggfunc=statistic, dropna=False
    )


def figure(frame: pd.DataFrame, preset: str, path: Path) -> Path:
    accuracy = table(frame)
    sources = accuracy.index.get_level_values(0).unique()
    fig, axes = plt.subplots(1, len(sources), figsize=(7 * len(sources), 4.5), squeeze=False)
    for ax, source in zip(axes[0], sources):
        panel = accuracy.loc[source]
        if panel.shape[1] == 1:  # a tuning grid: one bar per loss setting
            values = panel.iloc[:, 0].sort_index()
            ax.barh(values.index, values.values, color="tab:blue")
            ax.set_xlim(max(0.0, values.min() - 0.1), min(1.0, values.max() + 0.05))
            ax.set_xlabel(f"linear accuracy (head with {panel.columns[0]} hidden layers)")
            ax.tick_params(axis="y", labelsize=7)
        else:
            spread = table(frame, "std").loc[source].fillna(0.0)
            for loss, row in panel.iterrows():
                style = "-" if loss.startswith("NT-Xent") else "--"
                ax.errorbar(row.index, row.values, spread.loc[loss], fmt=style, marker="o", capsize=3, label=loss)
            for method, value in floors(frame[frame["data_source"] == source], "acc_linear").items():
                style = {"random": "--", "pixels": "-."}[method]
                ax.axhline(value, color="0.5", ls=style, label=FLOOR_LABELS[method])
            ax.set_xticks(list(panel.columns))
            ax.set_xlabel("hidden layers in the projection head (0: a linear head)")
            ax.set_ylabel("linear accuracy (encoder output)")
            ax.legend(fontsize=7)
        ax.set_title(source)
        ax.grid(alpha=0.3)
    seeds = frame["seed"].nunique() if "seed" in frame else 1
    if accuracy.shape[1] == 1:
        fig.suptitle("Generalized contrastive losses: tuning each loss's temperature / lambda")
    else:
        statistic = f"mean +- std of {seeds} seeds" if seeds > 1 else "one seed"
        fig.suptitle(f"Generalized contrastive losses x projection-head depth ({statistic})")
    return save_figure(fig, frame, preset, path)


# A trained SimCLR encoder is better with a non-linear head than with a linear one (SimCLR's own finding, and
# the premise of a claim about deep heads). Where NT-Xent's mean over seeds is lower with 2 hidden layers
# than with none, the encoder is not trained far enough for head depth to act as the paper describes.
HEAD_HELPS = 0.0


def _head_helps(panel: pd.DataFrame, source: str) -> list:
    """The gate 'NT-Xent with 2 hidden layers at least as good as with a linear head' (where both were run)."""
    rows = [loss for loss in panel.index.get_level_values(-1) if loss.startswith("NT-Xent ")]
    if not rows or not {0, 2} <= set(panel.columns):
        return []
    nt_xent = panel.xs(rows[0], level=-1).iloc[0]
    return [
        at_least(
            f"{source} NT-Xent acc @ 2 hidden layers - @ 0",
            nt_xent[2] - nt_xent[0],
            HEAD_HELPS,
            "a non-linear head does not help yet: too little training for head depth to matter",
        )
    ]


def claim_check(frame: pd.DataFrame) -> ClaimCheck:
    accuracy = table(frame)
    numbers: dict[str, float] = {}
    if accuracy.shape[1] < 2:  # the tuning grid: report each loss's best value
        trained = without_floors(frame)
        best = trained.assign(loss=trained.apply(loss_setting, axis=1)).sort_values("acc_linear", ascending=False)
        for _, row in best.drop_duplicates("loss.name").iterrows():
            numbers[f"best: {row['loss']}"] = row["acc_linear"]
        return ClaimCheck(CLAIM, numbers, None, "a tuning grid (one head depth): it picks each loss's value")
    shallow, deep = accuracy.columns.min(), accuracy.columns.max()
    verdicts, gates = [], []
    for source, panel in accuracy.groupby(level=0):
        spreads = panel.max() - panel.min()
        for hidden, spread in spreads.items():
            numbers[f"{source} spread @ {hidden} hidden layers"] = spread
        numbers[f"{source} best acc @ {deep} hidden layers"] = panel[deep].max()
        numbers[f"{source} largest seed std"] = table(frame, "std").loc[source].max().max()
        floor = floors(frame[frame["data_source"] == source], "acc_linear")
        numbers |= floor_numbers(floor, f"{source}")
        gates += beats_floors(f"{source} best loss acc", panel.max().max(), floor)
        gates += _head_helps(panel, source)
        verdicts.append(spreads[deep] <= SIMILAR_MARGIN and spreads[shallow] >= spreads[deep] + WIDER_MARGIN)
    summary = "; ".join(
        f"{source}: spread across losses {numbers[f'{source} spread @ {shallow} hidden layers']:.3f} with "
        f"{shallow} hidden layers, {numbers[f'{source} spread @ {deep} hidden layers']:.3f} with {deep}"
        for source in accuracy.index.get_level_values(0).unique()
    )
    summary += f" (supported needs <= {SIMILAR_MARGIN} deep and {WIDER_MARGIN} more when shallow)"
    return ClaimCheck(CLAIM, numbers, all(verdicts), summary, gates)
