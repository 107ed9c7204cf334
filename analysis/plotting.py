"""Shared matplotlib helpers: headless backend, provenance footer, saving."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from training.atomic import replace_atomically  # noqa: E402


def provenance(frame: pd.DataFrame, preset: str) -> str:
    """Footer naming the preset, data source, device, torch version and commit(s) that made the figure's runs."""

    def short(value: object) -> str:  # a commit hash to 12 digits, keeping a "+dirty" mark
        text = str(value)
        return text[:12] + ("+dirty" if text.endswith("+dirty") else "")

    def values(
        column: str, shorten=str
    ) -> str:  # the data source in full: a fallback must never look like the real thing
        return ",".join(sorted({shorten(v) for v in frame[column].dropna()})) if column in frame else "?"

    return (
        f"preset={preset} | runs={len(frame)} | data={values('data_source')} | device={values('device')} "
        f"| torch={values('torch')} | commit={values('git_commit', short)}"
    )


def save_figure(fig: plt.Figure, frame: pd.DataFrame, preset: str, path: Path) -> Path:
    fig.text(0.01, 0.005, provenance(frame, preset), fontsize=6, color="0.4")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    replace_atomically(path, lambda tmp: fig.savefig(tmp, dpi=110))
    plt.close(fig)
    return path


def accuracy_axes(ax: plt.Axes, chance: float, xlabel: str, ylabel: str, legend_size: int = 8) -> None:
    """The accuracy panels' common frame: chance dotted, labels, 0-1 range, grid and legend."""
    ax.axhline(chance, color="0.5", ls=":", label="chance")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=legend_size)


FLOOR_STYLES = {"random": ("untrained encoder", "0.35", "--"), "pixels": ("raw pixels", "0.6", "-.")}


def draw_floors(ax: plt.Axes, frame: pd.DataFrame, metric: str, x: str | None = None) -> None:
    """The floors' ``metric`` (mean over seeds) in grey: a curve against column ``x``, or a flat line without
    one (or where the floor has a single x)."""
    for method, (label, colour, style) in FLOOR_STYLES.items():
        rows = frame[frame["method.name"] == method]
        if rows.empty or metric not in rows or rows[metric].isna().all():
            continue
        if x is not None and rows[x].nunique() > 1:
            curve = rows.groupby(x)[metric].mean().sort_index()
            ax.plot(curve.index, curve.values, style, color=colour, marker=".", label=label)
        else:
            ax.axhline(rows[metric].mean(), color=colour, ls=style, label=label)
