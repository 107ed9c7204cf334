"""Encoders f(x): ResNet-18/50 (torchvision blocks) with any input channels, width and stem, and ConvN.

The representation is the encoder output (global-average-pooled features for ResNets), before any head.

* ResNet: torchvision's ``BasicBlock`` / ``Bottleneck`` in stages [2, 2, 2, 2] (18) or [3, 4, 6, 3] (50) with
  widths (w, 2w, 4w, 8w); w = 64 is torchvision's ResNet exactly, smaller w gives CPU-sized variants.
  Stem ``imagenet``: 7x7 stride-2 conv + 3x3 stride-2 max-pool; stem ``small``: 3x3 conv of stride
  ``stem_stride`` (1 for CIFAR-size inputs), no pooling.
* ConvN (official RandBits notebook): three 3x3 stride-2 valid conv-BN-ReLU blocks (32, 64, 64 filters),
  flatten, dense 128 with BN-ReLU.
"""

from __future__ import annotations

import torch
from torch import nn
from torchvision.models.resnet import BasicBlock, Bottleneck

from training.config import ENCODERS

STEMS = ("imagenet", "small")
_RESNET_LAYOUT = {"resnet18": (BasicBlock, (2, 2, 2, 2)), "resnet50": (Bottleneck, (3, 4, 6, 3))}
RESNETS = tuple(_RESNET_LAYOUT)  # the encoders with four block groups (the ones encoder files can hold)


def _stage(block: type[nn.Module], inplanes: int, planes: int, blocks: int, stride: int) -> tuple[nn.Sequential, int]:
    out = planes * block.expansion
    downsample = None
    if stride != 1 or inplanes != out:
        downsample = nn.Sequential(nn.Conv2d(inplanes, out, 1, stride, bias=False), nn.BatchNorm2d(out))
    layers = [block(inplanes, planes, stride, downsample)] + [block(out, planes) for _ in range(blocks - 1)]
    return nn.Sequential(*layers), out


class ResNetEncoder(nn.Module):
    """x (B, C, H, W) -> features (B, feature_dim); ``stages(x)`` gives the four block-group feature maps."""

    def __init__(
        self,
        arch: str = "resnet18",
        in_channels: int = 3,
        width: int = 64,
        stem: str = "imagenet",
        stem_stride: int = 1,
    ) -> None:
        super().__init__()
        block, blocks = _RESNET_LAYOUT[arch]
        if stem == "imagenet":
            self.stem = nn.Sequential(
                nn.Conv2d(in_channels, width, 7, 2, 3, bias=False),
                nn.BatchNorm2d(width),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(3, 2, 1),
            )
        else:
            self.stem = nn.Sequential(
                nn.Conv2d(in_channels, width, 3, stem_stride, 1, bias=False),
                nn.BatchNorm2d(width),
                nn.ReLU(inplace=True),
            )
        stages, channels = [], width
        for i, n_blocks in enumerate(blocks):
            stage, channels = _stage(block, channels, width * 2**i, n_blocks, 1 if i == 0 else 2)
            stages.append(stage)
        self.layers = nn.ModuleList(stages)
        self.feature_dim = channels
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")

    def stages(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Feature maps after each of the four block groups: [(B, w, ., .), ..., (B, feature_dim, ., .)]."""
        maps, x = [], self.stem(x)
        for layer in self.layers:
            x = layer(x)
            maps.append(x)
        return maps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.stages(x)[-1].mean(dim=(2, 3))


class ConvN(nn.Module):
    """The RandBits notebook encoder: x (B, C, H, W) -> (B, 128)."""

    def __init__(
        self,
        in_channels: int = 1,
        image_size: int = 28,
        filters: tuple[int, ...] = (32, 64, 64),
        feature_dim: int = 128,
    ) -> None:
        super().__init__()
        layers, channels, size = [], in_channels, image_size
        for out in filters:
            layers += [nn.Conv2d(channels, out, 3, 2, 0, bias=False), nn.BatchNorm2d(out), nn.ReLU(inplace=True)]
            channels, size = out, (size - 3) // 2 + 1
        if size < 1:
            raise ValueError(f"image_size={image_size} is too small for ConvN's {len(filters)} stride-2 convolutions")
        self.features = nn.Sequential(*layers, nn.Flatten())
        self.dense = nn.Sequential(
            nn.Linear(channels * size * size, feature_dim, bias=False),
            nn.BatchNorm1d(feature_dim),
            nn.ReLU(inplace=True),
        )
        self.feature_dim = feature_dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dense(self.features(x))


def build_encoder(
    name: str, in_channels: int, image_size: int, width: int = 64, stem: str = "small", stem_stride: int = 1
) -> nn.Module:
    """An encoder by name (``resnet18``, ``resnet50``, ``convn``); it exposes ``feature_dim``."""
    if name == "convn":
        return ConvN(in_channels, image_size)
    if name not in _RESNET_LAYOUT:
        raise ValueError(f"encoder {name!r} is unknown; choose one of {', '.join(ENCODERS)}")
    if stem not in STEMS:
        raise ValueError(f"stem {stem!r} is unknown; choose one of {', '.join(STEMS)}")
    return ResNetEncoder(name, in_channels, width, stem, stem_stride)
