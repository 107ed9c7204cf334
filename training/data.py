"""What a trainer trains on: images plus an optional hook that adds channels after augmentation (RandBit)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

AddChannels = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass
class TrainImages:
    """images (N, C, H, W) in [0, 1]; ``add_channels(views, index)`` returns (B, C + extra, H, W) views.

    The hook receives the already augmented views and the dataset indices of the batch, so extra channels
    (RandBit bits) are never augmented.
    """

    images: torch.Tensor
    add_channels: AddChannels | None = None

    def __len__(self) -> int:
        return self.images.shape[0]

    def finish(self, views: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        return views if self.add_channels is None else self.add_channels(views, index)

    def to(self, device: torch.device) -> TrainImages:
        return TrainImages(self.images.to(device), self.add_channels)
