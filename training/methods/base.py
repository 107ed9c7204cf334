"""The method interface: a method builds its networks around the encoder and computes one step's loss.

The loop (``training/loop.py``) owns everything else: seeding, data order, augmentation into ``n_views``
views, mixed precision, the online probe, progress, checkpoints. A method is an ``nn.Module``, so its
whole state (heads, EMA targets, queues as buffers) is saved in checkpoints and moved to the device.

``uses`` names the config keys the method reads, as dotted prefixes (``"loss"`` = the whole section);
``method.name`` and every section outside ``TRAINER_SECTIONS`` (``data``, ``eval``, ``seed``, an experiment's
own section) apply to every run. The config layer resets the keys a
method does not use to their defaults, so e.g. supervised runs are never repeated per temperature.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import torch
from torch import nn

if TYPE_CHECKING:  # the config imports the method registry for its names; at run time this is one way
    from training.config import TrainingSettings


TRAINER_SECTIONS = ("model", "method", "loss", "augment", "optim")  # what trains the encoder
ENCODER_KEYS = ("model.encoder", "model.width", "model.stem_stride", "model.init", "model.bn_momentum", "model.bn_eps")
TRAINING_KEYS = ("augment", "optim", "method.online_probe", "method.online_views", "method.online_init")


@dataclass
class StepOutput:
    """loss: the scalar to minimise; features: the encoder outputs of the views (B, F) each, which the
    loop's online probe reads detached."""

    loss: torch.Tensor
    features: list[torch.Tensor]


class Method(nn.Module):
    """Subclass, set ``name``, ``n_views`` and ``uses``, implement ``step``, and decorate with ``@register``."""

    name: ClassVar[str]
    n_views: ClassVar[int] = 2  # 0: nothing to train (the encoder stays at its initialization)
    uses: ClassVar[tuple[str, ...]] = ()

    def __init__(self, encoder: nn.Module, settings: TrainingSettings, targets: torch.Tensor | None) -> None:
        super().__init__()
        self.encoder = encoder

    def step(self, views: list[torch.Tensor], targets: torch.Tensor | None, generator: torch.Generator) -> StepOutput:
        """views: ``n_views`` augmented batches (B, C, H, W); targets: the batch's rows of the targets."""
        raise NotImplementedError

    @staticmethod
    def untrained(encoder: nn.Module) -> nn.Module:
        """What a method with nothing to train (``n_views`` 0) hands to the probes: by default the encoder at
        its seeded initialization (``random``); ``pixels`` replaces it by the flattened input."""
        return encoder

    def setup(self, example: torch.Tensor, image_channels: int) -> None:
        """Called once before training (and before a checkpoint is loaded) with a batch shaped like the views
        (B, C, H, W), of which the first ``image_channels`` are the image (the rest are added after
        augmentation, e.g. RandBit planes), for layers whose size depends on the input (the autoencoder's)."""

    def after_step(self, progress: float) -> None:
        """Called after every optimizer step with the fraction of training done (EMA targets, queues)."""


METHODS: dict[str, type[Method]] = {}


def register(cls: type[Method]) -> type[Method]:
    METHODS[cls.name] = cls
    return cls


def uses_key(method: type[Method], key: str) -> bool:
    """Whether a run of ``method`` reads the dotted config ``key``."""
    if key.split(".")[0] not in TRAINER_SECTIONS or key == "method.name":
        return True
    return any(key == prefix or key.startswith(prefix + ".") for prefix in method.uses)
