"""Raw pixels: no network at all; the linear probe reads the flattened input (the pixel floor of a figure).

A probe that does no better on a trained encoder's features than on the pixels themselves shows that
training added nothing the claim could be about, so every probed figure draws this line beside the
untrained encoder's.
"""

from __future__ import annotations

from torch import nn

from training.methods.base import Method, register


@register
class RawPixels(Method):
    name = "pixels"
    n_views = 0

    @staticmethod
    def untrained(encoder: nn.Module) -> nn.Module:
        return nn.Flatten()
