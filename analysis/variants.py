"""Naming the method variants of a results table: the method, or SimCLR with implicit feature modification."""

from __future__ import annotations

import pandas as pd

IFM_PREFIX = "simclr+ifm"


ALL_CHANNELS = "autoencoder (all channels)"
IMAGE_ONLY = "autoencoder (image only)"
AUTOENCODER_VARIANTS = {"all": ALL_CHANNELS, "image": IMAGE_ONLY}  # method.reconstruct -> variant (balanced: the
# primary one, named ``autoencoder``)


def method_variant(row: pd.Series) -> str:
    """The method, ``simclr+ifm<eps>`` for SimCLR with implicit feature modification (``loss.ifm_weight > 0``),
    and for the autoencoder ``autoencoder`` (``method.reconstruct=balanced``: image and bits weighted equally, the
    primary one), ``IMAGE_ONLY`` or ``ALL_CHANNELS``."""
    weight = row.get("loss.ifm_weight")
    if row["method.name"] == "simclr" and pd.notna(weight) and weight > 0:
        return f"{IFM_PREFIX}{row['loss.ifm_epsilon']:g}"
    if row["method.name"] == "autoencoder":
        target = row.get("method.reconstruct")
        return AUTOENCODER_VARIANTS.get("image" if pd.isna(target) else target, "autoencoder")
    return row["method.name"]


def with_variants(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with a ``variant`` column (see ``method_variant``)."""
    return frame.assign(variant=frame.apply(method_variant, axis=1) if len(frame) else [])


def variant_label(name: str, labels: dict[str, str]) -> str:
    """A legend label: ``labels[name]``, or ``SimCLR + IFM, eps <eps>`` for an IFM variant."""
    return labels.get(name, name.replace(IFM_PREFIX, "SimCLR + IFM, eps "))
