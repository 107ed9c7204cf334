"""The linear-evaluation set of the MultiDigits experiments: single MNIST digits on the training canvas."""

from __future__ import annotations

from datasets import make_multidigit, make_single_digit
from datasets.sources import ImageSplit
from training.data import TrainImages
from training.evaluate import ProbeSet


def single_digit_probe(
    name: str,
    train_digits: ImageSplit,
    test_digits: ImageSplit,
    digit_size: int,
    canvas_size: int,
    n_train: int,
    n_test: int,
    seed: int,
    placement: str = "random",
) -> ProbeSet:
    """One MNIST digit of side ``digit_size`` on the canvas, placed as MultiDigits ``placement`` places its
    digits: ``random``, at a uniform position; ``in_grid``, in a random cell of the grid (cell-aligned, the
    only positions in-grid training ever shows). Train images from the MNIST train split, test images from
    the test split; the label ``name`` is the digit class."""
    if placement == "random":  # the generator the uniform probe always had: committed probe sets stay bit-identical
        train = make_single_digit(train_digits, digit_size, canvas_size, n_train, seed + 1)
        test = make_single_digit(test_digits, digit_size, canvas_size, n_test, seed + 2)
        labels = {name: (train.targets["digit"], test.targets["digit"])}
    else:
        train = make_multidigit(train_digits, n_train, 1, canvas_size, digit_size, placement, seed + 1)
        test = make_multidigit(test_digits, n_test, 1, canvas_size, digit_size, placement, seed + 2)
        labels = {name: (train.targets["digits"][:, 0], test.targets["digits"][:, 0])}
    return ProbeSet(TrainImages(train.images), TrainImages(test.images), labels)
