"""DigitOnImageNet (paper Sec. 4): an MNIST digit overlaid on each natural image, nine times.

Official notebook recipe: the image is resized to the canvas (224 at paper scale); one digit is drawn
uniformly from a pool of the first N unique MNIST training digits; the same digit is pasted at the
3 x 3 offsets (0.15, 0.45, 0.75) x side so that any crop of half the area keeps a whole copy; image and
digits are combined by element-wise max (option ``add``: add and clip). N = 0 means no digit (label -1).
The knob N trades object features against digit features.

``DigitOverlay`` does the drawing and pasting for a whole batch on the batch's device; it serves both the
fixed datasets of ``make_digit_on_image`` and the trainer, which can draw a fresh digit every time an
image is loaded (as the notebook does).
"""

from __future__ import annotations

import torch

from datasets.compose import paste, resize_digits
from datasets.folder import as_float
from datasets.labelled import LabelledImages, seeded_generator
from datasets.names import COMPOSITE_MODES, DEFAULT_OFFSETS
from datasets.sources import ImageSplit
from datasets.validation import InvalidParameterError, check_choice, check_int_range

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


class DigitOverlay:
    """Paste one digit of the pool (the first ``n_unique`` of ``digits``), ``len(offsets)^2`` times, onto
    each image of a batch. The pool is resized once and kept on ``device``."""

    def __init__(
        self,
        digits: ImageSplit,
        n_unique: int | None,
        canvas_size: int,
        digit_size: int = 28,
        offsets: tuple[float, ...] = DEFAULT_OFFSETS,
        composite: str = "max",
        device: str | torch.device = "cpu",
    ) -> None:
        self.composite = check_choice("composite", composite, COMPOSITE_MODES)
        self.pool_size = len(digits) if n_unique is None else check_int_range("n_unique", n_unique, 0, len(digits))
        self.corners = copy_corners(canvas_size, check_int_range("digit_size", digit_size, 2, canvas_size), offsets)
        self.corners = self.corners.to(device)
        self.patches = resize_digits(digits.images[: self.pool_size, 0].to(device), digit_size)
        self.labels = digits.labels[: self.pool_size].to(device)

    def draw(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """(n,) pool indices, uniform, drawn on the generator's device (all -1 for an empty pool)."""
        if self.pool_size == 0:
            return torch.full((n,), NO_DIGIT, dtype=torch.long, device=generator.device)
        return torch.randint(0, self.pool_size, (n,), generator=generator, device=generator.device)

    def label(self, index: torch.Tensor) -> torch.Tensor:
        """Digit class of each drawn index (-1 for no digit)."""
        index = index.to(self.labels.device)
        return index.clone() if self.pool_size == 0 else self.labels[index]

    def apply(self, images: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        """A copy of ``images`` (N, C, S, S) with pool digit ``index[i]`` pasted on image i."""
        canvas = images.clone()
        if self.pool_size == 0:
            return canvas
        n, copies = images.shape[0], self.corners.shape[0]
        patch = self.patches[index.to(self.patches.device)].to(canvas.device)
        corners = self.corners.to(canvas.device)[None].expand(n, -1, -1)
        return paste(canvas, patch[:, None].expand(-1, copies, -1, -1), corners, mode=self.composite)

    def __call__(self, images: torch.Tensor, index: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """The trainer's load hook: a fresh digit for every image of the batch each time it is loaded."""
        return self.apply(images, self.draw(images.shape[0], generator))


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
    overlay = DigitOverlay(digits, n_unique, images.images.shape[-1], digit_size, offsets, composite, device)
    index = overlay.draw(len(images), seeded_generator(seed)).to(device)
    canvas = overlay.apply(as_float(images.images).to(device), index)
    targets = {"object": images.labels.to(device), "digit": overlay.label(index), "digit_index": index}
    return LabelledImages(
        canvas, targets, f"{images.source}+{digits.source}", {"object": images.class_names, "digit": digits.class_names}
    )
