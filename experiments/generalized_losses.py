"""Generalized contrastive losses (paper Sec. 2, Fig. 1 / Table 1): does the prior matter once the head is deep?

SimCLR with each loss of ``losses/`` (NT-Xent, decoupled NT-Xent, and sliced-Wasserstein matching to a
uniform hypersphere, a uniform hypercube or a normal prior) and projection heads of 0 to 3 hidden layers
(``model.head_depth`` = hidden layers + 1: depth 1 is a linear head); linear probe on the encoder output.
Claim: with a deep head (>= 2 hidden layers) the losses perform alike; with a shallow head they differ more.

Each loss keeps its own temperature or lambda (``Preset.variants``); the ``tune`` preset sweeps them at a
head of 2 hidden layers and the ``quick`` preset uses each loss's best value from its committed results
(a test checks that they agree).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from experiments.image_data import ImageData, ImageRun
from experiments.scales import FLOOR_VARIANTS
from losses import nt_xent_balance
from sweeps.spec import Experiment, Lazy, Preset


@dataclass(frozen=True)
class GeneralizedLossesRun(ImageRun):
    data: ImageData = field(default_factory=ImageData)


HEAD_DEPTHS = (1, 2, 3, 4)  # 0..3 hidden layers
TUNING_DEPTH = 3  # 2 hidden layers, SimCLR's usual head
HEAD_OUT = 64  # d, the projection head's output size at the CPU scales
# The 2-core CPU scale shared with ``batch_size``: 5k MNIST-M-style digits (``data.images=mnist_on_photos``), the
# notebook's ConvN, SimCLR's crops and colour distortion, 5 epochs; why these digits and not plain MNIST (the
# floors left no room), measured: results/generalized_losses/README.md, "Measurements behind the presets".
QUICK_PHOTO_DIGITS = {
    "data.images": "mnist_on_photos",
    "data.n_train": 5000,
    "data.n_test": 5000,
    "model.encoder": "convn",
    "model.head_hidden": 256,
    "model.head_out": HEAD_OUT,
    "augment.crop_min_scale": 0.2,
    "augment.color_strength": 1.0,
    "optim.epochs": 5,
    "optim.batch_size": 256,
    "optim.lr": 1e-3,
    "optim.precision": "auto",  # bf16 where the CPU has AMX (the committed runs'), fp32 elsewhere; compile stays off
    "eval.probe_epochs": 30,
}
# The most training that fits 60 min on the 2-core CPU (the scratch runs that chose it: the results page).
CPU_PHOTO_DIGITS = {**QUICK_PHOTO_DIGITS, "data.n_train": 20000, "optim.epochs": 30}
# The paper's CIFAR-10 scale shared with ``batch_size``: ResNet-50, SimCLR's CIFAR augmentation, LARS.
PAPER_CIFAR = {
    "optim.precision": "auto",  # bf16 on a GPU
    "data.images": "cifar10",
    "model.encoder": "resnet50",
    "model.width": 64,
    "model.stem_stride": 1,
    "model.head_hidden": 2048,
    "model.head_out": 128,
    "augment.flip": True,
    "augment.crop_min_scale": 0.08,
    "augment.color_strength": 0.5,
    "optim.optimizer": "lars",
    "optim.lr": 1.0,
    "optim.weight_decay": 1e-6,
    "optim.warmup_epochs": 10,
}
# Decoupled NT-Xent's lambda in units of NT-Xent's own balance, tau / d (``losses.nt_xent_balance``: its
# alignment is a mean over the d output dimensions, its LogSumExp is not): from half to eight times that
# weight (on the MNIST-M-style digits the best lay at the old grid's edge, twice the balance).
BALANCE_MULTIPLES = (0.5, 1.0, 2.0, 4.0, 8.0)
TUNING = (
    [{"loss.name": "nt_xent", "loss.temperature": t} for t in (0.1, 0.2, 0.5)]
    + [
        {"loss.name": "decoupled_nt_xent", "loss.temperature": t, "loss.lam": m * nt_xent_balance(t, HEAD_OUT)}
        for t in (0.1, 0.2, 0.5)
        for m in BALANCE_MULTIPLES
    ]
    + [
        {"loss.name": name, "loss.lam": lam}
        for name in ("swd_hypersphere", "swd_hypercube", "swd_normal")
        for lam in (0.1, 0.3, 1.0, 3.0, 10.0)
    ]
)
# Each loss at its best value of the committed ``tune`` results (results/generalized_losses/tune/results.csv).
TUNED_NT_XENT = {"loss.name": "nt_xent", "loss.temperature": 0.5}
TUNED = (
    TUNED_NT_XENT,
    {"loss.name": "decoupled_nt_xent", "loss.temperature": 0.2, "loss.lam": 2 * nt_xent_balance(0.2, HEAD_OUT)},
    {"loss.name": "swd_hypersphere", "loss.lam": 1.0},
    {"loss.name": "swd_hypercube", "loss.lam": 3.0},
    {"loss.name": "swd_normal", "loss.lam": 1.0},
)

PRESETS = {
    "smoke": Preset(
        base={
            **QUICK_PHOTO_DIGITS,
            "data.n_train": 256,
            "data.n_test": 128,
            "optim.epochs": 1,
            "optim.batch_size": 64,
            "optim.precision": "fp32",  # the same numbers on every CPU
            "model.head_hidden": 32,
            "model.head_out": 16,
            "eval.probe_epochs": 3,
        },
        sweep={"model.head_depth": HEAD_DEPTHS},
        variants=TUNED,
        note="seconds: every loss x head depth for one step-sized epoch",
    ),
    "tune": Preset(
        base={**QUICK_PHOTO_DIGITS, "model.head_depth": TUNING_DEPTH},
        variants=tuple(TUNING),
        note="2-core CPU: each loss's temperature or lambda at a head of 2 hidden layers (the quick scale)",
    ),
    "quick": Preset(
        base=QUICK_PHOTO_DIGITS,
        sweep={"model.head_depth": HEAD_DEPTHS, "seed": (0, 1, 2)},
        variants=(*TUNED, *FLOOR_VARIANTS),
        note="2-core CPU: 5k MNIST-M-style digits, ConvN, 5 epochs, each loss at its tuned value, heads of 0-3 "
        "hidden layers, 3 seeds",
    ),
    "cpu": Preset(
        base=CPU_PHOTO_DIGITS,
        sweep={"model.head_depth": (1, TUNING_DEPTH), "seed": (0, 1, 2)},
        variants=(*TUNED, *FLOOR_VARIANTS),
        note="2-core CPU, about 50 min: 20k MNIST-M-style digits x 30 epochs, each loss at its tuned value, a "
        "linear head against 2 hidden layers (the two depths the claim and its gate compare), 3 seeds",
    ),
    "paper": Preset(
        base={**PAPER_CIFAR, "optim.epochs": 1000, "optim.batch_size": 512, "optim.lr_scaling": "linear"},
        sweep={"model.head_depth": HEAD_DEPTHS},
        variants=(
            {"loss.name": "nt_xent", "loss.temperature": 0.5},
            {"loss.name": "decoupled_nt_xent", "loss.temperature": 0.5},
            {"loss.name": "swd_hypersphere", "loss.lam": 1.0},
            {"loss.name": "swd_hypercube", "loss.lam": 1.0},
            {"loss.name": "swd_normal", "loss.lam": 1.0},
            *FLOOR_VARIANTS,
        ),
        note="CIFAR-10, ResNet-50, LARS, 1000 epochs (ImageNet: --set data.images=folder:<path>); for GPUs; "
        "tune each loss's value at this scale first",
    ),
}

EXPERIMENT = Experiment(
    name="generalized_losses",
    figure_title="Sec. 2, Fig. 1 (generalized contrastive losses x projection-head depth)",
    config_cls=GeneralizedLossesRun,
    presets=PRESETS,
    run=Lazy("experiments.runs.image_data", "run_on_images"),
    data_source=Lazy("experiments.runs.image_data", "data_source"),
    figure=Lazy("analysis.generalized_losses", "figure"),
    claim_check=Lazy("analysis.generalized_losses", "claim_check"),
)
