"""Softmax-based contrastive terms: NT-Xent, its LogSumExp distribution term, and the cross-view variant.

Layout. The 2N rows of a (possibly gathered) batch are ``keys = [Z1; Z2]`` (2N, d), l2-normalized. A rank
owning rows ``offset .. offset + n`` of each view scores its 2n anchors ``[z1; z2]`` against all 2N keys:
anchor a has self index s(a) and positive index p(a) = s(a) +- N. Logits are ``q @ keys.T / tau`` in fp32.

* NT-Xent (SimCLR): l_a = -log softmax_{k != s(a)}(logits_a)[p(a)]: 2N anchors, 2N - 2 negatives each.
  With unit vectors, tau * l_a = ||q_a - key_p(a)||^2 / 2 - 1 + tau * LSE_{k != s(a)}(logits_a): the
  paper's decomposition L = L_align + tau * L_LogSumExp (up to the constant -1).
* LogSumExp term (decoupled NT-Xent, official notebook): mean_a [LSE_k(logits_a) - log d] over the full
  2N x 2N matrix, self and positive included; ``exclude_self`` / ``exclude_positive`` mask them out.
* IFM (``epsilon``): NT-Xent with the positive made harder by epsilon and the negatives easier (see
  ``nt_xent``); the loss adds it to plain NT-Xent with a weight.
* Cross-view NT-Xent (official RandBits notebook): cross-entropy of the n x N matrix z1 @ Z2.T / tau with
  the positive on the diagonal, in both directions, averaged; no same-view negatives.

Masking uses -inf before log-softmax / logsumexp: no exp(1/tau) is ever formed, so tau = 0.01 is safe.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from losses.distributed import gather_rows
from losses.parameters import check_temperature
from losses.precision import at_least_fp32


def _anchor_logits(
    z1: torch.Tensor, z2: torch.Tensor, temperature: float, gather: bool
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Logits (2n, 2N) of the local anchors against all keys, with self (2n,) and positive (2n,) indices."""
    z1, z2 = F.normalize(at_least_fp32(z1), dim=1), F.normalize(at_least_fp32(z2), dim=1)
    keys1, offset = gather_rows(z1) if gather else (z1, 0)
    keys2, _ = gather_rows(z2) if gather else (z2, 0)
    n, big_n = z1.shape[0], keys1.shape[0]
    keys = torch.cat([keys1, keys2])
    anchors = torch.cat([z1, z2])
    logits = anchors @ keys.T / check_temperature(temperature)
    local = torch.arange(n, device=z1.device) + offset
    self_index = torch.cat([local, local + big_n])
    positive_index = torch.cat([local + big_n, local])
    return logits, self_index, positive_index


def _mask(logits: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    return logits.scatter(1, index[:, None], float("-inf"))


def nt_xent(
    z1: torch.Tensor, z2: torch.Tensor, temperature: float, gather: bool = False, epsilon: float = 0.0
) -> torch.Tensor:
    """Standard SimCLR NT-Xent over 2n anchors. z1, z2: (n, d). Returns a scalar (mean over anchors).

    ``epsilon``: implicit feature modification (IFM, Robinson et al. 2021, eq. 3): the positive similarity
    lowered and every negative similarity raised by epsilon before the division by tau,
    l_a = -log e^{(s_ap - eps)/tau} / (e^{(s_ap - eps)/tau} + sum_{k != a, p} e^{(s_ak + eps)/tau}).
    """
    logits, self_index, positive_index = _anchor_logits(z1, z2, temperature, gather)
    if epsilon:
        shift = epsilon / check_temperature(temperature)
        positive = torch.zeros_like(logits).scatter(1, positive_index[:, None], 1.0)
        logits = logits + shift - 2 * shift * positive
    log_prob = F.log_softmax(_mask(logits, self_index), dim=1)
    return -log_prob.gather(1, positive_index[:, None]).mean()


def logsumexp_term(
    z1: torch.Tensor,
    z2: torch.Tensor,
    temperature: float,
    exclude_self: bool = False,
    exclude_positive: bool = False,
    gather: bool = False,
) -> torch.Tensor:
    """Decoupled NT-Xent distribution term: mean_a LSE_k(q_a . key_k / tau) - log d. Returns a scalar.

    Defaults follow the official notebook (nothing masked, constant log d, where d = z1.shape[1]).
    """
    logits, self_index, positive_index = _anchor_logits(z1, z2, temperature, gather)
    if exclude_self:
        logits = _mask(logits, self_index)
    if exclude_positive:
        logits = _mask(logits, positive_index)
    return (torch.logsumexp(logits, dim=1) - math.log(z1.shape[1])).mean()


def cross_view_nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float, gather: bool = False) -> torch.Tensor:
    """Cross-view NT-Xent of the RandBits notebook: mean of CE(z1 @ Z2.T / tau) and CE(z2 @ Z1.T / tau)."""
    z1, z2 = F.normalize(at_least_fp32(z1), dim=1), F.normalize(at_least_fp32(z2), dim=1)
    keys1, offset = gather_rows(z1) if gather else (z1, 0)
    keys2, _ = gather_rows(z2) if gather else (z2, 0)
    tau = check_temperature(temperature)
    labels = torch.arange(z1.shape[0], device=z1.device) + offset
    return (F.cross_entropy(z1 @ keys2.T / tau, labels) + F.cross_entropy(z2 @ keys1.T / tau, labels)) / 2
