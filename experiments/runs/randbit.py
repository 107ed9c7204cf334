"""One run of randbit: images with random-bit channels, pretraining, probes on the image label and on the bits."""

from __future__ import annotations

import torch

from datasets import ImageSplit, LabelledImages, make_randbit
from experiments.randbit import (
    RandBitRun,
)
from experiments.runs.image_data import load_splits, pretrain_then_probe
from sweeps.spec import RunContext, RunOutcome
from training.data import TrainImages


def run(config: RandBitRun, context: RunContext) -> RunOutcome:
    data = config.data
    train, test = load_splits(config, context.data_root)
    train_bits = make_randbit(_labelled(train), data.n_bits, data.bits, seed=config.seed)
    test_bits = make_randbit(_labelled(test), data.n_bits, data.bits, seed=config.seed + 1_000_003)
    outcome = pretrain_then_probe(
        config,
        context,
        TrainImages(train.images, train_bits.with_bits),
        TrainImages(test.images, test_bits.with_bits),
        train.labels,
        test.labels,
    )
    outcome.metrics["bits_unique_fraction"] = torch.unique(train_bits.integers).numel() / len(train)
    return outcome


def _labelled(split: ImageSplit) -> LabelledImages:
    return LabelledImages(split.images, {"label": split.labels}, split.source)
