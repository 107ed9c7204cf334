"""What a trainer trains on: images plus optional hooks that change each batch as it is loaded (DigitOnImage
draws a fresh digit) or add channels after augmentation (RandBit).

The images are float (N, C, H, W) in [0, 1], uint8 pixels (CIFAR-10, STL-10), or a lazily decoded image folder
(``datasets.folder.FolderImages``). Every batch reaches the trainer and the probes as floats on the device:
uint8 is converted there, per batch; a folder's batches are decoded ahead by DataLoader workers (``streamed``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import torch

from datasets.folder import FolderImages, as_float

AddChannels = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
OnLoad = Callable[[torch.Tensor, torch.Tensor, torch.Generator | None], torch.Tensor]


@dataclass
class TrainImages:
    """images (N, C, H, W): float in [0, 1], uint8, or a ``FolderImages``; ``device``: where batches go.

    ``on_load(images, index, generator)`` returns the batch as the trainer sees it before augmentation,
    drawing any randomness from the trainer's generator (so both views of an image share the draw and a
    resumed run repeats it); ``add_channels(views, index)`` returns (B, C + extra, H, W) views, so extra
    channels (RandBit bits) are never augmented. Feature extraction for evaluation loads batches with no
    generator: an evaluation set's ``on_load`` must be deterministic (a fixed overlay per image).
    """

    images: torch.Tensor | FolderImages
    add_channels: AddChannels | None = None
    on_load: OnLoad | None = None
    device: torch.device | None = None

    def __len__(self) -> int:
        return self.images.shape[0]

    @property
    def streamed(self) -> bool:
        """Whether batches are decoded from files (each rank reads only its own rows)."""
        return isinstance(self.images, FolderImages)

    def _ready(self, images: torch.Tensor, index: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        images = as_float(images.to(self.device or images.device, non_blocking=True))
        return images if self.on_load is None else self.on_load(images, index, generator)

    def load(self, index: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """The float batch at ``index`` on the device, after ``on_load``."""
        rows = index.cpu() if self.streamed else index.to(self.images.device)
        return self._ready(self.images[rows], rows, generator)

    def batches(self, order: Sequence[torch.Tensor], generator: torch.Generator | None) -> Iterator[torch.Tensor]:
        """``load`` of each index tensor of ``order`` in turn (a folder's decoded ahead by DataLoader workers)."""
        if not self.streamed:
            yield from (self.load(index, generator) for index in order)
            return
        for index, images in zip(order, self.images.batches(order), strict=True):
            yield self._ready(images, index, generator)

    def first(self, n: int) -> torch.Tensor:
        """The first ``n`` images as the model sees them (``add_channels`` applied, no ``on_load``), for shapes."""
        index = torch.arange(n)
        return self.finish(as_float(self.images[:n]), index)

    def finish(self, views: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        return views if self.add_channels is None else self.add_channels(views, index)

    def to(self, device: torch.device) -> TrainImages:
        """In-memory images move to ``device`` (uint8 stays uint8); a folder stays on disk, its batches go there."""
        images = self.images if self.streamed else self.images.to(device)
        return TrainImages(images, self.add_channels, self.on_load, device)
