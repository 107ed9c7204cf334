"""The linear-evaluation set of the MultiDigits experiments: single MNIST digits on the training canvas."""

from __future__ import annotations

from datasets import make_single_digit
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
) -> ProbeSet:
    """One MNIST digit of side ``digit_size`` at a uniform position on the canvas; train images from the
    MNIST train split, test images from the test split; the label ``name`` is the digit class."""
    train = make_single_digit(train_digits, digit_size, canvas_size, n_train, seed + 1)
    test = make_single_digit(test_digits, digit_size, canvas_size, n_test, seed + 2)
    labels = {name: (train.targets["digit"], test.targets["digit"])}
    return ProbeSet(TrainImages(train.images), TrainImages(test.images), labels)
