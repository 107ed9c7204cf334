"""The generalized contrastive loss L = scaling * (L_align + lambda * L_distribution), and its presets.

Paper Table 1, one preset a row (official notebook semantics, PAPER.md section 1):

| preset              | alignment (rows)      | distribution term                                |
|---------------------|-----------------------|--------------------------------------------------|
| nt_xent             | (standard SimCLR loss: -sim(z_i, z_j)/tau + LSE_{k != i} sim/tau)         |
|                     | (+ ifm_weight x the same with the positive - eps, negatives + eps: IFM)   |
| nt_xent_cross_view  | (RandBits notebook: cross-view CE, both directions)                       |
| decoupled_nt_xent   | normalized, mean      | LogSumExp over the full 2n x 2n matrix / tau     |
|                     | (lambda = tau / d is NT-Xent's balance of the two terms: ``nt_xent_balance``)      |
| swd_hypersphere     | normalized, mean      | SWD of normalized outputs to uniform sphere      |
| swd_hypercube       | raw, mean             | SWD to U(-1, 1)^d                                |
| swd_normal          | raw, mean             | SWD to N(0, I_d)                                 |

Every loss runs in fp32 with autocast disabled, whatever the caller's precision.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from losses.alignment import alignment_loss
from losses.contrastive import cross_view_nt_xent, logsumexp_term, nt_xent
from losses.distributed import gather_rows
from losses.parameters import LOSS_NAMES, LOSS_PARAMETERS, check_temperature
from losses.precision import at_least_fp32
from losses.swd import swd_to_prior


@dataclass
class LossTerms:
    """total: the scalar to minimise; alignment / distribution: its parts (None for the fused NT-Xent forms)."""

    total: torch.Tensor
    alignment: torch.Tensor | None = None
    distribution: torch.Tensor | None = None


Terms = Callable[["ContrastiveLoss", torch.Tensor, torch.Tensor, "torch.Generator | None"], LossTerms]


def _nt_xent(loss: ContrastiveLoss, z1: torch.Tensor, z2: torch.Tensor, _: torch.Generator | None) -> LossTerms:
    total = nt_xent(z1, z2, loss.temperature, loss.gather)
    if loss.ifm_weight:  # IFM: L + weight * L_eps (Robinson et al. 2021)
        total = total + loss.ifm_weight * nt_xent(z1, z2, loss.temperature, loss.gather, loss.ifm_epsilon)
    return LossTerms(total)


def _cross_view(loss: ContrastiveLoss, z1: torch.Tensor, z2: torch.Tensor, _: torch.Generator | None) -> LossTerms:
    return LossTerms(cross_view_nt_xent(z1, z2, loss.temperature, loss.gather))


def _decoupled(loss: ContrastiveLoss, z1: torch.Tensor, z2: torch.Tensor, _: torch.Generator | None) -> LossTerms:
    align = alignment_loss(z1, z2, normalize=True)
    distribution = logsumexp_term(z1, z2, loss.temperature, loss.exclude_self, loss.exclude_positive, loss.gather)
    return LossTerms(align + loss.lam * distribution, align, distribution)


def _swd(prior: str) -> Terms:
    """Alignment plus lambda x SWD of both views' outputs (all ranks' under DDP) to ``prior``; the hypersphere
    prior compares (and aligns) L2-normalized outputs."""
    normalize = prior == "hypersphere"

    def terms(
        loss: ContrastiveLoss, z1: torch.Tensor, z2: torch.Tensor, generator: torch.Generator | None
    ) -> LossTerms:
        align = alignment_loss(z1, z2, normalize=normalize)
        outputs = torch.cat([z1, z2])
        outputs = F.normalize(outputs, dim=1) if normalize else outputs
        outputs = gather_rows(outputs)[0] if loss.gather else outputs
        distribution = swd_to_prior(outputs, prior, loss.n_projections, generator)
        return LossTerms(align + loss.lam * distribution, align, distribution)

    return terms


# The losses by name, each its terms before ``scaling``, from the two views' fp32 outputs; the options each
# reads are in ``losses/parameters.py`` (a new loss: a row in both, and its test against a brute-force formula).
LOSSES: dict[str, Terms] = {
    "nt_xent": _nt_xent,
    "nt_xent_cross_view": _cross_view,
    "decoupled_nt_xent": _decoupled,
    "swd_hypersphere": _swd("hypersphere"),
    "swd_hypercube": _swd("hypercube"),
    "swd_normal": _swd("normal"),
}
assert tuple(LOSSES) == LOSS_NAMES, "losses/parameters.py and LOSSES must name the same losses"


class ContrastiveLoss(nn.Module):
    """Two views' outputs z1, z2 (n, d) -> LossTerms. ``gather=True`` scores against all DDP ranks' rows."""

    def __init__(
        self,
        name: str,
        temperature: float = 0.1,
        lam: float = 1.0,
        scaling: float = 1.0,
        n_projections: int | None = None,
        exclude_self: bool = False,
        exclude_positive: bool = False,
        gather: bool = False,
        ifm_epsilon: float = 0.0,
        ifm_weight: float = 0.0,
    ) -> None:
        super().__init__()
        if name not in LOSSES:
            raise ValueError(f"loss {name!r} is unknown; choose one of {', '.join(LOSS_NAMES)}")
        if not (math.isfinite(lam) and lam >= 0):
            raise ValueError(f"lam={lam!r} is not allowed; it must be a finite number >= 0")
        if n_projections is not None and n_projections < 1:
            raise ValueError(f"n_projections={n_projections!r} is not allowed; it must be None or >= 1")
        if ifm_weight and "ifm_weight" not in LOSS_PARAMETERS[name]:
            raise ValueError(f"ifm_weight={ifm_weight} applies to nt_xent only, not to {name}")
        self.name, self.temperature, self.lam, self.scaling = name, check_temperature(temperature), lam, scaling
        self.n_projections, self.gather = n_projections, gather
        self.exclude_self, self.exclude_positive = exclude_self, exclude_positive
        self.ifm_epsilon, self.ifm_weight = ifm_epsilon, ifm_weight

    def forward(self, z1: torch.Tensor, z2: torch.Tensor, generator: torch.Generator | None = None) -> LossTerms:
        """``generator`` seeds the SWD projection and prior sample (same seed on every rank under DDP)."""
        if z1.shape != z2.shape or z1.dim() != 2 or z1.shape[0] < 2:
            raise ValueError(f"views must both be (n, d) with n >= 2; got {tuple(z1.shape)} and {tuple(z2.shape)}")
        with torch.autocast(device_type=z1.device.type, enabled=False):
            terms = LOSSES[self.name](self, at_least_fp32(z1), at_least_fp32(z2), generator)
        return LossTerms(self.scaling * terms.total, terms.alignment, terms.distribution)


def build_loss(name: str, **options: float | int | bool | None) -> ContrastiveLoss:
    """The trainer's entry point: a loss preset by name (see LOSS_NAMES) with its tau / lambda options."""
    return ContrastiveLoss(name, **options)
