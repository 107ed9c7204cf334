"""Pretraining methods, by name. A new method: one module here (a ``Method`` subclass, ``@register``-ed), its
import in ``method_classes`` and its row in ``training/method_keys.py``'s ``METHOD_USES`` (the keys it reads,
pure Python so that configs are checked before torch loads).
"""

from __future__ import annotations

from training.methods.base import METHODS, Method


def method_classes() -> dict[str, type[Method]]:
    """Method name -> its class, every method module imported (each registers itself; this loads torch)."""
    from training.methods import autoencoder, byol, moco, pixels, random_init, simclr, supervised  # noqa: F401

    return METHODS
