"""MultiDigits (paper Sec. 3): is SimCLR still as good as supervised when an image holds many objects?

Pretrain a ResNet-18 (SimCLR, supervised multi-label presence of the ten classes, or untrained) on canvases
holding ``data.n_digits`` MNIST digits placed at random (digits may overlap) or in a grid (one digit per
cell), then train a linear classifier on frozen features of single MNIST digits, each at the training
digit size on the same canvas, placed as in training (a uniform position, or a random grid cell); the other
placement's probe is reported too. The sweep grows the number of digits per image.
Claim: up to about 8 digits SimCLR is as good as supervised; with random placement accuracy drops earlier
(about 12+ digits) than in a grid, because digits overlap.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from datasets.names import PLACEMENTS, grid_cells
from experiments.scales import BASELINES, CPU_LEVERS, PAPER_MULTIDIGITS, QUICK_RESNET, SMOKE_RESNET
from sweeps.config import RunConfig
from sweeps.spec import Experiment, Lazy, Preset
from training.rules import Interval, OneOf, setting


@dataclass(frozen=True)
class MultiDigitCountData:
    placement: str = setting("random", OneOf(PLACEMENTS))
    n_digits: int = setting(4, Interval(1, 64))
    canvas_size: int = setting(112, Interval(8, 1024))
    digit_size: int = setting(28, Interval(2, 1024))
    n_train: int = setting(60000, Interval(1, 10**7))
    n_probe_train: int = setting(10000, Interval(10, 10**7))
    n_probe_test: int = setting(5000, Interval(10, 10**7))

    def cross_problem(self) -> str | None:
        if self.digit_size > self.canvas_size:
            return f"data.digit_size={self.digit_size} must be <= data.canvas_size={self.canvas_size}"
        cells = grid_cells(self.canvas_size, self.digit_size)
        if self.placement == "in_grid" and self.n_digits > cells:
            side = self.canvas_size // self.digit_size
            return (
                f"data.n_digits={self.n_digits} is more than the {cells} cells of the in-grid layout "
                f"({side} x {side} cells of {self.digit_size} px on a {self.canvas_size} px canvas); "
                f"use data.n_digits <= {cells} or data.placement=random"
            )
        return None


@dataclass(frozen=True)
class MultiDigitCountRun(RunConfig):
    data: MultiDigitCountData = field(default_factory=MultiDigitCountData)


# 28 px digits on a 56 px canvas: a 2 x 2 grid, so 4 digits fill it as 16 fill the paper's 4 x 4.
_QUICK = {
    **QUICK_RESNET,
    "data.canvas_size": 56,
    "data.digit_size": 28,
    "data.n_train": 3000,
    "data.n_probe_train": 5000,
    "data.n_probe_test": 2000,
    "optim.epochs": 5,
    "augment.crop_min_scale": 0.5,
    "loss.temperature": 0.2,
}
PRESETS = {
    "smoke": Preset(
        base={
            **SMOKE_RESNET,
            "data.canvas_size": 28,
            "data.digit_size": 14,
            "data.n_train": 128,
            "data.n_probe_train": 200,
            "data.n_probe_test": 100,
        },
        sweep={"data.placement": PLACEMENTS, "data.n_digits": (1, 4), "method.name": BASELINES},
        note="seconds; checks the pipeline only",
    ),
    "quick": Preset(
        base=_QUICK,
        sweep={"data.placement": PLACEMENTS, "data.n_digits": (1, 2, 4), "method.name": BASELINES},
        note="2-core CPU: 28 px digits on a 56 px canvas (a 2 x 2 grid; 4 digits fill it as 16 fill the paper's "
        "4 x 4), ResNet-18 width 8 with a stride-2 stem, 3k images, 5 epochs (about 6 min idle)",
    ),
    "cpu": Preset(
        # about 7x quick's steps, so that supervised passes its gate (results/multidigit_count/README.md)
        base={**_QUICK, **CPU_LEVERS, "data.n_train": 10000, "optim.epochs": 10},
        sweep={"data.placement": PLACEMENTS, "data.n_digits": (1, 2, 4), "method.name": BASELINES},
        note="2-core CPU: quick's geometry (28 px digits on a 56 px canvas, 1, 2 or 4 digits: up to the full "
        "2 x 2 grid) trained about 7x longer, 10k images x 10 epochs, with both floors (about 12 min idle)",
    ),
    "paper": Preset(
        base={
            **PAPER_MULTIDIGITS,
            "data.canvas_size": 112,
            "data.digit_size": 28,
            "loss.temperature": 0.2,
        },
        sweep={
            "data.placement": PLACEMENTS,
            "data.n_digits": (1, 2, 4, 8, 12, 16),
            "method.name": BASELINES,
        },
        note="paper scale: 112 px canvas, 28 px digits, 1..16 digits, ResNet-18; for a GPU",
    ),
}

EXPERIMENT = Experiment(
    name="multidigit_count",
    figure_title="Sec. 3, MultiDigits (many objects per image: random vs in-grid placement)",
    config_cls=MultiDigitCountRun,
    presets=PRESETS,
    run=Lazy("experiments.runs.multidigit_count", "run"),
    data_source=Lazy("experiments.runs.image_data", "mnist_source"),
    figure=Lazy("analysis.multidigit_count", "figure"),
    claim_check=Lazy("analysis.multidigit_count", "claim_check"),
)
