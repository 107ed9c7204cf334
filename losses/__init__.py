"""Generalized contrastive losses of the paper (Table 1). Imports nothing from the rest of the suite.

The names below load on first use (``lazy_loader``), so ``losses.parameters`` (which options each loss reads) is
importable without torch: the run config checks a loss section before torch loads.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "alignment": ["alignment_loss"],
        "contrastive": ["cross_view_nt_xent", "logsumexp_term", "nt_xent"],
        "generalized": ["ContrastiveLoss", "LossTerms", "build_loss"],
        "parameters": ["LOSS_NAMES", "LOSS_PARAMETERS", "nt_xent_balance"],
        "priors": ["PRIORS", "sample_prior"],
        "swd": ["random_directions", "random_orthogonal", "sliced_wasserstein", "swd_to_prior"],
    },
)
