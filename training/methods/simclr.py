"""SimCLR: two views, encoder f, projection head g, z = g(f(x)), any loss of ``losses/`` by name."""

from __future__ import annotations

import torch

from losses import LOSS_PARAMETERS, build_loss
from losses.distributed import world_size
from training.config import TrainingSettings
from training.heads import projection_head
from training.methods.base import Method, StepOutput, register


@register
class SimCLR(Method):
    name = "simclr"

    def __init__(self, encoder: torch.nn.Module, settings: TrainingSettings, targets: torch.Tensor | None) -> None:
        super().__init__(encoder, settings, targets)
        model, loss = settings.model, settings.loss
        self.head = projection_head(
            encoder.feature_dim, model.head_depth, model.head_hidden, model.head_out, model.head_bias
        )
        options = {key: getattr(loss, key) for key in LOSS_PARAMETERS[loss.name]}
        self.loss_fn = build_loss(loss.name, gather=world_size() > 1, **options)  # torchrun: negatives of all ranks

    def step(self, views: list[torch.Tensor], targets: torch.Tensor | None, generator: torch.Generator) -> StepOutput:
        features = [self.encoder(v) for v in views]
        outputs = [self.head(h) for h in features]
        return StepOutput(self.loss_fn(outputs[0], outputs[1], generator=generator).total, features)
