"""The container every generator returns: images plus named targets, usable as a torch Dataset."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch.utils.data import Dataset


@dataclass
class LabelledImages(Dataset):
    """images: (N, C, H, W) float in [0, 1]; targets: name -> tensor with N rows; source: data provenance.

    ``dataset[i]`` gives ``(image, {name: target})``; whole-tensor access (``.images``, ``.targets``) is
    what the batched trainer uses.
    """

    images: torch.Tensor
    targets: dict[str, torch.Tensor]
    source: str
    class_names: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, target in self.targets.items():
            if target.shape[0] != self.images.shape[0]:
                raise ValueError(f"target {name!r} has {target.shape[0]} rows for {self.images.shape[0]} images")

    def __len__(self) -> int:
        return self.images.shape[0]

    def __getitem__(self, index: int) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        return self.images[index], {name: target[index] for name, target in self.targets.items()}


def seeded_generator(seed: int) -> torch.Generator:
    """A CPU generator: every random draw of the generators happens on it, so bytes do not depend on device."""
    return torch.Generator().manual_seed(int(seed))


def presence_vector(digit_labels: torch.Tensor, n_classes: int = 10) -> torch.Tensor:
    """(N, K) class indices -> (N, n_classes) float 0/1 multi-label presence targets."""
    presence = torch.zeros(digit_labels.shape[0], n_classes, device=digit_labels.device)
    return presence.scatter_(1, digit_labels, 1.0)
