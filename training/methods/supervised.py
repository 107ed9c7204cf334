"""Supervised baseline: the encoder plus a linear classifier trained end to end on one augmented view.

Targets (N,) int64 -> softmax cross-entropy; targets (N, K) float 0/1 -> multi-label binary cross-entropy
(e.g. MultiDigits' 10-way presence vector).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from training.config import TrainingSettings
from training.methods.base import Method, StepOutput, register


@register
class Supervised(Method):
    name = "supervised"
    n_views = 1

    def __init__(self, encoder: nn.Module, settings: TrainingSettings, targets: torch.Tensor | None) -> None:
        super().__init__(encoder, settings, targets)
        if targets is None:
            raise ValueError("the supervised method needs targets")
        self.multi_label = targets.dim() == 2
        n_out = targets.shape[1] if self.multi_label else int(targets.max()) + 1
        self.classifier = nn.Linear(encoder.feature_dim, n_out)

    def step(self, views: list[torch.Tensor], targets: torch.Tensor | None, generator: torch.Generator) -> StepOutput:
        features = self.encoder(views[0])
        logits = self.classifier(features).float()
        if self.multi_label:
            return StepOutput(F.binary_cross_entropy_with_logits(logits, targets.float()), [features])
        return StepOutput(F.cross_entropy(logits, targets), [features])
