"""Generalized contrastive losses of the paper (Table 1). Imports nothing from the rest of the suite.

The names below load on first use (PEP 562), so ``losses.parameters`` (which options each loss reads) is
importable without torch: the run config checks a loss section before torch loads.
"""

import importlib

_EXPORTS = {
    "alignment_loss": "losses.alignment",
    "cross_view_nt_xent": "losses.contrastive",
    "logsumexp_term": "losses.contrastive",
    "nt_xent": "losses.contrastive",
    "ContrastiveLoss": "losses.generalized",
    "LossTerms": "losses.generalized",
    "build_loss": "losses.generalized",
    "LOSS_NAMES": "losses.parameters",
    "LOSS_PARAMETERS": "losses.parameters",
    "nt_xent_balance": "losses.parameters",
    "PRIORS": "losses.priors",
    "sample_prior": "losses.priors",
    "random_directions": "losses.swd",
    "random_orthogonal": "losses.swd",
    "sliced_wasserstein": "losses.swd",
    "swd_to_prior": "losses.swd",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'losses' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
