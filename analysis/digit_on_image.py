"""Figure and claim check of ``digit_on_image``: object and digit linear accuracy vs the digit pool size N."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from analysis.claims import ClaimCheck, at_least
from analysis.gates import beats_floors, floor_numbers, floors, trained_baseline, without_floors
from analysis.plotting import draw_floors, save_figure
from analysis.variants import IFM_PREFIX, variant_label, with_variants

CLAIM = (
    "As the number of unique digits N grows, SimCLR's digit accuracy rises and its object accuracy falls (a "
    "trade-off between competing features); supervised object accuracy is unaffected."
)
# A change counts when it exceeds 0.05: with 2,000 test images the binomial sigma of one accuracy is at most
# 0.011, of a difference of two about 0.016, so 0.05 is about three sigmas.
CHANGE_MARGIN = 0.05
# The object task must be one this network learns at this budget, or SimCLR has no object feature to lose:
# the supervised network, which fits the object label itself, must read it at 0.80 or more with N = 1. On
# Fashion-MNIST (the default objects) that is the level of a linear probe on the raw pixels (0.81 at 10k
# images), below the 0.90 a trained small CNN reaches: less means the network has not learned the items.
OBJECT_LEARNED = 0.80
# "The digit was used": with N = 1 every image carries the same digit, useless for telling instances apart;
# a digit pool SimCLR uses lowers its final NT-Xent loss. 0.05 nats is a 5% drop of the summed
# negatives' weight; a smaller difference is no evidence that the digit was used.
LOSS_DROP = 0.05
METHOD_LABELS = {"simclr": "SimCLR", "supervised": "supervised (object label)", "random": "random init"}
_ORDER = {"simclr": 0, "supervised": 2, "random": 3}  # SimCLR + IFM variants between SimCLR and supervised
PANELS = (("acc_object", "chance_object", "object class"), ("acc_digit", "chance_digit", "digit class"))


def longest(frame: pd.DataFrame) -> pd.DataFrame:
    """The trained runs of the longest training in ``frame`` and the floors (which do not train): the claim is
    judged there; shorter trainings are the scale study."""
    if "optim.epochs" not in frame or frame["optim.epochs"].nunique() < 2:
        return frame
    return frame[frame["optim.epochs"].isna() | (frame["optim.epochs"] == frame["optim.epochs"].max())]


def curves(frame: pd.DataFrame, metric: str) -> dict[str, pd.Series]:
    """method (or SimCLR + IFM variant) -> mean ``metric`` indexed by N (seeds averaged); ``frame`` holds one
    training length (``longest``)."""
    grouped = with_variants(without_floors(frame)).groupby(["variant", "data.n_unique"])[metric].mean()
    return {method: grouped.loc[method].sort_index() for method in grouped.index.get_level_values(0).unique()}


def scale_study(frame: pd.DataFrame) -> pd.DataFrame:
    """SimCLR at the smallest and the largest N per training length (epochs): object drop, digit rise and
    final-loss drop from the smallest to the largest N (seeds averaged); empty with fewer than two N."""
    if not {"optim.epochs", "final_loss"} <= set(frame.columns):
        return pd.DataFrame()
    simclr = with_variants(frame).query("variant == 'simclr'")
    if simclr.empty or simclr["data.n_unique"].nunique() < 2:
        return pd.DataFrame()
    means = simclr.groupby(["optim.epochs", "data.n_unique"])[["acc_object", "acc_digit", "final_loss"]].mean()
    low, high = simclr["data.n_unique"].min(), simclr["data.n_unique"].max()
    rows = {}
    for epochs in means.index.get_level_values(0).unique():
        at = means.loc[epochs]
        if {low, high} <= set(at.index):
            rows[epochs] = {
                "object drop": at.loc[low, "acc_object"] - at.loc[high, "acc_object"],
                "digit rise": at.loc[high, "acc_digit"] - at.loc[low, "acc_digit"],
                "loss drop": at.loc[low, "final_loss"] - at.loc[high, "final_loss"],
            }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("epochs")


def study_numbers(study: pd.DataFrame, prefix: str = "") -> dict[str, float]:
    """The scale study as claim numbers, e.g. ``{"<prefix>digit rise @ 16 epochs": 0.042}``."""
    return {
        f"{prefix}{name} @ {int(epochs)} epochs": value
        for epochs, row in study.iterrows()
        for name, value in row.items()
    }


def figure(frame: pd.DataFrame, preset: str, path: Path) -> Path:
    study = scale_study(frame)
    scaled = len(study) > 1
    fig, axes = plt.subplots(1, 3 if scaled else 2, figsize=(16 if scaled else 11, 4))
    if scaled:
        for column, style in zip(study.columns, ("-", "--", ":")):
            axes[2].plot(study.index, study[column], style, marker="o", label=column)
        axes[2].axhline(CHANGE_MARGIN, color="0.5", ls=":", label=f"margin {CHANGE_MARGIN} (accuracies)")
        axes[2].axhline(0, color="0.3", lw=0.8)
        axes[2].set_xlabel("training epochs")
        axes[2].set_title(f"SimCLR, N={frame['data.n_unique'].min()} -> {frame['data.n_unique'].max()}")
        axes[2].grid(alpha=0.3)
        axes[2].legend(fontsize=8)
    judged = longest(frame)
    for ax, (metric, chance, title) in zip(axes, PANELS):
        lines = curves(judged, metric)
        draw_floors(ax, judged, metric, "data.n_unique")
        for method, curve in sorted(lines.items(), key=lambda item: _ORDER.get(item[0], 1)):
            style = "-" if method == "simclr" else ":" if method.startswith(IFM_PREFIX) else "--"
            ax.plot(curve.index, curve.values, style, marker="o", label=variant_label(method, METHOD_LABELS))
        ax.axhline(frame[chance].iloc[0], color="0.5", ls=":", label="chance")
        ax.set_xscale("log")
        ax.set_xlabel("unique digits in the training pool (N)")
        ax.set_title(f"linear probe: {title}" + (f" ({int(frame['optim.epochs'].max())} epochs)" if scaled else ""))
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("test accuracy")
    axes[1].legend(fontsize=8)
    fig.suptitle(
        f"DigitOnImage: object vs digit features ({frame['data_source'].iloc[0]}, "
        f"{int(frame['data.image_size'].iloc[0])} px, {int(frame['data.digit_size'].iloc[0])} px digits)"
    )
    return save_figure(fig, frame, preset, path)


def claim_check(frame: pd.DataFrame) -> ClaimCheck:
    """Judged at the longest training of the grid (shorter ones give the ``scale:`` numbers).
    Gates: supervised reads the object at the smallest N, SimCLR's object accuracy there beats both
    floors, and SimCLR's final loss at the largest N is clearly below the smallest N's (the digit was used).
    Claim: SimCLR's object accuracy falls and its digit accuracy rises by more than the change margin, and
    supervised object accuracy changes less than SimCLR's."""
    study = scale_study(frame)
    numbers = study_numbers(study, "scale: ") if len(study) > 1 else {}  # the shorter lengths: the scale study
    frame = longest(frame)
    objects, digits = curves(frame, "acc_object"), curves(frame, "acc_digit")
    if "simclr" not in objects or "supervised" not in objects or len(objects["simclr"]) < 2:
        return ClaimCheck(CLAIM, numbers, None, "needs SimCLR and supervised runs at two or more N")
    simclr_object, simclr_digit, supervised_object = objects["simclr"], digits["simclr"], objects["supervised"]
    low, high = simclr_object.index.min(), simclr_object.index.max()
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
    gates = []
    if low in supervised_object.index:
        gates.append(trained_baseline(f"supervised object acc @ N={low}", supervised_object[low], OBJECT_LEARNED))
    floor = floors(frame, "acc_object", frame["data.n_unique"] == low)
    numbers |= floor_numbers(floor, f"N={low} (object)")
    gates += beats_floors(f"SimCLR object acc @ N={low}", simclr_object[low], floor)
    simclr_runs = with_variants(frame).query("variant == 'simclr'")
    if "final_loss" in simclr_runs:
        loss = simclr_runs.groupby("data.n_unique")["final_loss"].mean()
        numbers |= {f"SimCLR final loss @ N={low}": loss[low], f"SimCLR final loss @ N={high}": loss[high]}
        gates.append(
            at_least(
                f"SimCLR final loss @ N={low} - @ N={high}", loss[low] - loss[high], LOSS_DROP, "the digit was not used"
            )
        )
    supported = object_drop > CHANGE_MARGIN and digit_rise > CHANGE_MARGIN and supervised_change < object_drop
    return ClaimCheck(CLAIM, numbers, supported, summary, gates)


