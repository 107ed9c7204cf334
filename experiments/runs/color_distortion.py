"""One run of color_distortion: instance-coloured images, SimCLR at a colour strength, the probe and the
colour-histogram shortcut."""

from __future__ import annotations

import torch

from analysis import color_distortion as analysis
from analysis.color_histograms import histograms, retrieval_accuracy
from analysis.tables import save_arrays
from datasets import ImageSplit
from datasets.folder import as_float
from datasets.instance_colors import SOURCE_SUFFIX, colorize
from experiments.color_distortion import (
    ColorDistortionRun,
)
from experiments.runs import image_data
from experiments.runs.image_data import load_splits, run_on_images
from sweeps.spec import RunContext, RunOutcome
from training.augment import augment
from training.device import device_generator


def colored_splits(config: ColorDistortionRun, data_root: str | None) -> tuple[ImageSplit, ImageSplit]:
    """The run's (train, test) splits, each image in its own colour pair when ``data.instance_colors``
    (train and test draw different pairs)."""
    splits = load_splits(config, data_root)
    if not config.data.instance_colors:
        return splits
    return tuple(colorize(split, 2 * config.seed + k) for k, split in enumerate(splits))


def data_source(config: ColorDistortionRun, data_root: str | None) -> str:
    source = image_data.data_source(config, data_root)
    return f"{source}{SOURCE_SUFFIX}" if config.data.instance_colors else source


N_RETRIEVAL = 500  # test crops for the histogram retrieval (chance 1/500)


N_SHOWN_CROPS = 4  # crops per image in the histogram figure


SHOWN_CLASSES = (1, 2)  # digits 1 and 2; of the offline photographs, the cat and the coffee cup


def shortcut(config: ColorDistortionRun, test: ImageSplit) -> tuple[float, dict]:
    """The run's augmentation applied twice to test crops: histogram retrieval accuracy, and the histograms
    of ``N_SHOWN_CROPS`` views of the first image of two classes."""
    generator = device_generator(config.seed + 7, torch.device("cpu"))
    keep = torch.randperm(len(test), generator=torch.Generator().manual_seed(config.seed))[:N_RETRIEVAL]
    images = as_float(test.images[keep])
    first, second = (histograms(augment(images, config.augment, generator)) for _ in range(2))
    classes = SHOWN_CLASSES if int(test.labels.max()) >= max(SHOWN_CLASSES) else (0, 1)
    shown = torch.stack([torch.nonzero(test.labels == c)[0, 0] for c in classes])
    crops = augment(as_float(test.images[shown]).repeat_interleave(N_SHOWN_CROPS, 0), config.augment, generator)
    arrays = {"crops": (crops * 255).round().to(torch.uint8).numpy(), "histograms": histograms(crops).numpy()}
    return retrieval_accuracy(first, second), arrays


def run(config: ColorDistortionRun, context: RunContext) -> RunOutcome:
    splits = colored_splits(config, context.data_root)
    outcome = run_on_images(config, context, splits)
    accuracy, arrays = shortcut(config, splits[1])
    outcome.metrics["hist_retrieval"] = accuracy
    outcome.metrics["hist_chance"] = 1.0 / N_RETRIEVAL
    if context.outputs is not None:
        save_arrays(context.outputs / analysis.CROPS_FILE, arrays)
    return outcome
