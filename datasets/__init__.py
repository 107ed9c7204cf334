"""Synthetic datasets of the paper, built from real MNIST digits and natural images.

Generators: MultiDigits (random / in-grid), Modified MultiDigits (two digit sizes), DigitOnImage and the
RandBit wrapper. Each is deterministic for a seed and returns float images N x C x H x W in [0, 1].
This package imports nothing from the rest of the suite. The names below load on first use (PEP 562), so
``datasets.names`` (the values the generators accept) is importable without torch.
"""

import importlib

_EXPORTS = {
    "make_digit_on_image": "datasets.digit_on_image",
    "LabelledImages": "datasets.labelled",
    "make_multidigit": "datasets.multidigit",
    "make_single_digit": "datasets.multidigit_size",
    "make_two_digit_sizes": "datasets.multidigit_size",
    "RandBitImages": "datasets.randbit",
    "make_randbit": "datasets.randbit",
    "ImageSplit": "datasets.sources",
    "load_mnist": "datasets.sources",
    "load_natural_images": "datasets.sources",
    "resolve_data_root": "datasets.sources",
    "InvalidParameterError": "datasets.validation",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'datasets' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
