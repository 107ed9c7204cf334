"""Synthetic datasets of the paper, built from real MNIST digits and natural images.

Generators: MultiDigits (random / in-grid), Modified MultiDigits (two digit sizes), DigitOnImage and the
RandBit wrapper. Each is deterministic for a seed and returns float images N x C x H x W in [0, 1].
This package imports nothing from the rest of the suite. The names below load on first use (``lazy_loader``), so
``datasets.names`` (the values the generators accept) is importable without torch.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "digit_on_image": ["make_digit_on_image"],
        "labelled": ["LabelledImages"],
        "multidigit": ["make_multidigit"],
        "multidigit_size": ["make_single_digit", "make_two_digit_sizes"],
        "randbit": ["RandBitImages", "make_randbit"],
        "sources": ["ImageSplit", "load_mnist", "load_natural_images", "resolve_data_root"],
        "validation": ["InvalidParameterError"],
    },
)
