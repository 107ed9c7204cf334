"""Supervised baseline: the same encoder trained end to end on the dataset's labels.

Targets (N,) int64 -> softmax cross-entropy; targets (N, K) float 0/1 -> multi-label binary cross-entropy
(e.g. MultiDigits' 10-way presence vector). One augmented view per step (crop / flip / colour as given).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from training.augment import AugmentConfig, augment
from training.data import TrainImages
from training.device import as_input, autocast, device_generator, prepare
from training.loop import LoopConfig, run_training


@dataclass(frozen=True)
class SupervisedConfig:
    augment: AugmentConfig = field(default_factory=lambda: AugmentConfig(crop_scale=(0.5, 1.0), color_strength=0.0))
    loop: LoopConfig = field(default_factory=LoopConfig)


def train_supervised(
    encoder: nn.Module,
    data: TrainImages,
    targets: torch.Tensor,
    config: SupervisedConfig,
    device: torch.device,
    seed: int = 0,
) -> tuple[nn.Module, list[float]]:
    """Train ``encoder`` plus a linear classifier on ``targets``; returns the classifier model and epoch losses."""
    torch.manual_seed(seed)
    multi_label = targets.dim() == 2
    n_out = targets.shape[1] if multi_label else int(targets.max()) + 1
    model = prepare(nn.Sequential(encoder, nn.Linear(encoder.feature_dim, n_out)), device)
    data, targets = data.to(device), targets.to(device)
    shuffle, random = torch.Generator().manual_seed(seed), device_generator(seed, device)

    def step(index: torch.Tensor) -> torch.Tensor:
        index = index.to(device)
        views = as_input(data.finish(augment(data.images[index], config.augment, random), index), device)
        with autocast(device):
            logits = model(views).float()
        if multi_label:
            return F.binary_cross_entropy_with_logits(logits, targets[index].float())
        return F.cross_entropy(logits, targets[index])

    history = run_training(model, step, len(data), config.loop, [shuffle, random], "supervised")
    return model, history
