"""Colour distortion and the colour-histogram shortcut (SimCLR, Chen et al. 2020, Fig. 5-6; the paper's
Sec. 3 discussion of easy features): without colour distortion, two crops of one image share their colour
histogram, so SimCLR can match views by colour alone and learns little else.

Data: MNIST digits (or Fashion-MNIST items) in a random foreground and background colour fixed per image
(``data.instance_colors``, ``datasets/instance_colors.py``): colour is an instance cue and carries nothing of
the class, as RandBit's bits. The photographs (``data.images=photos``; a folder or CIFAR-10 for users) are
the second option, where colour is also the class cue ("which photograph"), so distortion that removes the
shortcut removes class signal too. SimCLR at colour distortion strengths {0, 0.25, 0.5, 1.0}, with colour
jitter only (``augment.gray_prob=0``) or jitter plus random grayscale (p = 0.2); linear probe on the class.
Each run also measures the shortcut directly: the top-1 accuracy with which a crop's colour histogram finds
another crop of the same image among ``eval`` test images under that run's augmentation
(``hist_retrieval``), and saves the histograms of a few crops of two images for the figure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from datasets.names import FASHION_MNIST
from experiments.image_data import IMAGE_SOURCES, MNIST, ImageData, ImageRun
from experiments.scales import CPU_LEVERS, FLOORS, QUICK_RESNET, SMOKE_SIZE
from sweeps.spec import Experiment, Lazy, Preset
from training.rules import OneOf, setting

GRAYSCALE_SOURCES = (MNIST, FASHION_MNIST)


@dataclass(frozen=True)
class ColorDistortionData(ImageData):
    """``ImageData`` plus ``instance_colors``: each grayscale image in its own random colour pair."""

    images: str = setting(MNIST, OneOf(IMAGE_SOURCES, prefixes=("folder:",)))
    instance_colors: bool = True

    def cross_problem(self) -> str | None:
        if self.instance_colors and self.images not in GRAYSCALE_SOURCES:
            return (
                f"data.instance_colors=true colours grayscale images; data.images={self.images} has its own colours: "
                f"use data.images={' or '.join(GRAYSCALE_SOURCES)}, or data.instance_colors=false"
            )
        return super().cross_problem()


@dataclass(frozen=True)
class ColorDistortionRun(ImageRun):
    data: ColorDistortionData = field(default_factory=ColorDistortionData)


STRENGTHS = (0.0, 0.25, 0.5, 1.0)
GRAYSCALE = ({"augment.gray_prob": 0.0}, {"augment.gray_prob": 0.2})
# MNIST in instance colours with the RandBit notebook's ConvN; crops keep half the area or more, as RandBit's,
# so that a view keeps the digit's strokes (the class) while its colours stay the image's.
_COLORED = {
    "data.images": MNIST,
    "data.instance_colors": True,
    "model.encoder": "convn",
    "model.head_hidden": 256,
    "model.head_out": 64,
    "augment.crop_min_scale": 0.5,
    "augment.color_prob": 0.8,
    "optim.lr": 1e-3,
    "loss.temperature": 0.2,
    "eval.probe_epochs": 30,
}
_PHOTOS = {  # the second data set option: the ten photographs, where colour is also the class cue
    "data.images": "photos",
    "data.instance_colors": False,
    "data.image_size": 64,
    "augment.crop_min_scale": 0.2,
    "augment.color_prob": 0.8,
}
SEEDS = (0, 1, 2)
COLORED_QUICK = {**_COLORED, "data.n_train": 10000, "data.n_test": 5000, "optim.epochs": 8, "optim.batch_size": 256}
SWEEP = {"augment.color_strength": STRENGTHS, "method.name": ("simclr", *FLOORS)}
PRESETS = {
    "smoke": Preset(
        base={**_COLORED, **SMOKE_SIZE},
        sweep={"augment.color_strength": (0.0, 1.0)},
        variants=GRAYSCALE,
        note="seconds; checks the pipeline only",
    ),
    "quick": Preset(
        base=COLORED_QUICK,
        sweep={**SWEEP, "seed": SEEDS},
        variants=GRAYSCALE,
        note="2-core CPU: MNIST in instance colours, ConvN, 10k images, 8 epochs, 3 seeds; 21 SimCLR runs (strength 0 "
        "is one run for both variants) and the two floors (about 7 min idle)",
    ),
    "cpu": Preset(
        base={**COLORED_QUICK, **CPU_LEVERS, "data.n_train": 30000, "data.n_test": 10000, "optim.epochs": 10},
        sweep={**SWEEP, "seed": SEEDS},
        variants=GRAYSCALE,
        note="2-core CPU: quick on 30k images for 10 epochs, 3 seeds (about 15 min idle)",
    ),
    "photos": Preset(
        base={
            **_PHOTOS,
            **QUICK_RESNET,
            "data.n_train": 4000,
            "data.n_test": 2000,
            "optim.epochs": 5,
            "loss.temperature": 0.2,
        },
        sweep=SWEEP,
        variants=GRAYSCALE,
        note="2-core CPU: the ten offline photographs as classes (colour is the class cue too), 64 px crops, "
        "ResNet-18 width 8 with a stride-2 stem, 4k crops, 5 epochs",
    ),
    "paper": Preset(
        base={
            "optim.precision": "auto",
            "data.images": "cifar10",
            "data.instance_colors": False,
            "data.image_size": 32,
            "model.encoder": "resnet18",
            "model.width": 64,
            "model.head_hidden": 2048,
            "augment.flip": True,
            "augment.crop_min_scale": 0.08,
            "optim.epochs": 200,
            "optim.batch_size": 512,
            "optim.optimizer": "lars",
            "optim.lr": 1.0,
            "optim.weight_decay": 1e-6,
            "optim.warmup_epochs": 10,
            "loss.temperature": 0.5,
        },
        sweep={"augment.color_strength": STRENGTHS, "method.name": ("simclr", *FLOORS)},
        variants=GRAYSCALE,
        note="CIFAR-10 with ResNet-18 (the SimCLR paper's ablation used ImageNet / ResNet-50); for a GPU",
    ),
}

EXPERIMENT = Experiment(
    name="color_distortion",
    figure_title="Beyond the paper: colour distortion and the colour-histogram shortcut (SimCLR Fig. 5-6)",
    config_cls=ColorDistortionRun,
    presets=PRESETS,
    run=Lazy("experiments.runs.color_distortion", "run"),
    data_source=Lazy("experiments.runs.color_distortion", "data_source"),
    figure=Lazy("analysis.color_distortion", "figure"),
    claim_check=Lazy("analysis.color_distortion", "claim_check"),
)
