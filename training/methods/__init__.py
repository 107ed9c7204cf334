"""Pretraining methods, by name. A new method: one module here (a ``Method`` subclass, ``@register``-ed), its
import in ``method_classes`` and its row in ``METHOD_USES``.

``METHOD_USES`` names the config keys each method reads, as dotted prefixes (``"loss"`` = the whole section);
``method.name`` and every section outside ``TRAINER_SECTIONS`` (``data``, ``eval``, ``seed``, an experiment's
own section) apply to every run. The config layer resets the keys a method does not read to their defaults, so
e.g. supervised runs are never repeated per temperature. This module is pure Python, so that a run config is
checked before torch loads; ``method_classes`` imports the methods themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from training.methods.base import Method

TRAINER_SECTIONS = ("model", "method", "loss", "augment", "optim")  # what trains the encoder
ENCODER_KEYS = ("model.encoder", "model.width", "model.stem_stride", "model.init", "model.bn_momentum", "model.bn_eps")
TRAINING_KEYS = ("augment", "optim", "method.online_probe", "method.online_views", "method.online_init")

METHOD_USES: dict[str, tuple[str, ...]] = {
    "autoencoder": (*ENCODER_KEYS, "model.head_hidden", "method.reconstruct", *TRAINING_KEYS),
    "byol": ("model", "method.ema", *TRAINING_KEYS),
    "moco": ("model", "loss.temperature", "method.ema", "method.queue_size", *TRAINING_KEYS),
    "pixels": (),  # reads no model key: one pixel run per data section, whatever the encoder of the grid
    "random": ENCODER_KEYS,
    "simclr": ("model", "loss", *TRAINING_KEYS),
    "supervised": (*ENCODER_KEYS, *TRAINING_KEYS),
}


def uses_key(name: str, key: str) -> bool:
    """Whether a run of the method called ``name`` reads the dotted config ``key``."""
    if key.split(".")[0] not in TRAINER_SECTIONS or key == "method.name":
        return True
    return any(key == prefix or key.startswith(prefix + ".") for prefix in METHOD_USES[name])


def method_classes() -> dict[str, type[Method]]:
    """Method name -> its class, every method module imported (each registers itself; this loads torch)."""
    from training.methods import autoencoder, byol, moco, pixels, random_init, simclr, supervised  # noqa: F401
    from training.methods.base import METHODS

    return METHODS
