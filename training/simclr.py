"""SimCLR pretraining: two augmented views, encoder f, projection head g, any loss of ``losses/`` by name.

z = g(f(x)); the loss compares z of the two views (``losses.build_loss``). With ``online_classes > 0`` a
linear classifier on the stop-gradient representation f(x) of both views is trained jointly with
cross-entropy (the official RandBits notebook protocol).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from losses import build_loss
from training.augment import AugmentConfig, augment
from training.data import TrainImages
from training.device import as_input, autocast, device_generator, prepare
from training.heads import projection_head
from training.loop import LoopConfig, run_training


@dataclass(frozen=True)
class SimCLRConfig:
    loss: str = "nt_xent"
    temperature: float = 0.1
    lam: float = 1.0
    head_depth: int = 2
    head_hidden: int = 512
    head_out: int = 128
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    loop: LoopConfig = field(default_factory=LoopConfig)


class SimCLRModel(nn.Module):
    """encoder f, head g, optional online linear classifier on f's (detached) output."""

    def __init__(self, encoder: nn.Module, head: nn.Module, online_classes: int = 0) -> None:
        super().__init__()
        self.encoder, self.head = encoder, head
        self.online = nn.Linear(encoder.feature_dim, online_classes) if online_classes else None


def train_simclr(
    encoder: nn.Module,
    data: TrainImages,
    config: SimCLRConfig,
    device: torch.device,
    seed: int = 0,
    online_labels: torch.Tensor | None = None,
    online_classes: int = 0,
    checkpoint_path: Path | None = None,
) -> tuple[SimCLRModel, list[float]]:
    """Pretrain ``encoder`` in place; returns the model (encoder, head, online classifier) and epoch losses."""
    torch.manual_seed(seed)
    head = projection_head(encoder.feature_dim, config.head_depth, config.head_hidden, config.head_out)
    model = prepare(SimCLRModel(encoder, head, online_classes), device)
    loss_fn = build_loss(config.loss, temperature=config.temperature, lam=config.lam)
    data = data.to(device)
    labels = None if online_labels is None else online_labels.to(device)
    shuffle, random = torch.Generator().manual_seed(seed), device_generator(seed, device)

    def step(index: torch.Tensor) -> torch.Tensor:
        index = index.to(device)
        images = data.images[index]
        views = [as_input(data.finish(augment(images, config.augment, random), index), device) for _ in range(2)]
        with autocast(device):
            features = [model.encoder(v) for v in views]
            outputs = [model.head(h) for h in features]
        loss = loss_fn(outputs[0], outputs[1], generator=random).total
        if model.online is not None:
            logits = model.online(torch.cat(features).detach().float())
            loss = loss + F.cross_entropy(logits, labels[index].repeat(2))
        return loss

    history = run_training(
        model, step, len(data), config.loop, [shuffle, random], f"simclr[{config.loss}]", checkpoint_path
    )
    return model, history
