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
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from losses.alignment import alignment_loss
from losses.contrastive import check_temperature, cross_view_nt_xent, logsumexp_term, nt_xent
from losses.distributed import gather_rows
from losses.precision import at_least_fp32
from losses.swd import swd_to_prior

# Each loss and the options it reads besides its name (the run config's ``loss`` section passes exactly these;
# ``ContrastiveLoss`` takes them as keyword arguments). A new loss: a row here and its branch below.
_NT_XENT = ("temperature", "scaling")
_SWD = ("lam", "scaling")
LOSS_PARAMETERS: dict[str, tuple[str, ...]] = {
    "nt_xent": (*_NT_XENT, "ifm_epsilon", "ifm_weight"),
    "nt_xent_cross_view": _NT_XENT,
    "decoupled_nt_xent": ("temperature", "lam", "scaling"),
    "swd_hypersphere": _SWD,
    "swd_hypercube": _SWD,
    "swd_normal": _SWD,
}
LOSS_NAMES = tuple(LOSS_PARAMETERS)
_SWD_PRIORS = {"swd_hypersphere": "hypersphere", "swd_hypercube": "hypercube", "swd_normal": "normal"}


@dataclass
class LossTerms:
    """total: the scalar to minimise; alignment / distribution: its parts (None for the fused NT-Xent forms)."""

    total: torch.Tensor
    alignment: torch.Tensor | None = None
    distribution: torch.Tensor | None = None


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
        if name not in LOSS_NAMES:
            raise ValueError(f"loss {name!r} is unknown; choose one of {', '.join(LOSS_NAMES)}")
        if not (math.isfinite(lam) and lam >= 0):
            raise ValueError(f"lam={lam!r} is not allowed; it must be a finite number >= 0")
        if n_projections is not None and n_projections < 1:
            raise ValueError(f"n_projections={n_projections!r} is not allowed; it must be None or >= 1")
        self.name, self.temperature, self.lam, self.scaling = name, check_temperature(temperature), lam, scaling
        self.n_projections, self.gather = n_projections, gather
        self.exclude_self, self.exclude_positive = exclude_self, exclude_positive
        if ifm_weight and name != "nt_xent":
            raise ValueError(f"ifm_weight={ifm_weight} applies to nt_xent only, not to {name}")
        self.ifm_epsilon, self.ifm_weight = ifm_epsilon, ifm_weight

    def _distribution(self, z1: torch.Tensor, z2: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        if self.name == "decoupled_nt_xent":
            return logsumexp_term(z1, z2, self.temperature, self.exclude_self, self.exclude_positive, self.gather)
        prior = _SWD_PRIORS[self.name]
        outputs = torch.cat([z1, z2])
        if prior == "hypersphere":
            outputs = F.normalize(outputs, dim=1)
        if self.gather:
            outputs, _ = gather_rows(outputs)
        return swd_to_prior(outputs, prior, self.n_projections, generator)

    def forward(self, z1: torch.Tensor, z2: torch.Tensor, generator: torch.Generator | None = None) -> LossTerms:
        """``generator`` seeds the SWD projection and prior sample (same seed on every rank under DDP)."""
        if z1.shape != z2.shape or z1.dim() != 2 or z1.shape[0] < 2:
            raise ValueError(f"views must both be (n, d) with n >= 2; got {tuple(z1.shape)} and {tuple(z2.shape)}")
        with torch.autocast(device_type=z1.device.type, enabled=False):
            z1, z2 = at_least_fp32(z1), at_least_fp32(z2)
            if self.name == "nt_xent":
                total = nt_xent(z1, z2, self.temperature, self.gather)
                if self.ifm_weight:  # IFM: L + weight * L_eps (Robinson et al. 2021)
                    total = total + self.ifm_weight * nt_xent(z1, z2, self.temperature, self.gather, self.ifm_epsilon)
                return LossTerms(self.scaling * total)
            if self.name == "nt_xent_cross_view":
                return LossTerms(self.scaling * cross_view_nt_xent(z1, z2, self.temperature, self.gather))
            align = alignment_loss(z1, z2, normalize=self.name in ("decoupled_nt_xent", "swd_hypersphere"))
            distribution = self._distribution(z1, z2, generator)
            return LossTerms(self.scaling * (align + self.lam * distribution), align, distribution)


def nt_xent_balance(temperature: float, dim: int) -> float:
    """The lambda at which decoupled NT-Xent weighs its two terms as NT-Xent does: tau / d.

    Its alignment is averaged over all n x d entries, so for unit rows it is (1 - cos) / d, while its
    distribution term (the LogSumExp of sim / tau) is not divided by d. With lambda = tau / d,
    d / tau x decoupled NT-Xent = -mean cos / tau + mean LSE + 1 / tau - log d: NT-Xent over the full
    similarity matrix plus a constant. A lambda of tau (without the 1 / d) weighs the distribution d times
    more. The SWD terms are per-dimension like the alignment (1-D projections), so their lambda is O(1).
    """
    return check_temperature(temperature) / dim


def build_loss(name: str, **options: float | int | bool | None) -> ContrastiveLoss:
    """The trainer's entry point: a loss preset by name (see LOSS_NAMES) with its tau / lambda options."""
    return ContrastiveLoss(name, **options)
