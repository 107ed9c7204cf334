"""Modified MultiDigits (paper Sec. 4, feature suppression): does a growing second digit hide the small one?

Pretrain a ResNet-18 (SimCLR, supervised multi-label presence, or untrained) on two-digit images, the first
digit at ``data.small_size`` and the second at ``data.large_size``; then train linear classifiers on frozen
features of single MNIST digits shown at the small size and at the large size. The sweep grows the second
digit. Claim: supervised stays high for both digits; SimCLR's small-digit accuracy falls toward a random
network's as the other digit grows, while the large digit is learned well.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from experiments.scales import BASELINES, CPU_LEVERS, PAPER_MULTIDIGITS, QUICK_RESNET, SMOKE_RESNET
from sweeps.config import RunConfig
from sweeps.spec import Experiment, Lazy, Preset
from training.rules import Interval, setting


@dataclass(frozen=True)
class MultiDigitSizeData:
    canvas_size: int = setting(112, Interval(8, 1024))
    small_size: int = setting(20, Interval(2, 1024))
    large_size: int = setting(80, Interval(2, 1024))
    n_train: int = setting(60000, Interval(1, 10**7))
    n_probe_train: int = setting(10000, Interval(10, 10**7))
    n_probe_test: int = setting(5000, Interval(10, 10**7))

    def cross_problem(self) -> str | None:
        if self.small_size + self.large_size > self.canvas_size:
            return (
                f"data.small_size + data.large_size = {self.small_size + self.large_size} must be <= "
                f"data.canvas_size={self.canvas_size} (the two digits never overlap)"
            )
        return None


@dataclass(frozen=True)
class MultiDigitSizeRun(RunConfig):
    data: MultiDigitSizeData = field(default_factory=MultiDigitSizeData)


PRESETS = {
    "smoke": Preset(
        base={
            **SMOKE_RESNET,
            "data.canvas_size": 28,
            "data.small_size": 7,
            "data.n_train": 128,
            "data.n_probe_train": 200,
            "data.n_probe_test": 100,
        },
        sweep={"data.large_size": (7, 14), "method.name": BASELINES},
        note="seconds; checks the pipeline only",
    ),
    "quick": Preset(
        base={
            **QUICK_RESNET,
            "data.canvas_size": 84,
            "data.small_size": 28,
            "data.n_train": 4500,
            "data.n_probe_train": 5000,
            "data.n_probe_test": 2000,
            "optim.epochs": 6,
            "augment.crop_min_scale": 0.5,
            "loss.temperature": 0.2,
        },
        sweep={"data.large_size": (28, 56), "method.name": BASELINES},
        note="2-core CPU: 84 px canvas, 28 px small digit, a 28 or 56 px second digit, ResNet-18 width 8 with a "
        "stride-2 stem, 4.5k images, 6 epochs, tau 0.2 (about 9.5 min)",
    ),
    "cpu": Preset(
        base={
            **QUICK_RESNET,
            **CPU_LEVERS,
            "data.canvas_size": 112,
            "data.small_size": 20,
            # enough steps for supervised's gate; the two ends of the paper's range fit the hour
            # (results/multidigit_size/README.md, "Measurements behind the presets")
            "data.n_train": 12000,
            "data.n_probe_train": 5000,
            "data.n_probe_test": 2000,
            "optim.epochs": 8,
            "augment.crop_min_scale": 0.5,
            "loss.temperature": 0.2,
        },
        sweep={"data.large_size": (20, 80), "method.name": BASELINES},
        note="2-core CPU, the paper's geometry: 112 px canvas, 20 px digit + a second digit, ResNet-18 width 8 "
        "with a stride-2 stem, 12k images, 8 epochs, tau 0.2; second digit 20 or 80 px (about 25 min)",
    ),
    "paper": Preset(
        base={
            **PAPER_MULTIDIGITS,
            "data.canvas_size": 112,
            "data.small_size": 20,
        },
        sweep={
            "data.large_size": (20, 40, 60, 80),
            "method.name": BASELINES,
            "loss.temperature": (0.05, 0.1, 0.2, 0.5),
        },
        note="paper scale: 112 px canvas, 20 px digit + 20..80 px digit, ResNet-18; for a GPU",
    ),
}

EXPERIMENT = Experiment(
    name="multidigit_size",
    figure_title="Sec. 4, Modified MultiDigits (feature suppression by digit size)",
    config_cls=MultiDigitSizeRun,
    presets=PRESETS,
    run=Lazy("experiments.runs.multidigit_size", "run"),
    data_source=Lazy("experiments.runs.image_data", "mnist_source"),
    figure=Lazy("analysis.multidigit_size", "figure"),
    claim_check=Lazy("analysis.multidigit_size", "claim_check"),
)
