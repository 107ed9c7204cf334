"""Sliced-Wasserstein distribution term (paper Sec. 2, Table 1): match the outputs to a prior.

Given the stacked outputs H (m, d) (both views) and a fresh prior sample P (m, d), project both with a
matrix W (d, k) (a random orthogonal d x d matrix, drawn anew at each call, or k random unit directions),
sort every projected coordinate over the m rows, and average the squared differences:

    SWD(H, P) = 1 / (m k) * sum_j sum_i (sort(H W)_{ij} - sort(P W)_{ij})^2

which is the squared sliced 2-Wasserstein distance with uniform weights (POT's
``sliced_wasserstein_distance(H, P, projections=W, p=2) ** 2``).
"""

from __future__ import annotations

import torch

from losses.precision import at_least_fp32
from losses.priors import sample_prior


def random_orthogonal(
    d: int,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """A Haar-random orthogonal (d, d) matrix: QR of a Gaussian matrix with the signs of diag(R) fixed."""
    gaussian = torch.randn(d, d, device=device, dtype=torch.float32, generator=generator)
    q, r = torch.linalg.qr(gaussian)
    return (q * torch.sign(torch.diagonal(r))).to(dtype)


def random_directions(
    d: int,
    k: int,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """(d, k) matrix of k independent uniformly random unit directions (columns)."""
    directions = torch.randn(d, k, device=device, dtype=torch.float32, generator=generator)
    return torch.nn.functional.normalize(directions, dim=0).to(dtype)


def sliced_wasserstein(samples: torch.Tensor, target: torch.Tensor, projection: torch.Tensor) -> torch.Tensor:
    """Squared sliced 2-Wasserstein distance between equal-size samples (m, d) and target (m, d) along W (d, k)."""
    if samples.shape != target.shape:
        raise ValueError(f"samples {tuple(samples.shape)} and target {tuple(target.shape)} must have equal shapes")
    projected = torch.sort(samples @ projection, dim=0).values
    projected_target = torch.sort(target @ projection, dim=0).values
    return (projected - projected_target).pow(2).mean()


def swd_to_prior(
    outputs: torch.Tensor, prior: str, n_projections: int | None = None, generator: torch.Generator | None = None
) -> torch.Tensor:
    """SWD of outputs (m, d) to a fresh same-size sample of ``prior``, in fp32.

    ``n_projections=None`` uses a random orthogonal d x d matrix (the notebook); an int k uses k random
    unit directions. ``generator`` (on the outputs' device) draws both the projection and the prior sample.
    """
    outputs = at_least_fp32(outputs)
    m, d = outputs.shape
    if n_projections is None:
        projection = random_orthogonal(d, outputs.device, outputs.dtype, generator)
    else:
        projection = random_directions(d, n_projections, outputs.device, outputs.dtype, generator)
    target = sample_prior(prior, m, d, outputs.device, outputs.dtype, generator)
    return sliced_wasserstein(outputs, target, projection)
