"""What one run of an experiment on a labelled image set does: load a split, pretrain, probe."""

from __future__ import annotations

from dataclasses import replace

import torch

from datasets import ImageSplit, load_mnist, load_natural_images
from datasets.digits_on_photos import SOURCE_SUFFIX as PHOTO_BLEND
from datasets.digits_on_photos import blend_on_photos
from datasets.folder import select
from datasets.sources import MNIST_FULL, MNIST_SUBSET, PHOTOS, MissingSourceError, source_name, train_split_size
from experiments.image_data import (
    MNIST,
    MNIST_ON_PHOTOS,
    PHOTO_BLEND_SEED,
    ImageData,
    ImageRun,
)
from experiments.runs import pretrain_in
from sweeps.config import reads
from sweeps.spec import ConfigError, RunContext, RunOutcome
from training.data import TrainImages
from training.evaluate import ProbeSet, evaluate


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
        split = load_natural_images(
            data.images, train, data.image_size, data_root, photos_per_class=_photos_per_class(n), seed=seed
        )
    if not n or split.source == PHOTOS:
        return split
    if split.source == MNIST_FULL:
        keep = torch.arange(min(n, len(split)))
    else:
        keep = torch.randperm(len(split), generator=torch.Generator().manual_seed(seed))[:n]
    return ImageSplit(select(split.images, keep), split.labels[keep], split.source, split.class_names)


def _photos_per_class(n: int) -> int:
    """Crops per photograph for ``n`` images of ``photos`` (0: the default 500 each)."""
    return max(1, n // 10) if n else 500


def data_source(config: ImageRun, data_root: str | None) -> str:
    """The source ``load_split`` will read, named without decoding any natural image (a missing one refused),
    and checked to hold a whole batch."""
    data = config.data
    if data.images in (MNIST, MNIST_ON_PHOTOS):
        source = mnist_source(config, data_root)
        check_batch_fits(config, len(load_mnist(data_root)[0]), source)
        return f"{source}{PHOTO_BLEND}" if data.images == MNIST_ON_PHOTOS else source
    source = source_name(data.images, data_root)
    check_batch_fits(config, train_split_size(data.images, _photos_per_class(data.n_train)), source)
    return source


def check_batch_fits(config: ImageRun, split_size: int, source: str) -> None:
    """A run's batch no larger than the images it trains on (``data.n_train``, or the whole training split)."""
    n_train = min(config.data.n_train, split_size) if config.data.n_train else split_size
    if reads(config, "optim.batch_size") and config.optim.batch_size > n_train:  # the floors train nothing
        raise ConfigError(
            f"optim.batch_size={config.optim.batch_size} must be <= the {n_train} training images the run has "
            f"({source}, data.n_train={config.data.n_train}); lower optim.batch_size"
        )


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
    result = pretrain_in(context, config, train, labels, online_labels=labels)
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


def mnist_source(config: object, data_root: str | None) -> str:
    """The data source of an experiment that reads MNIST: the full set, or the offline fallback where the run's
    ``data.n_train`` fits in the fallback's training digits (a run that needs more is refused, not shrunk)."""
    train = load_mnist(data_root)[0]
    n_train = getattr(getattr(config, "data", None), "n_train", 0)
    if train.source == MNIST_SUBSET and n_train > len(train):
        raise MissingSourceError(
            f"data.n_train={n_train} needs the full MNIST, which is not under the data root (--data-root or "
            f"$CONTRASTIVE_DATA; torchvision's MNIST/raw/ files, downloaded when online); the offline fallback "
            f"{MNIST_SUBSET} has {len(train)} training digits"
        )
    return train.source
