"""RandBit (paper Sec. 4): b extra constant channels carrying the bits of a per-image integer.

Each image i gets an integer u_i in [0, 2^b), fixed for the dataset (identical in both views and in every
epoch). Channel j of the extra planes is the constant bit_j(u_i) = (u_i >> j) & 1. The images and the
integers are kept apart: augmentation acts on ``images`` only, and the trainer appends
``bit_planes(integers[batch])`` afterwards, so no augmentation can ever touch the bits.

Integers come from a seeded uniform draw (``random``) or, as in the official RandBits notebook, from a hash
of the image's pixels into 2^b buckets (``hash``: identical images share bits).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from datasets.folder import as_float
from datasets.labelled import LabelledImages, seeded_generator
from datasets.names import BIT_SOURCES, MAX_BITS
from datasets.validation import check_choice, check_int_range

_HASH_PRIME = (1 << 61) - 1


def image_hash(images: torch.Tensor, n_bits: int) -> torch.Tensor:
    """(N, ...) images in [0, 1] -> (N,) int64 in [0, 2^n_bits): a seeded linear hash of the 8-bit pixels.

    h = (sum_p q_p * w_p) mod (2^61 - 1), q_p the pixel quantized to 0..255 and w_p fixed random weights
    below 2^31, then mixed by an xor-shift before keeping the low ``n_bits`` bits. Fully vectorized.
    """
    pixels = (images.reshape(images.shape[0], -1) * 255).round().long()
    weights = torch.randint(0, 1 << 31, (pixels.shape[1],), generator=seeded_generator(12345)).to(pixels.device)
    h = (pixels * weights).sum(dim=1) % _HASH_PRIME
    h = h ^ (h >> 29)
    return h % (1 << n_bits) if n_bits > 0 else torch.zeros_like(h)


def bit_planes(integers: torch.Tensor, n_bits: int, height: int, width: int) -> torch.Tensor:
    """(N,) int64 -> (N, n_bits, H, W) float planes, plane j constant bit j of each integer."""
    shifts = torch.arange(n_bits, device=integers.device)
    bits = ((integers[:, None] >> shifts) & 1).to(torch.float32)
    return bits[:, :, None, None].expand(-1, -1, height, width)


@dataclass
class RandBitImages:
    """An image dataset with a per-image integer; ``with_bits(x, idx)`` appends the planes to a batch."""

    base: LabelledImages
    n_bits: int
    integers: torch.Tensor  # (N,) int64 in [0, 2^n_bits)

    @property
    def images(self) -> torch.Tensor:
        return self.base.images

    @property
    def targets(self) -> dict[str, torch.Tensor]:
        return {**self.base.targets, "bits": self.integers}

    def __len__(self) -> int:
        return len(self.base)

    def with_bits(self, images: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        """Concatenate (B, C, H, W) (already augmented) images with the bit planes of items ``index``."""
        planes = bit_planes(
            self.integers[index.to(self.integers.device)].to(images.device),
            self.n_bits,
            images.shape[-2],
            images.shape[-1],
        )
        return torch.cat([images, planes.to(images.dtype)], dim=1)

    def full(self) -> torch.Tensor:
        """All images with their bit planes: (N, C + n_bits, H, W)."""
        return self.with_bits(self.images, torch.arange(len(self)))


def make_randbit(base: LabelledImages, n_bits: int, bits: str = "random", seed: int = 0) -> RandBitImages:
    """Attach ``n_bits`` (0..30) bits per image to ``base``, drawn at random (seeded) or by image hash."""
    check_int_range("n_bits", n_bits, 0, MAX_BITS)
    check_choice("bits", bits, BIT_SOURCES)
    if bits == "hash":
        integers = image_hash(as_float(base.images), n_bits)
    else:
        integers = torch.randint(0, 1 << n_bits, (len(base),), generator=seeded_generator(seed))
    return RandBitImages(base, n_bits, integers.to(base.images.device))
