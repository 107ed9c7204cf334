"""Images with known object masks, for scoring how well k-means clusters follow objects.

Each image is a background photo crop with one digit-shaped object pasted at a uniform random position:
an MNIST digit resized to ``object_size``, thresholded at 0.5 and thickened (max-pool of side
``object_size // 8`` rounded up to odd) into a silhouette, which is the mask. What fills the silhouette:

* ``texture``: a crop of another photograph (another class), so the object differs from the background by
  texture and colour statistics, not by being bright: raw pixels cannot simply threshold it;
* ``matched``: the same, with the crop's per-channel mean and standard deviation set to the background's, so
  the object has the background's colour statistics and only texture tells it apart;
* ``digit``: white, as in DigitOnImageNet (a bright object, easy for raw pixels).

Everything is vectorized over the batch (one paste for all masks).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from datasets.compose import paste, resize_digits
from datasets.folder import as_float
from datasets.labelled import seeded_generator
from datasets.names import OBJECT_FILLS
from datasets.sources import ImageSplit
from datasets.validation import InvalidParameterError, check_choice, check_int_range


@dataclass(frozen=True)
class MaskedImages:
    images: torch.Tensor  # (N, C, S, S) in [0, 1]
    masks: torch.Tensor  # (N, S, S) bool: the object's pixels
    digit_index: torch.Tensor | None = None  # (N,) which of the given digits each object's silhouette is


def silhouettes(digits: torch.Tensor, size: int) -> torch.Tensor:
    """(M, 1, 28, 28) or (M, 28, 28) digits -> (M, size, size) bool thickened digit shapes."""
    shapes = resize_digits(digits.reshape(-1, *digits.shape[-2:]).float(), size) > 0.5
    kernel = (size // 8) | 1
    return F.max_pool2d(shapes[:, None].float(), kernel, stride=1, padding=kernel // 2)[:, 0] > 0.5


def match_statistics(images: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) images with each channel's mean and standard deviation set to ``reference``'s, clipped."""
    mean, std = images.mean(dim=(2, 3), keepdim=True), images.std(dim=(2, 3), keepdim=True).clamp_min(1e-3)
    target_mean, target_std = reference.mean(dim=(2, 3), keepdim=True), reference.std(dim=(2, 3), keepdim=True)
    return ((images - mean) / std * target_std + target_mean).clamp(0, 1)


def make_masked_objects(
    backgrounds: ImageSplit, digits: torch.Tensor, n_images: int, object_size: int, fill: str, seed: int
) -> MaskedImages:
    """``n_images`` masked images on the ``backgrounds`` crops (N_b, C, S, S), objects from ``digits``."""
    check_choice("fill", fill, OBJECT_FILLS)
    check_int_range("n_images", n_images, 1)
    canvas = backgrounds.images.shape[-1]
    if not 2 <= object_size <= canvas:
        raise InvalidParameterError(f"object_size={object_size} must be in [2, {canvas}] (the image side)")
    n_classes = int(backgrounds.labels.max()) + 1
    if fill != "digit" and n_classes < 2:
        raise InvalidParameterError(f"fill={fill!r} needs backgrounds of two or more classes")
    generator = seeded_generator(seed)
    chosen = torch.randint(len(backgrounds), (n_images,), generator=generator)
    images = as_float(backgrounds.images[chosen]).clone()
    digit_index = torch.randint(len(digits), (n_images,), generator=generator)
    shapes = silhouettes(digits[digit_index], object_size)
    corners = torch.randint(canvas - object_size + 1, (n_images, 1, 2), generator=generator)
    masks = paste(torch.zeros(n_images, 1, canvas, canvas), shapes[:, None].float(), corners)[:, 0] > 0.5
    if fill != "digit":  # a crop of another class: shift the class by 1..n_classes-1, pick one of its crops
        labels = (
            backgrounds.labels[chosen] + torch.randint(1, n_classes, (n_images,), generator=generator)
        ) % n_classes
        counts = torch.bincount(backgrounds.labels, minlength=n_classes)
        starts = torch.cumsum(counts, 0) - counts
        within = (torch.rand(n_images, generator=generator) * counts[labels]).long()
        pick = torch.argsort(backgrounds.labels, stable=True)[starts[labels] + within]
        objects = as_float(backgrounds.images[pick])
        if fill == "matched":
            objects = match_statistics(objects, images)
    else:
        objects = torch.ones_like(images)
    images = torch.where(masks[:, None], objects, images)
    return MaskedImages(images, masks, digit_index)
