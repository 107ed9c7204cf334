"""Generalized contrastive losses of the paper (Table 1). Imports nothing from the rest of the suite."""

from losses.alignment import alignment_loss
from losses.contrastive import cross_view_nt_xent, logsumexp_term, nt_xent
from losses.generalized import LOSS_NAMES, LOSS_PARAMETERS, ContrastiveLoss, LossTerms, build_loss, nt_xent_balance
from losses.priors import PRIORS, sample_prior
from losses.swd import random_directions, random_orthogonal, sliced_wasserstein, swd_to_prior

__all__ = [
    "LOSS_NAMES",
    "LOSS_PARAMETERS",
    "PRIORS",
    "ContrastiveLoss",
    "LossTerms",
    "alignment_loss",
    "build_loss",
    "cross_view_nt_xent",
    "logsumexp_term",
    "nt_xent",
    "nt_xent_balance",
    "random_directions",
    "random_orthogonal",
    "sample_prior",
    "sliced_wasserstein",
    "swd_to_prior",
]
