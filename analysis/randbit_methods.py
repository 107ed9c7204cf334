"""Figure and claim check of ``randbit_methods``: linear accuracy vs random bits, one line per method."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from analysis.claims import ClaimCheck
from analysis.gates import beats_floors, floor_numbers, floors, room_above_chance, without_floors
from analysis.plotting import accuracy_axes, draw_floors, save_figure
from analysis.variants import AUTOENCODER_VARIANTS, IFM_PREFIX, variant_label, with_variants

CLAIM = (
    "Feature suppression by random bits is not SimCLR's alone: BYOL and momentum contrast also fall toward "
    "chance with many bits, while an autoencoder keeps much more of its accuracy."
)
SUPPRESSING = ("simclr", "byol", "moco")  # the contrastive / self-distillation methods
LABELS = {
    "simclr": "SimCLR",
    "byol": "BYOL",
    "moco": "MoCo v2",
    "autoencoder": "autoencoder (balanced)",  # image and bit channels weighted equally
    "supervised": "supervised",
}
COLLAPSED = 0.25  # at most this fraction of the 0-bit accuracy above chance is "toward chance"
GAP = 0.25  # the autoencoder keeps at least this much more of it than the best suppressing method


def curves(frame: pd.DataFrame) -> dict[str, pd.Series]:
    """method (or SimCLR + IFM variant) -> mean ``acc_linear`` indexed by bits (seeds averaged)."""
    grouped = with_variants(without_floors(frame)).groupby(["variant", "data.n_bits"])["acc_linear"]
    means = grouped.mean()
    return {m: means.loc[m].sort_index() for m in means.index.get_level_values(0).unique()}


def figure(frame: pd.DataFrame, preset: str, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    draw_floors(ax, frame, "acc_linear", "data.n_bits")
    for method, curve in curves(frame).items():
        style = "-" if method in SUPPRESSING else ":" if method.startswith(IFM_PREFIX) else "--"
        ax.plot(curve.index, curve.values, style, marker="o", label=variant_label(method, LABELS))
    accuracy_axes(ax, frame["chance"].iloc[0], "number of random bits", "test accuracy (linear probe)")
    ax.set_title(f"RandBit across methods ({frame['data_source'].iloc[0]}, {frame['model.encoder'].dropna().iloc[0]})")
    return save_figure(fig, frame, preset, path)


def claim_check(frame: pd.DataFrame) -> ClaimCheck:
    """Gates: every compared method without bits well above chance (room for a collapse) and SimCLR above
    both floors without bits. Claim: SimCLR, BYOL and MoCo keep at most a quarter of it at the most bits,
    the autoencoder a quarter more than the best of them. The autoencoder judged is the one that weights the
    image and the bit channels equally (it must reconstruct the bits, so it could fail); the image-only one
    (which never has to encode the bits) and the all-channels one (whose error is ~95% bits) are reported."""
    lines, chance = curves(frame), float(frame["chance"].iloc[0])
    needed = [*SUPPRESSING, "autoencoder"]
    if any(m not in lines for m in needed) or len(lines["simclr"]) < 2:
        return ClaimCheck(CLAIM, {}, None, f"needs {', '.join(needed)} at two or more bit counts")
    most = int(lines["simclr"].index.max())
    numbers, kept = {"chance": chance}, {}
    for method in needed:
        curve = lines[method]
        numbers[f"{method} acc @ 0 bits"], numbers[f"{method} acc @ {most} bits"] = curve.iloc[0], curve.loc[most]
        kept[method] = (curve.loc[most] - chance) / max(curve.iloc[0] - chance, 1e-9)
        numbers[f"{method} kept fraction @ {most} bits"] = kept[method]
    zero = int(lines["simclr"].index.min())
    floor = floors(frame, "acc_linear", frame["data.n_bits"] == zero)
    numbers |= floor_numbers(floor, f"{zero} bits")
    gates = [room_above_chance(f"{LABELS[m]} acc @ {zero} bits", lines[m].iloc[0], chance) for m in needed]
    gates += beats_floors(f"SimCLR acc @ {zero} bits", lines["simclr"].iloc[0], floor)
    described = ", ".join(f"{LABELS[m]} {kept[m]:.0%}" for m in needed)
    summary = f"share of the 0-bit accuracy above chance kept at {most} bits: {described}"
    others = set(AUTOENCODER_VARIANTS.values())  # the image-only and all-channels autoencoders: reported only
    reported = sorted(m for m in lines if m.startswith(IFM_PREFIX) or m in others)  # not in the verdict
    for remedy in reported:
        curve = lines[remedy]
        numbers[f"{remedy} kept fraction @ {most} bits"] = (curve.loc[most] - chance) / max(
            curve.iloc[0] - chance, 1e-9
        )
        summary += f"; {variant_label(remedy, LABELS)} keeps {numbers[f'{remedy} kept fraction @ {most} bits']:.0%}"
    collapse = all(kept[m] <= COLLAPSED for m in SUPPRESSING)
    robust = kept["autoencoder"] >= max(kept[m] for m in SUPPRESSING) + GAP
    summary += (
        f" (supported needs SimCLR, BYOL and MoCo <= {COLLAPSED:.0%} and the autoencoder {GAP:.0%} above them: "
        f"collapse {'yes' if collapse else 'no'}, autoencoder {'above' if robust else 'not above'})"
    )
    return ClaimCheck(CLAIM, numbers, collapse and robust, summary, gates)
