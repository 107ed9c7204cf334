"""Colour distortion and the colour-histogram shortcut (SimCLR, Chen et al. 2020, Fig. 5-6; the paper's
Sec. 3 discussion of easy features): without colour distortion, two crops of one image share their colour
histogram, so SimCLR can match views by colour alone and learns little else.

SimCLR on natural images (the offline photographs by default, a folder or CIFAR-10 for users) at colour
distortion strengths {0, 0.25, 0.5, 1.0}, with colour jitter only (``augment.gray_prob=0``) or jitter plus
random grayscale (p = 0.2); linear probe on the object class. Each run also measures the shortcut
directly: the top-1 accuracy with which a crop's colour histogram finds another crop of the same image
among ``eval`` test images under that run's augmentation (``hist_retrieval``), and saves the histograms of
a few crops of two images for the figure.
"""

from __future__ import annotations

import torch

from analysis import color_distortion as analysis
from analysis.color_histograms import histograms, retrieval_accuracy
from analysis.tables import save_arrays
from datasets import ImageSplit
from experiments.image_data import ImageRun, data_source, load_splits, run_on_images
from experiments.scales import FLOORS, QUICK_RESNET, SMOKE_RESNET
from experiments.spec import Experiment, Preset, RunContext, RunOutcome
from training.augment import augment
from training.device import device_generator

N_RETRIEVAL = 500  # test crops for the histogram retrieval (chance 1/500)
N_SHOWN_CROPS = 4  # crops per image in the histogram figure
SHOWN_CLASSES = (1, 2)  # of the offline photographs: the cat and the coffee cup


def shortcut(config: ImageRun, test: ImageSplit) -> tuple[float, dict]:
    """The run's augmentation applied twice to test crops: histogram retrieval accuracy, and the histograms
    of ``N_SHOWN_CROPS`` views of the first image of two classes."""
    generator = device_generator(config.seed + 7, torch.device("cpu"))
    keep = torch.randperm(len(test), generator=torch.Generator().manual_seed(config.seed))[:N_RETRIEVAL]
    images = test.images[keep]
    first, second = (histograms(augment(images, config.augment, generator)) for _ in range(2))
    classes = SHOWN_CLASSES if int(test.labels.max()) >= max(SHOWN_CLASSES) else (0, 1)
    shown = torch.stack([torch.nonzero(test.labels == c)[0, 0] for c in classes])
    crops = augment(test.images[shown].repeat_interleave(N_SHOWN_CROPS, 0), config.augment, generator)
    arrays = {"crops": (crops * 255).round().to(torch.uint8).numpy(), "histograms": histograms(crops).numpy()}
    return retrieval_accuracy(first, second), arrays


def run(config: ImageRun, context: RunContext) -> RunOutcome:
    splits = load_splits(config, context.data_root)
    outcome = run_on_images(config, context, splits)
    accuracy, arrays = shortcut(config, splits[1])
    outcome.metrics["hist_retrieval"] = accuracy
    outcome.metrics["hist_chance"] = 1.0 / N_RETRIEVAL
    if context.outputs is not None:
        save_arrays(context.outputs / analysis.CROPS_FILE, arrays)
    return outcome


STRENGTHS = (0.0, 0.25, 0.5, 1.0)
GRAYSCALE = ({"augment.gray_prob": 0.0}, {"augment.gray_prob": 0.2})
_PHOTOS = {"data.images": "photos", "data.image_size": 64, "augment.crop_min_scale": 0.2, "augment.color_prob": 0.8}
PRESETS = {
    "smoke": Preset(
        base={**_PHOTOS, **SMOKE_RESNET, "data.image_size": 32, "data.n_train": 160, "data.n_test": 100},
        sweep={"augment.color_strength": (0.0, 1.0)},
        variants=GRAYSCALE,
        note="seconds; checks the pipeline only",
    ),
    "quick": Preset(
        base={
            **_PHOTOS,
            **QUICK_RESNET,
            "data.n_train": 4000,
            "data.n_test": 2000,
            "optim.epochs": 5,
            "loss.temperature": 0.2,
        },
        sweep={"augment.color_strength": STRENGTHS, "method.name": ("simclr", *FLOORS)},
        variants=GRAYSCALE,
        note="2-core CPU: the ten offline photographs as classes, 64 px crops, ResNet-18 width 8 with a stride-2 "
        "stem, 4k crops, 5 epochs; 7 runs (strength 0 is one run for both variants)",
    ),
    "paper": Preset(
        base={
            "optim.precision": "auto",
            "data.images": "cifar10",
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
    config_cls=ImageRun,
    presets=PRESETS,
    run=run,
    data_source=data_source,
    figure=analysis.figure,
    claim_check=analysis.claim_check,
)
