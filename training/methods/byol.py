"""BYOL (Grill et al. 2020): online encoder + projector + predictor against an EMA target encoder + projector.

For views v1, v2: p_i = predictor(projector(f(v_i))), z'_i = target(v_i) (no gradient);
loss = mean_b [ ||p1/|p1| - z'2/|z'2| ||^2 + ||p2/|p2| - z'1/|z'1| ||^2 ] = mean_b [ (2 - 2 cos(p1, z'2)) +
(2 - 2 cos(p2, z'1)) ] (symmetrized, as in the paper). After each step the target moves toward the online
network with momentum m = 1 - (1 - ema) * (cos(pi * progress) + 1) / 2, from ``method.ema`` to 1.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from training.config import TrainingSettings
from training.heads import projection_head
from training.methods.base import Method, StepOutput, register
from training.methods.momentum import ema_update, frozen_copy


def byol_loss(predictions: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """(B, d) online predictions and (B, d) target projections of the other view -> mean of 2 - 2 cos."""
    return (2 - 2 * F.cosine_similarity(predictions.float(), targets.float(), dim=-1)).mean()


def byol_momentum(base: float, progress: float) -> float:
    """The cosine schedule: ``base`` at the start, 1 at the end."""
    return 1 - (1 - base) * (math.cos(math.pi * progress) + 1) / 2


@register
class BYOL(Method):
    name = "byol"

    def __init__(self, encoder: nn.Module, settings: TrainingSettings, targets: torch.Tensor | None) -> None:
        super().__init__(encoder, settings, targets)
        model = settings.model
        self.projector = projection_head(
            encoder.feature_dim, model.head_depth, model.head_hidden, model.head_out, model.head_bias
        )
        self.predictor = projection_head(model.head_out, 2, model.head_hidden, model.head_out)
        self.target = frozen_copy(nn.Sequential(encoder, self.projector))
        self.base_momentum = settings.method.ema

    def step(self, views: list[torch.Tensor], targets: torch.Tensor | None, generator: torch.Generator) -> StepOutput:
        features = [self.encoder(v) for v in views]
        predictions = [self.predictor(self.projector(h)) for h in features]
        with torch.no_grad():
            projections = [self.target(v) for v in views]
        loss = byol_loss(predictions[0], projections[1]) + byol_loss(predictions[1], projections[0])
        return StepOutput(loss, features)

    def setup(self, example: torch.Tensor, image_channels: int) -> None:
        """Start the target as a copy of the online network, also after ``model.init`` re-initialized it."""
        ema_update(self.target, nn.Sequential(self.encoder, self.projector), 0.0)

    def after_step(self, progress: float) -> None:
        ema_update(
            self.target, nn.Sequential(self.encoder, self.projector), byol_momentum(self.base_momentum, progress)
        )
