"""MNIST-M-style digits: each grayscale digit blended into a random colour crop of a photograph.

Ganin et al. (2016) built MNIST-M by taking, for each MNIST digit d (ink 1, background 0), a random patch p
of a BSDS500 photograph and writing ``|p - d|`` per colour channel: the digit shows as the inverted photograph
inside its strokes. Offline, the photographs are the ten shipped by scikit-image / scikit-learn
(``datasets.sources``); train digits take patches from the left 70% of each photograph and test digits from
the right 30%, as ``photo_crops`` splits them, so no background pixel is shared between the splits.

The class is still the digit, but colour and texture now vary per image and independently of it: a linear
probe on the raw pixels, or on an untrained encoder, reads far less of the class than on plain MNIST, which
leaves a learned representation room to show differences between losses and heads.
"""

from __future__ import annotations

import torch

from datasets.labelled import seeded_generator
from datasets.sources import PHOTO_TRAIN_FRACTION, ImageSplit, shipped_photographs
from datasets.validation import InvalidParameterError

SOURCE_SUFFIX = "+photo-blend"  # appended to the digits' data source
PATCH_SIDES = (32, 128)  # patch side in photograph pixels, uniform in this range, resized to the digit's size
DRAWS = 60000  # MNIST's training set


def photo_patches(n: int, size: int, train: bool, seed: int) -> torch.Tensor:
    """(n, 3, size, size) random patches of the shipped photographs, drawn on the CPU for ``seed``: a photograph
    uniformly at random per patch, a side uniform in ``PATCH_SIDES``, from the split's part of the photograph.
    Patch i is the same whatever n (the draws are made for at least ``DRAWS`` patches), so the first 5k digits
    of a 20k set look as in a 5k set."""
    from torchvision.ops import roi_align

    photos = [photo for _, photo in shipped_photographs()]
    draws = torch.rand(max(n, DRAWS), 4, generator=seeded_generator(seed * 2 + int(train)))[:n]
    which = (draws[:, 0] * len(photos)).long()
    low, high = PATCH_SIDES
    sides = low + (high - low) * draws[:, 1]
    corner = draws[:, 2:]
    patches = torch.empty(n, 3, size, size)
    for index, photo in enumerate(photos):
        rows = (which == index).nonzero().squeeze(1)
        _, height, width = photo.shape
        split = int(width * PHOTO_TRAIN_FRACTION)
        x_low, x_high = (0, split) if train else (split, width)
        side = torch.minimum(sides[rows], torch.tensor(float(min(x_high - x_low, height))))
        x0 = x_low + corner[rows, 0] * (x_high - x_low - side)
        y0 = corner[rows, 1] * (height - side)
        boxes = torch.stack([torch.zeros_like(x0), x0, y0, x0 + side, y0 + side], dim=1)
        patches[rows] = roi_align(photo[None], boxes, output_size=size, aligned=True, sampling_ratio=2)
    return patches.clamp_(0, 1)


def blend_on_photos(split: ImageSplit, train: bool, seed: int) -> ImageSplit:
    """``split``'s grayscale digits (N, 1, H, W) as ``|patch - digit|`` on a photograph patch each (N, 3, H, W)."""
    digits = split.images
    if digits.shape[1] != 1 or digits.shape[-1] != digits.shape[-2]:
        raise InvalidParameterError(
            f"photo blending needs square grayscale images; {split.source} has shape {tuple(digits.shape[1:])}"
        )
    patches = photo_patches(len(digits), digits.shape[-1], train, seed).to(digits.device)
    blended = (patches - digits).abs_()
    return ImageSplit(blended, split.labels, f"{split.source}{SOURCE_SUFFIX}", split.class_names)
