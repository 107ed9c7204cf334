"""MultiDigits (paper Sec. 3): several MNIST digits on a black canvas, placed at random or in a grid.

Paper scale: 112 x 112 canvas, 28 x 28 digits, 1..16 digits per image. ``random`` draws each top-left
corner uniformly in [0, canvas - digit] (digits may overlap, composited by max); ``in_grid`` cuts the
canvas into (canvas // digit)^2 cells and fills ``n_digits`` distinct cells, one digit each.
"""

from __future__ import annotations

import torch

from datasets.compose import paste, resize_digits
from datasets.labelled import LabelledImages, presence_vector, seeded_generator
from datasets.names import PLACEMENTS, grid_cells
from datasets.sources import ImageSplit
from datasets.validation import InvalidParameterError, check_choice, check_int_range


def _validate(n_images: int, n_digits: int, canvas_size: int, digit_size: int, placement: str) -> None:
    check_int_range("n_images", n_images, 1)
    check_int_range("canvas_size", canvas_size, 4, 4096)
    check_int_range("digit_size", digit_size, 2, canvas_size)
    check_choice("placement", placement, PLACEMENTS)
    max_digits = grid_cells(canvas_size, digit_size) if placement == "in_grid" else 64
    if not 1 <= n_digits <= max_digits:
        raise InvalidParameterError(
            f"n_digits={n_digits} is not allowed for placement={placement!r} with a {canvas_size}px canvas and "
            f"{digit_size}px digits; it must be in [1, {max_digits}]"
        )


def _top_left_corners(
    n: int, k: int, canvas_size: int, digit_size: int, placement: str, generator: torch.Generator
) -> torch.Tensor:
    """(n, k, 2) integer (y, x) corners."""
    if placement == "random":
        return torch.randint(0, canvas_size - digit_size + 1, (n, k, 2), generator=generator)
    per_side = canvas_size // digit_size
    cells = torch.rand(n, per_side * per_side, generator=generator).argsort(dim=1)[:, :k]
    return torch.stack([cells // per_side, cells % per_side], dim=-1) * digit_size


def make_multidigit(
    digits: ImageSplit,
    n_images: int,
    n_digits: int,
    canvas_size: int = 112,
    digit_size: int = 28,
    placement: str = "random",
    seed: int = 0,
    device: str | torch.device = "cpu",
) -> LabelledImages:
    """Generate MultiDigits images.

    Returns images (N, 1, canvas, canvas) and targets ``digits`` (N, K) class of each digit,
    ``boxes`` (N, K, 4) as (x0, y0, x1, y1) pixel bounds (exclusive end), ``presence`` (N, 10) 0/1 float,
    ``source_index`` (N, K) index of each pasted digit in ``digits``.
    """
    _validate(n_images, n_digits, canvas_size, digit_size, placement)
    generator = seeded_generator(seed)
    source_index = torch.randint(0, len(digits), (n_images, n_digits), generator=generator)
    corners = _top_left_corners(n_images, n_digits, canvas_size, digit_size, placement, generator)
    patches = resize_digits(digits.images[source_index.flatten(), 0].to(device), digit_size)
    canvas = torch.zeros(n_images, 1, canvas_size, canvas_size, device=device)
    source_index, corners = source_index.to(device), corners.to(device)
    paste(canvas, patches.view(n_images, n_digits, digit_size, digit_size), corners, mode="max")
    labels = digits.labels.to(device)[source_index]
    boxes = torch.cat([corners.flip(-1), corners.flip(-1) + digit_size], dim=-1)
    targets = {"digits": labels, "boxes": boxes, "presence": presence_vector(labels), "source_index": source_index}
    return LabelledImages(canvas, targets, digits.source, {"digits": digits.class_names})
