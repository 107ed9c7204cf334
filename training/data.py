"""What a trainer trains on: images plus optional hooks that change each batch as it is loaded (DigitOnImage
draws a fresh digit) or add channels after augmentation (RandBit)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

AddChannels = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
OnLoad = Callable[[torch.Tensor, torch.Tensor, torch.Generator], torch.Tensor]


@dataclass
class TrainImages:
    """images (N, C, H, W) in [0, 1].

    ``on_load(images, index, generator)`` returns the batch as the trainer sees it before augmentation,
    drawing any randomness from the trainer's generator (so both views of an image share the draw and a
    resumed run repeats it); ``add_channels(views, index)`` returns (B, C + extra, H, W) views, so extra
    channels (RandBit bits) are never augmented. Feature extraction for evaluation reads ``images`` as
    they are (a fixed evaluation set has its overlays baked in).
    """

    images: torch.Tensor
    add_channels: AddChannels | None = None
    on_load: OnLoad | None = None

    def __len__(self) -> int:
        return self.images.shape[0]

    def load(self, index: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        images = self.images[index]
        return images if self.on_load is None else self.on_load(images, index, generator)

    def finish(self, views: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        return views if self.add_channels is None else self.add_channels(views, index)

    def to(self, device: torch.device) -> TrainImages:
        return TrainImages(self.images.to(device), self.add_channels, self.on_load)
