"""Pretraining by config: build the encoder, wrap it in the configured method, train it with the loop."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from training.config import TrainingSettings
from training.data import TrainImages
from training.encoders import build_encoder
from training.initialization import configure
from training.loop import train
from training.methods import method_classes


@dataclass
class Pretrained:
    encoder: nn.Module  # in eval mode, on the training device
    history: list[float]  # mean loss of each epoch ([] for a method that does not train)
    online: nn.Linear | None = None  # the online probe, when ``method.online_probe`` asked for one


def pretrain(
    settings: TrainingSettings,
    data: TrainImages,
    targets: torch.Tensor | None,
    device: torch.device,
    online_labels: torch.Tensor | None = None,
    progress: bool = True,
    checkpoint: Path | None = None,
) -> Pretrained:
    """Train an encoder on ``data`` with ``settings.method``; its input channels include ``data``'s extra
    channels (RandBit bits). ``targets``: what a supervised method fits; ``online_labels``: what the online
    probe fits when ``settings.method.online_probe`` is set. ``checkpoint``: resume from / save to there."""
    method_cls = method_classes()[settings.method.name]
    channels = data.first(1).shape[1]
    model = settings.model
    torch.manual_seed(settings.seed)
    encoder = build_encoder(model.encoder, channels, data.images.shape[-1], model.width, "small", model.stem_stride)
    if method_cls.n_views == 0:
        encoder = method_cls.untrained(configure(encoder, model.init, model.bn_momentum, model.bn_eps))
        return Pretrained(encoder.to(device).eval(), [])
    torch.manual_seed(settings.seed)
    method = configure(method_cls(encoder, settings, targets), model.init, model.bn_momentum, model.bn_eps)
    online_labels = online_labels if settings.method.online_probe else None
    trained = train(
        method,
        data,
        targets=targets,
        augment_config=settings.augment,
        optim=settings.optim,
        online_config=settings.method,
        seed=settings.seed,
        device=device,
        online_labels=online_labels,
        progress=progress,
        checkpoint=checkpoint,
    )
    return Pretrained(method.encoder, trained.history, trained.online)
