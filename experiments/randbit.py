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

from dataclasses import dataclass, field
from functools import partial

from datasets.names import BIT_SOURCES, MAX_BITS
from experiments.image_data import ImageData, ImageRun
from experiments.scales import FLOORS, SMOKE_SIZE
from sweeps.spec import Experiment, Lazy, Preset
from training.rules import Interval, OneOf, setting


@dataclass(frozen=True)
class RandBitData(ImageData):
    """The labelled images (``ImageData``) plus the bits: how many and where they come from."""

    n_bits: int = setting(10, Interval(0, MAX_BITS))
    bits: str = setting("random", OneOf(BIT_SOURCES))


@dataclass(frozen=True)
class RandBitRun(ImageRun):
    data: RandBitData = field(default_factory=RandBitData)


NOTEBOOK = {  # the official RandBits notebook's model and training
    "model.encoder": "convn",
    "model.head_depth": 2,
    "model.head_hidden": 256,
    "model.head_out": 64,
    "loss.name": "nt_xent_cross_view",
    "augment.crop_min_scale": 0.5,
    "augment.flip": False,
    "augment.color_strength": 0.0,
    "optim.optimizer": "adam",
    "optim.lr": 1e-3,
    "optim.schedule": "linear",
    "optim.weight_decay": 1e-4,
}

# What the notebook does where the suite's defaults differ: key -> the notebook's value, and the reverted
# setting the ablation runs (the suite's default). Each was read off the notebook line by line.
NOTEBOOK_DIFFERENCES = {
    "data order": ({"optim.shuffle": False}, {"optim.shuffle": True}),  # tfds order, .repeat(), no shuffle
    "online probe views": ({"method.online_views": "first"}, {"method.online_views": "all"}),  # pred_a only
    "online probe init": ({"method.online_init": "glorot"}, {"method.online_init": "torch"}),  # Keras Dense
    "L2 on kernels only": ({"optim.decay": "kernels"}, {"optim.decay": "all"}),  # kernel_regularizer l2(1e-4)
    "loss: sum of both directions": ({"loss.scaling": 2.0}, {"loss.scaling": 1.0}),  # CE(sim) + CE(sim.T)
    "Keras BatchNorm": (
        {"model.bn_momentum": 0.01, "model.bn_eps": 1e-3},
        {"model.bn_momentum": 0.1, "model.bn_eps": 1e-5},
    ),
    "Glorot init": ({"model.init": "glorot"}, {"model.init": "torch"}),
    "no head bias": ({"model.head_bias": False}, {"model.head_bias": True}),  # the last Dense: use_bias=False
    "Adam epsilon": ({"optim.adam_eps": 1e-7}, {"optim.adam_eps": 1e-8}),
    "TF crop sampler": ({"augment.crop": "tf"}, {"augment.crop": "torchvision"}),
}
NOTEBOOK_PROTOCOL = {name: reverted for name, (_, reverted) in NOTEBOOK_DIFFERENCES.items()}
COLAB = {
    **NOTEBOOK,
    "data.bits": "hash",
    "method.online_probe": True,
    "optim.epochs": 10,
    "optim.batch_size": 1000,
    **{key: value for notebook, _ in NOTEBOOK_DIFFERENCES.values() for key, value in notebook.items()},
}

PRESETS = {
    "smoke": Preset(
        base={
            **NOTEBOOK,
            **SMOKE_SIZE,
            "loss.temperature": 0.1,
        },
        sweep={"data.n_bits": (0, 10)},
        note="seconds; checks the pipeline only",
    ),
    "quick": Preset(
        base={
            **NOTEBOOK,
            "loss.name": "nt_xent",
            "data.n_train": 10000,
            "data.n_test": 5000,
            "optim.epochs": 5,
            "eval.probe_epochs": 30,
        },
        sweep={
            "data.n_bits": (0, 5, 10, 20),
            "loss.temperature": (0.1, 0.5),
            "optim.batch_size": (128, 512),
            "method.name": ("simclr", *FLOORS),
        },
        note="2-core CPU: 10k MNIST training digits, ConvN, standard NT-Xent, 5 epochs",
    ),
    "cpu": Preset(
        base={
            **NOTEBOOK,
            "loss.name": "nt_xent",
            "optim.epochs": 10,
            "optim.batch_size": 512,
            "optim.memory_format": "channels_last",
            "eval.probe_epochs": 30,
        },
        sweep={"data.n_bits": (0, 5, 10, 15, 20), "method.name": ("simclr", *FLOORS), "loss.temperature": (0.1, 0.5)},
        note="2-core CPU: the full MNIST (60k / 10k), ConvN, standard NT-Xent, 10 epochs, batch 512, the paper's "
        "bit range 0-20, tau 0.1 and 0.5, with the untrained-encoder and raw-pixel floors (about 45 min)",
    ),
    "colab": Preset(
        base=COLAB,
        sweep={"loss.temperature": (0.1, 0.05, 0.2), "data.n_bits": (0, 5, 10, 15, 20), "seed": (0, 1, 2)},
        note="the official RandBits notebook protocol on the full MNIST (60k / 10k), every difference of "
        "NOTEBOOK_PROTOCOL set to the notebook's; 3 seeds (2.5-4 min a run on 2 idle CPU cores)",
        figure=Lazy("analysis.randbit", "colab_figure"),
        claim_check=Lazy("analysis.randbit", "colab_claim_check"),
    ),
    "colab_ablation": Preset(
        base={**COLAB, "loss.temperature": 0.1},
        sweep={"data.n_bits": (5, 10)},
        variants=({}, *NOTEBOOK_PROTOCOL.values()),
        note="the colab preset, then with one notebook difference reverted to the suite's default at a time; "
        "5 and 10 bits, tau 0.1",
        figure=partial(Lazy("analysis.randbit_ablation", "figure"), differences=NOTEBOOK_DIFFERENCES),
        claim_check=partial(Lazy("analysis.randbit_ablation", "claim_check"), differences=NOTEBOOK_DIFFERENCES),
    ),
    "paper": Preset(
        base={
            "optim.precision": "auto",
            "data.images": "cifar10",
            "model.encoder": "resnet18",
            "model.width": 64,
            "model.stem_stride": 1,
            "model.head_depth": 2,
            "model.head_hidden": 2048,
            "augment.flip": True,
            "augment.crop_min_scale": 0.08,
            "augment.color_strength": 0.5,
            "optim.epochs": 200,
            "optim.optimizer": "lars",
            "optim.lr": 1.0,
            "optim.weight_decay": 1e-6,
            "optim.warmup_epochs": 10,
        },
        sweep={
            "data.n_bits": (0, 5, 10, 15, 20),
            "loss.temperature": (0.05, 0.2, 0.5),
            "optim.batch_size": (256, 1024, 2048),
            "method.name": ("simclr", *FLOORS),
        },
        note="CIFAR-10 with ResNet-18 (paper: ImageNet / CIFAR-10 with ResNet-50); for a GPU",
    ),
}

EXPERIMENT = Experiment(
    name="randbit",
    figure_title="Sec. 4, RandBit (feature suppression by a few random bits)",
    config_cls=RandBitRun,
    presets=PRESETS,
    run=Lazy("experiments.runs.randbit", "run"),
    data_source=Lazy("experiments.runs.image_data", "data_source"),
    figure=Lazy("analysis.randbit", "figure"),
    claim_check=Lazy("analysis.randbit", "claim_check"),
)
