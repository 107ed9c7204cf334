"""Figure and claim check of ``digit_on_image``: object and digit linear accuracy vs the digit pool size N."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from analysis.claims import ClaimCheck
from analysis.plotting import save_figure
from analysis.variants import IFM_PREFIX, variant_label, with_variants

CLAIM = (
    "As the number of unique digits N grows, SimCLR's digit accuracy rises and its object accuracy falls (a "
    "trade-off between competing features); supervised object accuracy is unaffected."
)
# A change counts when it exceeds 0.05: with 2,000 test images the binomial sigma of one accuracy is at most
# 0.011, of a difference of two about 0.016, so 0.05 is about three sigmas.
CHANGE_MARGIN = 0.05
METHOD_LABELS = {"simclr": "SimCLR", "supervised": "supervised (object label)", "random": "random init"}
_ORDER = {"simclr": 0, "supervised": 2, "random": 3}  # SimCLR + IFM variants between SimCLR and supervised
PANELS = (("acc_object", "chance_object", "object class"), ("acc_digit", "chance_digit", "digit class"))


def curves(frame: pd.DataFrame, metric: str) -> dict[str, pd.Series]:
    """method (or SimCLR + IFM variant) -> mean ``metric`` indexed by N (seeds averaged)."""
    grouped = with_variants(frame).groupby(["variant", "data.n_unique"])[metric].mean()
    return {method: grouped.loc[method].sort_index() for method in grouped.index.get_level_values(0).unique()}


def figure(frame: pd.DataFrame, preset: str, path: Path) -> Path:
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for ax, (metric, chance, title) in zip(axes, PANELS):
        lines = curves(frame, metric)
        for method, curve in sorted(lines.items(), key=lambda item: _ORDER.get(item[0], 1)):
            style = "-" if method == "simclr" else ":" if method.startswith(IFM_PREFIX) else "--"
            ax.plot(curve.index, curve.values, style, marker="o", label=variant_label(method, METHOD_LABELS))
        ax.axhline(frame[chance].iloc[0], color="0.5", ls=":", label="chance")
        ax.set_xscale("log")
        ax.set_xlabel("unique digits in the training pool (N)")
        ax.set_title(f"linear probe: {title}")
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("test accuracy")
    axes[1].legend(fontsize=8)
    fig.suptitle(
        f"DigitOnImage: object vs digit features ({frame['data.images'].iloc[0]}, "
        f"{int(frame['data.image_size'].iloc[0])} px, {int(frame['data.digit_size'].iloc[0])} px digits)"
    )
    return save_figure(fig, frame, preset, path)


def claim_check(frame: pd.DataFrame) -> ClaimCheck:
    objects, digits = curves(frame, "acc_object"), curves(frame, "acc_digit")
    if "simclr" not in objects or "supervised" not in objects or len(objects["simclr"]) < 2:
        return ClaimCheck(CLAIM, {}, None, "needs SimCLR and supervised runs at two or more N")
    simclr_object, simclr_digit, supervised_object = objects["simclr"], digits["simclr"], objects["supervised"]
    low, high = simclr_object.index.min(), simclr_object.index.max()
    numbers = {}
    for n in simclr_object.index:
        numbers[f"SimCLR object acc @ N={n}"] = simclr_object[n]
        numbers[f"SimCLR digit acc @ N={n}"] = simclr_digit[n]
    object_drop = simclr_object[low] - simclr_object[high]
    digit_rise = simclr_digit[high] - simclr_digit[low]
    numbers.update({"SimCLR object drop": object_drop, "SimCLR digit rise": digit_rise})
    summary = (
        f"from N={low} to N={high} SimCLR's object accuracy changes by {-object_drop:+.3f} and its digit accuracy "
        f"by {digit_rise:+.3f} (the claim needs a fall and a rise of more than {CHANGE_MARGIN})"
    )
    supervised_change = float("nan")
    if {low, high} <= set(supervised_object.index):
        supervised_change = abs(supervised_object[high] - supervised_object[low])
        numbers["supervised object |change|"] = supervised_change
        summary += f"; supervised object accuracy changes by {supervised_change:.3f} (needs less than SimCLR's)"
    for remedy in sorted(m for m in objects if m.startswith(IFM_PREFIX)):  # reported, not part of the verdict
        at_high = objects[remedy].get(high, float("nan")) - simclr_object[high]
        numbers[f"{remedy} object acc @ N={high}"] = objects[remedy].get(high, float("nan"))
        numbers[f"{remedy} digit acc @ N={high}"] = digits[remedy].get(high, float("nan"))
        label = variant_label(remedy, METHOD_LABELS)
        summary += f"; {label} changes SimCLR's object accuracy at N={high} by {at_high:+.3f}"
    random = objects.get("random", pd.Series(dtype=float))
    if low in random.index:
        numbers[f"random-init object acc @ N={low}"] = random[low]
        learned = simclr_object[low] - random[low]
        if learned < CHANGE_MARGIN:
            summary += f"; cannot tell: at N={low} SimCLR's object accuracy is only {learned:+.3f} above an untrained"
            summary += " network, so there is no learned object feature to suppress"
            return ClaimCheck(CLAIM, numbers, None, summary)
    supported = object_drop > CHANGE_MARGIN and digit_rise > CHANGE_MARGIN and supervised_change < object_drop
    return ClaimCheck(CLAIM, numbers, supported, summary)
