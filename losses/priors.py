"""Prior distributions of the generalized contrastive loss (paper Table 1), sampled on the outputs' device.

* ``hypersphere``: x / ||x|| with x ~ N(0, I_d), uniform on the unit sphere S^{d-1};
* ``hypercube``: U(-1, 1)^d;
* ``normal``: N(0, I_d).
"""

from __future__ import annotations

import torch

PRIORS = ("hypersphere", "hypercube", "normal")


def sample_prior(
    prior: str,
    n: int,
    d: int,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """(n, d) samples of ``prior``; ``generator`` (on ``device``) makes them reproducible."""
    if prior == "hypercube":
        return torch.rand(n, d, device=device, dtype=dtype, generator=generator).mul_(2).sub_(1)
    if prior not in PRIORS:
        raise ValueError(f"prior {prior!r} is unknown; choose one of {', '.join(PRIORS)}")
    sample = torch.randn(n, d, device=device, dtype=dtype, generator=generator)
    return torch.nn.functional.normalize(sample, dim=1) if prior == "hypersphere" else sample