SCALE_CLAIM = (
    "Training longer brings out the trade-off: at some training length SimCLR's object accuracy falls and its "
    "digit accuracy rises by more than the margin from the smallest to the largest N."
)


def scale_claim_check(frame: pd.DataFrame) -> ClaimCheck:
    """The scale study's check (SimCLR only, several training lengths). Gate: at the longest training the
    digit is used (the loss gate of ``claim_check``). Supported when some length shows both changes."""
    study = scale_study(frame).sort_index()
    if len(study) < 2:
        return ClaimCheck(SCALE_CLAIM, {}, None, "needs SimCLR at two N and two or more training lengths")
    numbers = study_numbers(study)
    longest_epochs, longest_row = int(study.index[-1]), study.iloc[-1]
    gate = at_least(
        f"SimCLR final loss drop @ {longest_epochs} epochs",
        longest_row["loss drop"],
        LOSS_DROP,
        "the digit was not used",
    )
    shown = study[(study["object drop"] > CHANGE_MARGIN) & (study["digit rise"] > CHANGE_MARGIN)]
    summary = "; ".join(
        f"{int(epochs)} epochs: object {-row['object drop']:+.3f}, digit {row['digit rise']:+.3f}"
        for epochs, row in study.iterrows()
    )
    summary += f" (the trade-off needs a fall and a rise of more than {CHANGE_MARGIN} at one length)"
    return ClaimCheck(SCALE_CLAIM, numbers, not shown.empty, summary, [gate])
