"""Pretraining shared by the experiments: build the encoder, train it (SimCLR / supervised / not at all),
and score it with linear probes on frozen features."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from experiments.config import ConfigError, PretrainConfig
from training.augment import AugmentConfig
from training.data import TrainImages
from training.encoders import build_encoder
from training.linear_eval import extract_features, linear_probe
from training.loop import LoopConfig
from training.optim import OptimConfig
from training.simclr import SimCLRConfig, train_simclr
from training.supervised import SupervisedConfig, train_supervised

METHODS = ("simclr", "supervised", "random")


def check_method(method: str) -> None:
    if method not in METHODS:
        raise ConfigError(f"method {method!r} is unknown; choose one of {', '.join(METHODS)}")


def loop_config(config: PretrainConfig, progress: bool = True) -> LoopConfig:
    optim = OptimConfig(config.optimizer, config.lr, config.weight_decay, 0.9, config.schedule, config.warmup_epochs)
    return LoopConfig(config.epochs, config.batch_size, optim, progress=progress)


def augment_config(config: PretrainConfig) -> AugmentConfig:
    return AugmentConfig(
        crop_scale=(config.crop_scale_min, 1.0), flip=config.flip, color_strength=config.color_strength
    )


@dataclass
class Pretrained:
    encoder: nn.Module
    history: list[float]
    online: nn.Linear | None = None  # the jointly trained online classifier, when one was asked for


def pretrain(
    config: PretrainConfig,
    data: TrainImages,
    labels: torch.Tensor,
    device: torch.device,
    progress: bool = True,
    online_classes: int = 0,
) -> Pretrained:
    """Encoder trained by ``config.method`` on ``data`` (bits appended by ``data.add_channels`` if any).

    ``labels``: supervised targets, and the online classifier's targets when ``online_classes > 0``.
    """
    check_method(config.method)
    channels = data.finish(data.images[:1], torch.zeros(1, dtype=torch.long)).shape[1]
    torch.manual_seed(config.seed)
    encoder = build_encoder(config.encoder, channels, data.images.shape[-1], config.width, "small", config.stem_stride)
    if config.method == "random":
        return Pretrained(encoder.to(device).eval(), [])
    if config.method == "supervised":
        supervised = SupervisedConfig(augment_config(config), loop_config(config, progress))
        _, history = train_supervised(encoder, data, labels, supervised, device, config.seed)
        return Pretrained(encoder, history)
    simclr = SimCLRConfig(
        config.loss,
        config.temperature,
        config.lam,
        config.head_depth,
        config.head_hidden,
        config.head_out,
        augment_config(config),
        loop_config(config, progress),
    )
    online_labels = labels if online_classes else None
    model, history = train_simclr(encoder, data, simclr, device, config.seed, online_labels, online_classes)
    return Pretrained(model.encoder, history, model.online)


def probe_accuracy(
    encoder: nn.Module,
    train: TrainImages,
    train_labels: torch.Tensor,
    test: TrainImages,
    test_labels: torch.Tensor,
    device: torch.device,
    config: PretrainConfig,
) -> float:
    """Linear-probe test accuracy of frozen ``encoder`` features."""
    train_features = extract_features(encoder, train, device)
    test_features = extract_features(encoder, test, device)
    return linear_probe(
        train_features,
        train_labels.cpu(),
        test_features,
        test_labels.cpu(),
        epochs=config.probe_epochs,
        seed=config.seed,
    )
