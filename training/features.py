"""Intermediate feature maps of a ResNet encoder (block groups 1-4) and the raw-pixel baseline at the same
resolution, for the k-means maps (``analysis/kmeans.py``).

Block group b is ``ResNetEncoder.layers[b - 1]`` (torchvision's ``layer<b>``); its output is read with
``torchvision.models.feature_extraction.create_feature_extractor``, so the encoder's forward is traced once
and nothing after the last requested block runs.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models.feature_extraction import create_feature_extractor

from datasets.validation import InvalidParameterError
from training.config import BLOCKS


def block_node(block: int) -> str:
    if block not in BLOCKS:
        raise InvalidParameterError(f"block {block} does not exist; a ResNet has block groups {BLOCKS}")
    return f"layers.{block - 1}"


@torch.no_grad()
def block_feature_maps(
    encoder: nn.Module, images: torch.Tensor, blocks: tuple[int, ...], device: torch.device, batch_size: int = 64
) -> dict[int, torch.Tensor]:
    """images (N, C, H, W) -> {block: (N, C_b, H_b, W_b) float32 on the CPU}, in eval mode."""
    if not hasattr(encoder, "layers"):
        raise InvalidParameterError(f"{type(encoder).__name__} has no ResNet block groups; k-means maps need a ResNet")
    extractor = create_feature_extractor(encoder, {block_node(b): str(b) for b in blocks}).to(device).eval()
    outputs: dict[int, list[torch.Tensor]] = {b: [] for b in blocks}
    for start in range(0, len(images), batch_size):
        maps = extractor(images[start : start + batch_size].to(device))
        for b in blocks:
            outputs[b].append(maps[str(b)].float().cpu())
    return {b: torch.cat(parts) for b, parts in outputs.items()}


def pixel_maps(images: torch.Tensor, sizes: dict[int, tuple[int, int]]) -> dict[int, torch.Tensor]:
    """The baseline: each image's pixels (N, C, H, W) averaged to every block's resolution {block: (h, w)}."""
    return {b: F.adaptive_avg_pool2d(images.float(), size) for b, size in sizes.items()}
