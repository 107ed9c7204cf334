"""DigitOnImageNet (paper Sec. 4): an MNIST digit overlaid on each natural image, nine times.

Official notebook recipe: the image is resized to the canvas (224 at paper scale); one digit is drawn
uniformly from a pool of the first N unique MNIST training digits; the same digit is pasted at the
3 x 3 offsets (0.15, 0.45, 0.75) x side so that any crop of half the area keeps a whole copy; image and
digits are combined by element-wise max (option ``add``: add and clip). N = 0 means no digit (label -1).
The knob N trades object features against digit features.
"""

from __future__ import annotations

import torch

from datasets.compose import COMPOSITE_MODES, paste, resize_digits
from datasets.labelled import LabelledImages, seeded_generator
from datasets.sources import ImageSplit
from datasets.validation import InvalidParameterError, check_choice, check_int_range

DEFAULT_OFFSETS = (0.15, 0.45, 0.75)
NO_DIGIT = -1


def copy_corners(canvas_size: int, digit_size: int, offsets: tuple[float, ...] = DEFAULT_OFFSETS) -> torch.Tensor:
    """(len(offsets)^2, 2) integer (y, x) corners of the pasted copies; each copy must fit on the canvas."""
    starts = torch.tensor([int(round(o * canvas_size)) for o in offsets])
    if starts.min() < 0 or starts.max() + digit_size > canvas_size:
        raise InvalidParameterError(
            f"digit_size={digit_size} with offsets {offsets} does not fit on a {canvas_size}px canvas; "
            f"need max(offset) * canvas + digit_size <= canvas"
        )
    return torch.cartesian_prod(starts, starts)


def make_digit_on_image(
    images: ImageSplit,
    digits: ImageSplit,
    n_unique: int | None,
    digit_size: int = 28,
    offsets: tuple[float, ...] = DEFAULT_OFFSETS,
    composite: str = "max",
    seed: int = 0,
    device: str | torch.device = "cpu",
) -> LabelledImages:
    """Overlay one pool digit (9 copies) on each image; the canvas is the images' own size.

    ``n_unique``: pool = the first ``n_unique`` digits of ``digits`` (0: no digit; None: all of them,
    the usual choice for the test split on MNIST test digits). Returns images (N, 3, S, S), targets
    ``object`` (N,), ``digit`` (N,) (-1 without digit) and ``digit_index`` (N,) index into ``digits``.
    """
    check_choice("composite", composite, COMPOSITE_MODES)
    pool_size = len(digits) if n_unique is None else check_int_range("n_unique", n_unique, 0, len(digits))
    canvas_size = images.images.shape[-1]
    corners = copy_corners(canvas_size, check_int_range("digit_size", digit_size, 2, canvas_size), offsets)
    generator = seeded_generator(seed)
    n = len(images)
    canvas = images.images.to(device, copy=True)
    if pool_size == 0:
        index = torch.full((n,), NO_DIGIT, dtype=torch.long)
        labels = index.clone()
    else:
        index = torch.randint(0, pool_size, (n,), generator=generator)
        labels = digits.labels[index]
        patch = resize_digits(digits.images[index, 0].to(device), digit_size)
        copies = patch[:, None].expand(-1, corners.shape[0], -1, -1)
        paste(canvas, copies, corners.to(device)[None].expand(n, -1, -1), mode=composite)
    targets = {"object": images.labels.to(device), "digit": labels.to(device), "digit_index": index.to(device)}
    return LabelledImages(
        canvas, targets, f"{images.source}+{digits.source}", {"object": images.class_names, "digit": digits.class_names}
    )
