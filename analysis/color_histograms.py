"""Colour histograms of augmented crops, and how well they identify their image (SimCLR paper Fig. 6: the
colour-histogram shortcut that colour distortion removes).

``histograms``: per image, a joint RGB histogram with ``bins`` levels per channel (bins^3 cells,
normalized to sum 1), vectorized over the batch. ``retrieval_accuracy``: each image's first view finds, among
the second views of all images, the one with the most similar histogram (histogram intersection); the
fraction that find their own image. Chance is 1 / N.
"""

from __future__ import annotations

import torch


def histograms(images: torch.Tensor, bins: int = 8) -> torch.Tensor:
    """(N, 3, H, W) in [0, 1] -> (N, bins^3) joint colour histograms summing to 1; grey (N, 1, H, W) is
    repeated over the channels."""
    if images.shape[1] == 1:
        images = images.expand(-1, 3, -1, -1)
    levels = (images.clamp(0, 1) * bins).long().clamp_(max=bins - 1)  # (N, 3, H, W)
    cells = (levels[:, 0] * bins + levels[:, 1]) * bins + levels[:, 2]
    counts = torch.zeros(len(images), bins**3, device=images.device)
    counts.scatter_add_(1, cells.flatten(1), torch.ones_like(cells.flatten(1), dtype=counts.dtype))
    return counts / counts.sum(dim=1, keepdim=True)


def retrieval_accuracy(first: torch.Tensor, second: torch.Tensor) -> float:
    """first, second (N, K) histograms of two views of the same N images -> top-1 own-image retrieval."""
    intersection = torch.minimum(first[:, None, :], second[None, :, :]).sum(dim=-1)  # (N, N)
    return float((intersection.argmax(dim=1) == torch.arange(len(first), device=first.device)).float().mean())
