"""Random init: the encoder at its seeded initialization, never trained (the floor of every figure)."""

from __future__ import annotations

from training.methods.base import Method, register


@register
class RandomInit(Method):
    name = "random"
    n_views = 0
