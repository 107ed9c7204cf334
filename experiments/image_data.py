"""The ``data`` section (and run config) shared by experiments that train on a labelled image set, MNIST or
natural images, and the one function that loads a split of it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import torch

from datasets import ImageSplit, load_mnist, load_natural_images
from datasets.digits_on_photos import blend_on_photos
from datasets.sources import FASHION_MNIST, MNIST_FULL, PHOTOS, TORCHVISION_SOURCES
from sweeps.config import RunConfig
from sweeps.spec import RunContext, RunOutcome
from training.data import TrainImages
from training.evaluate import ProbeSet, evaluate
from training.pretrain import pretrain
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


def load_split(data: ImageData, train: bool, seed: int, data_root: str | None) -> ImageSplit:
    """``n_train`` / ``n_test`` images of a split: the full MNIST's first n (its order is already mixed;
    ``mnist_on_photos`` then blends those), ``photos`` crops spread evenly over the photographs, any other
    source (the class-sorted offline MNIST subset, an ImageFolder sorted by class, CIFAR-10, STL-10) a seeded
    random subset, so that a small n still holds every class."""
    n = data.n_train if train else data.n_test
    if data.images == MNIST_ON_PHOTOS:
        digits = load_split(replace(data, images=MNIST), train, seed, data_root)
        return blend_on_photos(digits, train, PHOTO_BLEND_SEED)
    if data.images == MNIST:
        split = load_mnist(data_root)[0 if train else 1]
    else:
        per_photo = max(1, n // 10) if n else 500
        split = load_natural_images(
            data.images, train, data.image_size, data_root, photos_per_class=per_photo, seed=seed
        )
    if not n or split.source == PHOTOS:
        return split
    if split.source == MNIST_FULL:
        keep = torch.arange(min(n, len(split)))
    else:
        keep = torch.randperm(len(split), generator=torch.Generator().manual_seed(seed))[:n]
    return ImageSplit(split.images[keep], split.labels[keep], split.source, split.class_names)


def data_source(config: ImageRun, data_root: str | None) -> str:
    return load_split(config.data, True, config.seed, data_root).source


def pretrain_then_probe(
    config: ImageRun,
    context: RunContext,
    train: TrainImages,
    test: TrainImages,
    labels: torch.Tensor,
    test_labels: torch.Tensor,
) -> RunOutcome:
    """Pretrain on ``train`` (supervised methods fit ``labels``; the online probe, when asked for, too), then
    a linear probe on frozen features: ``acc_linear`` (and ``acc_online``) on ``test``, and ``chance``."""
    result = pretrain(
        config,
        train,
        labels,
        context.device,
        online_labels=labels,
        progress=context.progress,
        checkpoint=context.checkpoint,
    )
    probe = ProbeSet(train, test, {"linear": (labels, test_labels)})
    metrics = evaluate(result.encoder, [probe], context.device, config.eval, config.seed, result.online)
    metrics["chance"] = 1.0 / (int(labels.max()) + 1)
    metrics |= {"n_train_used": float(len(train)), "n_test_used": float(len(test))}  # data.n_* may ask for more
    return RunOutcome(metrics, result.history)


def load_splits(config: ImageRun, data_root: str | None) -> tuple[ImageSplit, ImageSplit]:
    """The run's (train, test) splits (``load_split`` of each)."""
    return load_split(config.data, True, config.seed, data_root), load_split(config.data, False, config.seed, data_root)


def run_on_images(
    config: ImageRun, context: RunContext, splits: tuple[ImageSplit, ImageSplit] | None = None
) -> RunOutcome:
    """The plain run: pretrain on the train split, probe on the test split (``splits``: already loaded)."""
    train, test = splits or load_splits(config, context.data_root)
    return pretrain_then_probe(
        config, context, TrainImages(train.images), TrainImages(test.images), train.labels, test.labels
    )
