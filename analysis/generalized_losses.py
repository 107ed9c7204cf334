"""Figure and claim check of ``generalized_losses``: linear accuracy vs projection-head depth, one line per loss.

Also reads the ``tune`` preset (one head depth, several values per loss): a bar per loss setting, and the
best value of each loss, which the ``quick`` preset uses.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from analysis.claims import ClaimCheck
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
    return frame["model.head_depth"] - 1


def loss_setting(row: pd.Series) -> str:
    """A loss and the value it was run at, e.g. ``NT-Xent tau=0.2`` or ``SWD, normal lambda=1``."""
    value = f"tau={row['loss.temperature']:g}" if pd.notna(row.get("loss.temperature")) else ""
    if row["loss.name"] != "decoupled_nt_xent" and pd.notna(row.get("loss.lam")):
        value = f"lambda={row['loss.lam']:g}"
    return f"{LOSS_LABELS[row['loss.name']]} {value}".strip()


def table(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean accuracy: one row per data source and loss setting, one column per number of hidden layers."""
    frame = frame.assign(loss=frame.apply(loss_setting, axis=1), hidden=hidden_layers(frame))
    return frame.pivot_table(index=["data_source", "loss"], columns="hidden", values="acc_linear", aggfunc="mean")


def figure(frame: pd.DataFrame, preset: str, path: Path) -> Path:
    accuracy = table(frame)
    sources = accuracy.index.get_level_values(0).unique()
    fig, axes = plt.subplots(1, len(sources), figsize=(6 * len(sources), 4.2), squeeze=False)
    for ax, source in zip(axes[0], sources):
        panel = accuracy.loc[source]
        if panel.shape[1] == 1:  # a tuning grid: one bar per loss setting
            values = panel.iloc[:, 0].sort_index()
            ax.barh(values.index, values.values, color="tab:blue")
            ax.set_xlim(max(0.0, values.min() - 0.1), min(1.0, values.max() + 0.05))
            ax.set_xlabel(f"linear accuracy (head with {panel.columns[0]} hidden layers)")
            ax.tick_params(axis="y", labelsize=7)
        else:
            for loss, row in panel.iterrows():
                style = "-" if loss.startswith("NT-Xent") else "--"
                ax.plot(row.index, row.values, style, marker="o", label=loss)
            ax.set_xticks(list(panel.columns))
            ax.set_xlabel("hidden layers in the projection head (0: a linear head)")
            ax.set_ylabel("linear accuracy (encoder output)")
            ax.legend(fontsize=7)
        ax.set_title(source)
        ax.grid(alpha=0.3)
    fig.suptitle("Generalized contrastive losses x projection-head depth")
    return save_figure(fig, frame, preset, path)


def claim_check(frame: pd.DataFrame) -> ClaimCheck:
    accuracy = table(frame)
    numbers: dict[str, float] = {}
    if accuracy.shape[1] < 2:  # the tuning grid: report each loss's best value
        best = frame.assign(loss=frame.apply(loss_setting, axis=1)).sort_values("acc_linear", ascending=False)
        for _, row in best.drop_duplicates("loss.name").iterrows():
            numbers[f"best: {row['loss']}"] = row["acc_linear"]
        return ClaimCheck(CLAIM, numbers, None, "a tuning grid (one head depth): it picks each loss's value")
    shallow, deep = accuracy.columns.min(), accuracy.columns.max()
    verdicts = []
    for source, panel in accuracy.groupby(level=0):
        spreads = panel.max() - panel.min()
        for hidden, spread in spreads.items():
            numbers[f"{source} spread @ {hidden} hidden layers"] = spread
        numbers[f"{source} best acc @ {deep} hidden layers"] = panel[deep].max()
        verdicts.append(spreads[deep] <= SIMILAR_MARGIN and spreads[shallow] >= spreads[deep] + WIDER_MARGIN)
    summary = "; ".join(
        f"{source}: spread across losses {numbers[f'{source} spread @ {shallow} hidden layers']:.3f} with "
        f"{shallow} hidden layers, {numbers[f'{source} spread @ {deep} hidden layers']:.3f} with {deep}"
        for source in accuracy.index.get_level_values(0).unique()
    )
    summary += f" (supported needs <= {SIMILAR_MARGIN} deep and {WIDER_MARGIN} more when shallow)"
    return ClaimCheck(CLAIM, numbers, all(verdicts), summary)
