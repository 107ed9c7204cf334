"""Modified MultiDigits (paper Sec. 4): a fixed-size digit beside a second digit of varying size.

Paper scale: 112 px canvas, first digit 20 x 20, second digit from 20 x 20 up to 80 x 80, never
overlapping. Layout (always valid when small + large <= canvas): pick a separating axis and an order at
random; along that axis the two digits take [a, a + s1) and [b, b + s2) with the free space
canvas - s1 - s2 split in three uniform parts; across it each digit's offset is uniform.
The linear-evaluation sets are single digits: ``make_single_digit`` puts one MNIST digit of a given size
at a uniform position on the same canvas.
"""

from __future__ import annotations

import torch

from datasets.compose import paste, resize_digits
from datasets.labelled import LabelledImages, presence_vector, seeded_generator
from datasets.sources import ImageSplit
from datasets.validation import InvalidParameterError, check_int_range


def _non_overlapping_corners(
    n: int, first: int, second: int, canvas: int, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """(n, 2) integer (y, x) corners of two squares of sides ``first`` and ``second`` that never overlap."""
    slack = canvas - first - second
    cuts = (torch.rand(n, 2, generator=generator) * (slack + 1)).floor().long().sort(dim=1).values
    first_goes_first = torch.rand(n, generator=generator) < 0.5
    lead_gap, mid_gap = cuts[:, 0], cuts[:, 1] - cuts[:, 0]
    lead_size = torch.where(first_goes_first, first, second)
    lead_pos, trail_pos = lead_gap, lead_gap + lead_size + mid_gap
    along_first = torch.where(first_goes_first, lead_pos, trail_pos)
    along_second = torch.where(first_goes_first, trail_pos, lead_pos)
    across_first = torch.randint(0, canvas - first + 1, (n,), generator=generator)
    across_second = torch.randint(0, canvas - second + 1, (n,), generator=generator)
    separate_in_x = (torch.rand(n, generator=generator) < 0.5)[:, None]
    corner_first = torch.where(
        separate_in_x, torch.stack([across_first, along_first], 1), torch.stack([along_first, across_first], 1)
    )
    corner_second = torch.where(
        separate_in_x, torch.stack([across_second, along_second], 1), torch.stack([along_second, across_second], 1)
    )
    return corner_first, corner_second


def make_two_digit_sizes(
    digits: ImageSplit,
    n_images: int,
    small_size: int = 20,
    large_size: int = 80,
    canvas_size: int = 112,
    seed: int = 0,
    device: str | torch.device = "cpu",
) -> LabelledImages:
    """Two-digit images (N, 1, canvas, canvas): digit one at ``small_size``, digit two at ``large_size``.

    Targets: ``small_digit`` (N,), ``large_digit`` (N,) class labels, ``presence`` (N, 10),
    ``boxes`` (N, 2, 4) as (x0, y0, x1, y1) for (small, large).
    """
    check_int_range("n_images", n_images, 1)
    check_int_range("canvas_size", canvas_size, 4, 4096)
    check_int_range("small_size", small_size, 2, canvas_size)
    check_int_range("large_size", large_size, 2, canvas_size)
    if small_size + large_size > canvas_size:
        raise InvalidParameterError(
            f"small_size + large_size = {small_size + large_size} does not fit side by side on a "
            f"{canvas_size}px canvas; it must be <= {canvas_size}"
        )
    generator = seeded_generator(seed)
    index = torch.randint(0, len(digits), (n_images, 2), generator=generator)
    corner_small, corner_large = _non_overlapping_corners(n_images, small_size, large_size, canvas_size, generator)
    pool = digits.images[:, 0].to(device)
    canvas = torch.zeros(n_images, 1, canvas_size, canvas_size, device=device)
    index = index.to(device)
    paste(canvas, resize_digits(pool[index[:, 0]], small_size)[:, None], corner_small.to(device)[:, None])
    paste(canvas, resize_digits(pool[index[:, 1]], large_size)[:, None], corner_large.to(device)[:, None])
    labels = digits.labels.to(device)[index]
    corners = torch.stack([corner_small, corner_large], 1).to(device).flip(-1)
    sizes = torch.tensor([small_size, large_size], device=device)[None, :, None]
    targets = {
        "small_digit": labels[:, 0],
        "large_digit": labels[:, 1],
        "presence": presence_vector(labels),
        "boxes": torch.cat([corners, corners + sizes], -1),
    }
    return LabelledImages(
        canvas, targets, digits.source, {"small_digit": digits.class_names, "large_digit": digits.class_names}
    )


def make_single_digit(
    digits: ImageSplit,
    digit_size: int,
    canvas_size: int = 112,
    n_images: int | None = None,
    seed: int = 0,
    device: str | torch.device = "cpu",
) -> LabelledImages:
    """One digit of side ``digit_size`` at a uniform position on the canvas: the linear-evaluation set.

    ``n_images=None`` uses every digit of ``digits`` once, in order; else digits are drawn with
    replacement. Target ``digit`` (N,).
    """
    check_int_range("canvas_size", canvas_size, 4, 4096)
    check_int_range("digit_size", digit_size, 2, canvas_size)
    generator = seeded_generator(seed)
    if n_images is None:
        index = torch.arange(len(digits))
    else:
        index = torch.randint(0, len(digits), (check_int_range("n_images", n_images, 1),), generator=generator)
    corners = torch.randint(0, canvas_size - digit_size + 1, (index.shape[0], 1, 2), generator=generator)
    canvas = torch.zeros(index.shape[0], 1, canvas_size, canvas_size, device=device)
    patches = resize_digits(digits.images[index.to(digits.images.device), 0].to(device), digit_size)
    paste(canvas, patches[:, None], corners.to(device))
    return LabelledImages(
        canvas, {"digit": digits.labels[index].to(device)}, digits.source, {"digit": digits.class_names}
    )
