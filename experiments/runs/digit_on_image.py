"""One run of digit_on_image: images with a digit pasted on, pretraining, object and digit probes."""

from __future__ import annotations

import torch

from datasets import ImageSplit, InvalidParameterError, load_mnist, make_digit_on_image
from datasets.digit_on_image import DigitOverlay
from datasets.folder import FolderImages
from datasets.labelled import seeded_generator
from datasets.sources import source_name, train_split_size
from experiments.digit_on_image import (
    DigitOnImageRun,
)
from experiments.runs import pretrain_in
from experiments.runs.image_data import check_batch_fits, load_split
from sweeps.spec import RunContext, RunOutcome
from training.data import TrainImages
from training.evaluate import ProbeSet, evaluate


def data_source(config: DigitOnImageRun, data_root: str | None) -> str:
    """The sources the run will read; also checks, before any run, that the object images load (first: a bad
    folder is named before MNIST is read) and that the pool fits the MNIST split."""
    objects = source_name(config.data.images, data_root)
    check_batch_fits(config, train_split_size(config.data.images), objects)
    digits = load_mnist(data_root)[0]
    if config.data.n_unique > len(digits):
        raise InvalidParameterError(
            f"data.n_unique={config.data.n_unique} is larger than the digit pool: {digits.source} has "
            f"{len(digits)} training digits; use data.n_unique <= {len(digits)}"
        )
    return f"{objects}+{digits.source}"


def run(config: DigitOnImageRun, context: RunContext) -> RunOutcome:
    data, device = config.data, context.device
    train_digits, test_digits = load_mnist(context.data_root)
    train_images = load_split(data, True, config.seed, context.data_root)
    test_images = load_split(data, False, config.seed, context.data_root)
    if data.redraw:
        overlay = DigitOverlay(train_digits, data.n_unique, data.image_size, data.digit_size, composite=data.composite)
        train_data = TrainImages(train_images.images, on_load=overlay)
    else:
        fixed = make_digit_on_image(
            train_images, train_digits, data.n_unique, data.digit_size, composite=data.composite, seed=config.seed
        )
        train_data = TrainImages(fixed.images)
    result = pretrain_in(context, config, train_data, train_images.labels)
    (probe_train, train_labels), (probe_test, test_labels) = (
        _probe_set(images, digits, data, config.seed + k)
        for k, (images, digits) in enumerate(((train_images, train_digits), (test_images, test_digits)), 1)
    )
    labels = {name: (train_labels[name], test_labels[name]) for name in ("object", "digit")}
    probe = ProbeSet(probe_train, probe_test, labels)
    metrics = evaluate(result.encoder, [probe], device, config.eval, config.seed)
    metrics["chance_object"] = 1.0 / len(train_images.class_names)
    metrics["chance_digit"] = 0.1
    return RunOutcome(metrics, result.history)


def _probe_set(images: ImageSplit, digits: ImageSplit, data, seed: int) -> tuple[TrainImages, dict]:
    """A probe set: each image with one digit of all of ``digits`` (9 copies), fixed per image by ``seed``, and
    its ``object`` and ``digit`` labels. In memory the canvases are built once; a folder's get the same drawn
    digit pasted on as each batch is decoded, so ImageNet is never held whole."""
    if not isinstance(images.images, FolderImages):
        fixed = make_digit_on_image(images, digits, None, data.digit_size, composite=data.composite, seed=seed)
        return TrainImages(fixed.images), fixed.targets
    overlay = DigitOverlay(digits, None, data.image_size, data.digit_size, composite=data.composite)
    drawn = overlay.draw(len(images), seeded_generator(seed))  # the draw make_digit_on_image makes

    def paste_drawn(batch: torch.Tensor, rows: torch.Tensor, _: torch.Generator | None) -> torch.Tensor:
        return overlay.apply(batch, drawn[rows.cpu()])

    return TrainImages(images.images, on_load=paste_drawn), {"object": images.labels, "digit": overlay.label(drawn)}
