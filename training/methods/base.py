"""The method interface: a method builds its networks around the encoder and computes one step's loss.

The loop (``training/loop.py``) owns everything else: seeding, data order, augmentation into ``n_views``
views, mixed precision, the online probe, progress, checkpoints. A method is an ``nn.Module``, so its
whole state (heads, EMA targets, queues as buffers) is saved in checkpoints and moved to the device.

Which config keys a method reads is declared apart, in ``training/methods/__init__.py`` (``METHOD_USES``),
so that the config layer needs no torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import nn

from training.config import TrainingSettings


@dataclass
class StepOutput:
    """loss: the scalar to minimise; features: the encoder outputs of the views (B, F) each, which the
    loop's online probe reads detached."""

    loss: torch.Tensor
    features: list[torch.Tensor]


class Method(nn.Module):
    """Subclass, set ``name`` and ``n_views``, implement ``step``, decorate with ``@register`` and give the name
    its row in ``METHOD_USES``."""

    name: ClassVar[str]
    n_views: ClassVar[int] = 2  # 0: nothing to train (the encoder stays at its initialization)

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
