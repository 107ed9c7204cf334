"""Modified MultiDigits (paper Sec. 4, feature suppression): does a growing second digit hide the small one?

Pretrain a ResNet-18 (SimCLR, supervised multi-label presence, or untrained) on two-digit images, the first
digit at ``small_size`` and the second at ``large_size``; then train linear classifiers on frozen features
of single MNIST digits shown at the small size and at the large size. The sweep grows ``large_size``.
Claim: supervised stays high for both digits; SimCLR's small-digit accuracy falls toward a random
network's as the other digit grows, while the large digit is learned well.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from datasets import load_mnist, make_single_digit, make_two_digit_sizes
from experiments.common import check_method, pretrain, probe_accuracy
from experiments.config import ConfigError, Preset, PretrainConfig
from experiments.registry import Experiment, RunContext
from experiments.runner import RunOutcome
from training.data import TrainImages


@dataclass(frozen=True)
class MultiDigitSizeConfig(PretrainConfig):
    canvas_size: int = 112
    small_size: int = 20
    large_size: int = 80
    n_train: int = 60000
    n_probe_train: int = 10000
    n_probe_test: int = 5000


def canonical(config: MultiDigitSizeConfig) -> MultiDigitSizeConfig:
    """Fields that do not affect a method are reset, so e.g. supervised runs are not repeated per tau."""
    defaults = PretrainConfig()
    if config.method != "simclr":
        config = dataclasses.replace(
            config,
            loss=defaults.loss,
            temperature=defaults.temperature,
            lam=defaults.lam,
            head_depth=defaults.head_depth,
            head_hidden=defaults.head_hidden,
            head_out=defaults.head_out,
            color_strength=defaults.color_strength,
        )
    if config.method == "random":
        config = dataclasses.replace(config, epochs=0)
    return config


def validate(config: MultiDigitSizeConfig) -> None:
    check_method(config.method)
    if config.small_size + config.large_size > config.canvas_size:
        raise ConfigError(
            f"small_size + large_size = {config.small_size + config.large_size} must be <= "
            f"canvas_size={config.canvas_size}"
        )


def run(config: MultiDigitSizeConfig, context: RunContext) -> RunOutcome:
    train_digits, test_digits = load_mnist(context.data_root)
    data = make_two_digit_sizes(
        train_digits, config.n_train, config.small_size, config.large_size, config.canvas_size, seed=config.seed
    )
    result = pretrain(config, TrainImages(data.images), data.targets["presence"], context.device, context.progress)
    metrics = {}
    for name, size in (("small", config.small_size), ("large", config.large_size)):
        probe_train = make_single_digit(train_digits, size, config.canvas_size, config.n_probe_train, config.seed + 1)
        probe_test = make_single_digit(test_digits, size, config.canvas_size, config.n_probe_test, config.seed + 2)
        metrics[f"acc_{name}"] = probe_accuracy(
            result.encoder,
            TrainImages(probe_train.images),
            probe_train.targets["digit"],
            TrainImages(probe_test.images),
            probe_test.targets["digit"],
            context.device,
            config,
        )
    return RunOutcome(metrics, data.source, result.history)


PRESETS = {
    "smoke": Preset(
        base={
            "canvas_size": 28,
            "small_size": 7,
            "n_train": 128,
            "n_probe_train": 200,
            "n_probe_test": 100,
            "width": 4,
            "stem_stride": 2,
            "epochs": 1,
            "batch_size": 64,
            "probe_epochs": 3,
            "head_hidden": 32,
            "head_out": 16,
        },
        sweep={"large_size": (7, 14), "method": ("simclr", "supervised", "random"), "temperature": (0.2,)},
        note="seconds; checks the pipeline only",
    ),
    "quick": Preset(
        base={
            "canvas_size": 84,
            "small_size": 28,
            "n_train": 5000,
            "n_probe_train": 5000,
            "n_probe_test": 2000,
            "width": 8,
            "stem_stride": 2,
            "epochs": 7,
            "batch_size": 128,
            "lr": 2e-3,
            "crop_scale_min": 0.5,
            "head_hidden": 256,
            "head_out": 64,
            "probe_epochs": 30,
        },
        sweep={"large_size": (28, 42, 56), "method": ("simclr", "supervised", "random"), "temperature": (0.2, 0.5)},
        note="2-core CPU: 84 px canvas, 28 px small digit, 28..56 px second digit, ResNet-18 width 8 with a stride-2 "
        "stem, 5k images, 7 epochs",
    ),
    "paper": Preset(
        base={
            "canvas_size": 112,
            "small_size": 20,
            "n_train": 60000,
            "width": 64,
            "stem_stride": 1,
            "epochs": 100,
            "batch_size": 512,
            "optimizer": "lars",
            "lr": 0.6,
            "weight_decay": 1e-6,
            "warmup_epochs": 5,
        },
        sweep={
            "large_size": (20, 40, 60, 80),
            "method": ("simclr", "supervised", "random"),
            "temperature": (0.05, 0.1, 0.2, 0.5),
        },
        note="paper scale: 112 px canvas, 20 px digit + 20..80 px digit, ResNet-18; for a GPU",
    ),
}

EXPERIMENT = Experiment(
    "multidigit_size",
    "Sec. 4, Modified MultiDigits (feature suppression by digit size)",
    MultiDigitSizeConfig,
    PRESETS,
    run,
    canonical,
    validate,
)
