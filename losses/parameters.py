"""Which options each loss of Table 1 reads, by name, and the temperature rule: pure Python, so that the run
config checks a loss section before torch loads (``losses/generalized.py`` holds each loss's terms).

A new loss: a row here, its terms in ``losses/generalized.py`` and its test against a brute-force formula.
"""

from __future__ import annotations

import math

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


def check_temperature(temperature: float) -> float:
    """Return tau if it is a positive finite number, else raise one clear error."""
    if not (isinstance(temperature, int | float) and math.isfinite(temperature) and temperature > 0):
        raise ValueError(f"temperature={temperature!r} is not allowed; it must be a finite number > 0")
    return float(temperature)


def nt_xent_balance(temperature: float, dim: int) -> float:
    """The lambda at which decoupled NT-Xent weighs its two terms as NT-Xent does: tau / d.

    Its alignment is averaged over all n x d entries, so for unit rows it is (1 - cos) / d, while its
    distribution term (the LogSumExp of sim / tau) is not divided by d. With lambda = tau / d,
    d / tau x decoupled NT-Xent = -mean cos / tau + mean LSE + 1 / tau - log d: NT-Xent over the full
    similarity matrix plus a constant. A lambda of tau (without the 1 / d) weighs the distribution d times
    more. The SWD terms are per-dimension like the alignment (1-D projections), so their lambda is O(1).
    """
    return check_temperature(temperature) / dim
