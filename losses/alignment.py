"""Alignment term of the generalized contrastive loss (paper Sec. 2): pull the two views together.

L_align = 1/2 * mean_i ||z1_i - z2_i||^2 over rows (``reduction="sum"``: squared distance summed over the
d coordinates, the form in which NT-Xent decomposes), or 1/2 * mean over all n * d entries
(``reduction="mean"``: the official notebook's form). The hypersphere prior l2-normalizes rows first.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

REDUCTIONS = ("mean", "sum")


def alignment_loss(z1: torch.Tensor, z2: torch.Tensor, normalize: bool, reduction: str = "mean") -> torch.Tensor:
    """z1, z2: (n, d) the two views' outputs. Returns a scalar."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction {reduction!r} is unknown; choose one of {', '.join(REDUCTIONS)}")
    if normalize:
        z1, z2 = F.normalize(z1, dim=1), F.normalize(z2, dim=1)
    squared = (z1 - z2).pow(2)
    per_row = squared.sum(dim=1) if reduction == "sum" else squared.mean(dim=1)
    return per_row.mean() / 2
