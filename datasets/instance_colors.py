"""Colour as an instance cue, not a class cue (the colour analogue of RandBit).

Each grayscale image x (ink 1, background 0) gets its own foreground colour f and background colour b,
drawn uniformly from the RGB cube and fixed for that image: ``colored = x * f + (1 - x) * b``. Both views
of an image share f and b, so a crop's colour histogram identifies its image among others (a shortcut for
contrastive learning), while the colours are independent of the class, so a feature that keeps only colour
reads nothing of the class. Colour distortion removes the shortcut without removing the class signal,
which is what the photographs' "which photograph" classes could not separate.
"""

from __future__ import annotations

import torch

from datasets.folder import as_float
from datasets.labelled import seeded_generator
from datasets.sources import ImageSplit
from datasets.validation import InvalidParameterError

SOURCE_SUFFIX = "+instance-colors"  # appended to the data source of coloured images


def instance_colors(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(n, 3) foreground and (n, 3) background colours, uniform in [0, 1]^3, drawn on the CPU for ``seed``."""
    generator = seeded_generator(seed)
    return torch.rand(n, 3, generator=generator), torch.rand(n, 3, generator=generator)


def colorize(split: ImageSplit, seed: int) -> ImageSplit:
    """``split``'s grayscale images (N, 1, H, W) in a random foreground / background colour pair each."""
    images = as_float(split.images)
    if images.shape[1] != 1:
        raise InvalidParameterError(
            f"instance colours need grayscale images; {split.source} has {images.shape[1]} channels"
        )
    foreground, background = (c.to(images.device)[:, :, None, None] for c in instance_colors(len(images), seed))
    colored = images * foreground + (1 - images) * background
    return ImageSplit(colored, split.labels, f"{split.source}{SOURCE_SUFFIX}", split.class_names)
