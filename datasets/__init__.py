"""Synthetic datasets of the paper, built from real MNIST digits and natural images.

Generators: MultiDigits (random / in-grid), Modified MultiDigits (two digit sizes), DigitOnImage and the
RandBit wrapper. Each is deterministic for a seed and returns float images N x C x H x W in [0, 1].
This package imports nothing from the rest of the suite.
"""

from datasets.digit_on_image import make_digit_on_image
from datasets.labelled import LabelledImages
from datasets.multidigit import make_multidigit
from datasets.multidigit_size import make_single_digit, make_two_digit_sizes
from datasets.randbit import RandBitImages, make_randbit
from datasets.sources import ImageSplit, load_mnist, load_natural_images, resolve_data_root
from datasets.validation import InvalidParameterError

__all__ = [
    "ImageSplit",
    "InvalidParameterError",
    "LabelledImages",
    "RandBitImages",
    "load_mnist",
    "load_natural_images",
    "make_digit_on_image",
    "make_multidigit",
    "make_randbit",
    "make_single_digit",
    "make_two_digit_sizes",
    "resolve_data_root",
]
