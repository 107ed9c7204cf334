"""The ``data`` section (and run config) shared by experiments that train on a labelled image set, MNIST or
natural images; ``experiments/runs/image_data.py`` loads a split of it and runs on it."""

from __future__ import annotations

from dataclasses import dataclass, field

from datasets.names import FASHION_MNIST, PHOTOS, TORCHVISION_SOURCES
from sweeps.config import RunConfig
from training.rules import Interval, OneOf, setting

MNIST = "mnist"
MNIST_ON_PHOTOS = "mnist_on_photos"  # MNIST-M-style: each digit blended into a photograph patch
MNIST_SOURCES = (MNIST, MNIST_ON_PHOTOS)  # 28 x 28 digits
PHOTO_BLEND_SEED = 0  # one fixed set of patches, as MNIST-M is one dataset: run seeds vary the training only
IMAGE_SOURCES = (*MNIST_SOURCES, PHOTOS, FASHION_MNIST, *TORCHVISION_SOURCES)


@dataclass(frozen=True)
class ImageData:
    """images: mnist | mnist_on_photos | photos | fashion_mnist | cifar10 | stl10 | folder:<path>; n_train /
    n_test: images per split (0: the whole split; photos: 0 is 500 crops per photograph); image_size: every
    source but the MNIST digits (which stay 28 x 28; set 28 for Fashion-MNIST at its own size).
    ``mnist_on_photos`` blends each digit into a patch of the shipped photographs as MNIST-M does
    (``datasets.digits_on_photos``), the same patches for every run."""

    images: str = setting(MNIST, OneOf(IMAGE_SOURCES, prefixes=("folder:",)))
    n_train: int = setting(0, Interval(0, 10**7))
    n_test: int = setting(0, Interval(0, 10**7))
    image_size: int = setting(32, Interval(8, 512))

    def unread(self) -> dict[str, str]:
        """MNIST keeps its own 28 x 28: the run never reads image_size."""
        return {"image_size": f"data.images={self.images} stays 28 x 28"} if self.images in MNIST_SOURCES else {}

    def cross_problem(self) -> str | None:
        if self.images == PHOTOS and (0 < self.n_train < 10 or 0 < self.n_test < 10):
            return f"data.n_train / data.n_test must be 0 or >= 10 with data.images={PHOTOS} (ten photographs)"
        return None


@dataclass(frozen=True)
class ImageRun(RunConfig):
    """A run on an ``ImageData`` section (subclasses narrow ``data`` to their own section)."""

    data: ImageData = field(default_factory=ImageData)
