"""RandBit (paper Sec. 4, feature suppression): a few random bits per image defeat SimCLR.

Each image carries b constant extra channels with the bits of a per-image integer, fixed across views and
epochs; augmentation touches the image channels only. Sweep b (and temperature, batch size); measure linear
accuracy on the image class with bits present. Claim: from about 10 bits, accuracy collapses toward
chance, because the bits alone suffice to tell instances apart.

Preset ``colab`` follows the official RandBits notebook: full MNIST, bits = hash of the image, ConvN,
crop of 50-100% area, cross-view NT-Xent, head 256-64, online linear classifier (reported as acc_online),
Adam 1e-3 with linear decay, L2 1e-4, batch 1000, 10 epochs, tau {0.05, 0.1, 0.2} x bits {0, 5, 10, 15, 20}.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch

from datasets import LabelledImages, load_mnist, load_natural_images, make_randbit
from datasets.randbit import BIT_SOURCES, MAX_BITS
from experiments.common import check_method, pretrain, probe_accuracy
from experiments.config import ConfigError, Preset, PretrainConfig
from experiments.registry import Experiment, RunContext
from experiments.runner import RunOutcome
from training.data import TrainImages
from training.linear_eval import extract_features, online_accuracy


@dataclass(frozen=True)
class RandBitConfig(PretrainConfig):
    images: str = "mnist"  # mnist | cifar10 | photos | folder:<path>
    n_bits: int = 10
    bits: str = "random"  # random | hash
    n_train: int = 0  # 0: the whole train split
    n_test: int = 0  # 0: the whole test split
    image_size: int = 32  # natural images only; MNIST stays 28 x 28
    online: bool = False  # also train and report the notebook's online linear classifier


def canonical(config: RandBitConfig) -> RandBitConfig:
    return dataclasses.replace(config, epochs=0) if config.method == "random" else config


def validate(config: RandBitConfig) -> None:
    check_method(config.method)
    if not 0 <= config.n_bits <= MAX_BITS:
        raise ConfigError(f"n_bits={config.n_bits} is not allowed; it must be in [0, {MAX_BITS}]")
    if config.bits not in BIT_SOURCES:
        raise ConfigError(f"bits={config.bits!r} is unknown; choose one of {', '.join(BIT_SOURCES)}")
    if config.online and config.method != "simclr":
        raise ConfigError("online=true needs method=simclr (the online classifier trains during SimCLR)")


def _splits(config: RandBitConfig, data_root: str | None) -> tuple[LabelledImages, LabelledImages]:
    if config.images == "mnist":
        train, test = load_mnist(data_root)
    else:
        train = load_natural_images(config.images, True, config.image_size, data_root, seed=config.seed)
        test = load_natural_images(config.images, False, config.image_size, data_root, seed=config.seed)

    def limit(split, n):
        return LabelledImages(
            split.images[: n or None],
            {"label": split.labels[: n or None]},
            split.source,
        )

    return limit(train, config.n_train), limit(test, config.n_test)


def run(config: RandBitConfig, context: RunContext) -> RunOutcome:
    train, test = _splits(config, context.data_root)
    train_bits = make_randbit(train, config.n_bits, config.bits, seed=config.seed)
    test_bits = make_randbit(test, config.n_bits, config.bits, seed=config.seed + 1_000_003)
    train_data = TrainImages(train.images, train_bits.with_bits)
    test_data = TrainImages(test.images, test_bits.with_bits)
    labels, test_labels = train.targets["label"], test.targets["label"]
    n_classes = int(labels.max()) + 1
    result = pretrain(
        config, train_data, labels, context.device, context.progress, online_classes=n_classes if config.online else 0
    )
    metrics = {
        "acc_linear": probe_accuracy(
            result.encoder, train_data, labels, test_data, test_labels, context.device, config
        ),
        "chance": 1.0 / n_classes,
        "bits_unique_fraction": torch.unique(train_bits.integers).numel() / len(train),
    }
    if result.online is not None:
        features = extract_features(result.encoder, test_data, context.device)
        metrics["acc_online"] = online_accuracy(result.online, features, test_labels)
    return RunOutcome(metrics, train.source, result.history)


_NOTEBOOK = {
    "encoder": "convn",
    "loss": "nt_xent_cross_view",
    "head_depth": 2,
    "head_hidden": 256,
    "head_out": 64,
    "crop_scale_min": 0.5,
    "flip": False,
    "color_strength": 0.0,
    "optimizer": "adam",
    "lr": 1e-3,
    "schedule": "linear",
    "weight_decay": 1e-4,
}

PRESETS = {
    "smoke": Preset(
        base={**_NOTEBOOK, "n_train": 256, "n_test": 128, "epochs": 1, "batch_size": 64, "probe_epochs": 3},
        sweep={"n_bits": (0, 10), "temperature": (0.1,), "batch_size": (64,)},
        note="seconds; checks the pipeline only",
    ),
    "quick": Preset(
        base={**_NOTEBOOK, "loss": "nt_xent", "n_train": 10000, "n_test": 5000, "epochs": 5, "probe_epochs": 30},
        sweep={"n_bits": (0, 5, 10, 20), "temperature": (0.1, 0.5), "batch_size": (128, 512)},
        note="2-core CPU: 10k MNIST training digits, ConvN, standard NT-Xent, 5 epochs",
    ),
    "colab": Preset(
        base={**_NOTEBOOK, "bits": "hash", "online": True, "epochs": 10, "batch_size": 1000},
        sweep={"temperature": (0.1, 0.05, 0.2), "n_bits": (0, 5, 10, 15, 20)},
        note="the official RandBits notebook protocol on the full MNIST (60k / 10k)",
    ),
    "paper": Preset(
        base={
            "images": "cifar10",
            "encoder": "resnet18",
            "width": 64,
            "stem_stride": 1,
            "flip": True,
            "crop_scale_min": 0.08,
            "color_strength": 0.5,
            "epochs": 200,
            "optimizer": "lars",
            "lr": 1.0,
            "weight_decay": 1e-6,
            "warmup_epochs": 10,
            "head_depth": 2,
            "head_hidden": 2048,
        },
        sweep={"n_bits": (0, 5, 10, 15, 20), "temperature": (0.05, 0.2, 0.5), "batch_size": (256, 1024, 2048)},
        note="CIFAR-10 with ResNet-18 (paper: ImageNet / CIFAR-10 with ResNet-50); for a GPU",
    ),
}

EXPERIMENT = Experiment(
    "randbit",
    "Sec. 4, RandBit (feature suppression by a few random bits)",
    RandBitConfig,
    PRESETS,
    run,
    canonical,
    validate,
)
