"""RandBit across methods (paper Sec. 4 / 5, beyond SimCLR): do BYOL, MoCo v2 and an autoencoder also let a few
random bits suppress the image features?

The RandBit data and run of ``experiments/randbit.py`` (bits appended after augmentation, a linear probe on
the image class with bits present), swept over the method: SimCLR, BYOL, MoCo v2, an autoencoder, and
supervised training as the reference. Same encoder and budget as ``randbit``'s quick preset (ConvN, 10k
MNIST digits, 5 epochs), at one batch size (256) and SimCLR / MoCo temperature (0.1). MoCo's queue holds
4,096 keys (``method.queue_size``): about 40% of the 10k training images, so that it rarely holds a stale
key of the query's own image. BYOL's and MoCo's momentum is 0.99 (``method.ema``; BYOL raises it to 1).
A remedy is tried too: SimCLR with implicit feature modification (IFM, Robinson et al. 2021;
``loss.ifm_weight=1``, ``loss.ifm_epsilon`` 0.1 and 0.5; the quick preset, to fit 10 minutes, runs 0.1 only
and bits 0, 5 and 20).
"""

from __future__ import annotations

from experiments import randbit
from experiments.scales import FLOOR_VARIANTS
from sweeps.spec import Experiment, Lazy, Preset

METHODS = ("simclr", "byol", "moco", "autoencoder", "supervised")
IFM_EPSILONS = (0.1, 0.5)  # SimCLR + implicit feature modification (loss.ifm_weight = 1)


# The autoencoders (PAPER.md section 5): the one the claim reads reconstructs the image and the bit planes with
# equal weight, so it must encode the bits and could let them suppress the image; beside it, reported, the
# image-only one (``{"method.name": "autoencoder"}``, the default target: it never has to encode the bits) and the
# all-channels one (with many planes the bits are most of its error: it shows the objective, not the method).
BALANCED_AUTOENCODER = {"method.name": "autoencoder", "method.reconstruct": "balanced"}
ALL_CHANNELS_AUTOENCODER = {"method.name": "autoencoder", "method.reconstruct": "all"}


def _variants(ifm_epsilons: tuple[float, ...], floors: tuple[dict, ...] = FLOOR_VARIANTS) -> tuple[dict, ...]:
    """Each method, the balanced and all-channels autoencoders, SimCLR + IFM at each epsilon, then the floors."""
    ifm = ({"method.name": "simclr", "loss.ifm_weight": 1.0, "loss.ifm_epsilon": eps} for eps in ifm_epsilons)
    autoencoders = (BALANCED_AUTOENCODER, ALL_CHANNELS_AUTOENCODER)
    return (*({"method.name": m} for m in METHODS), *autoencoders, *ifm, *floors)


VARIANTS = _variants(IFM_EPSILONS)
_QUICK = {
    **randbit.NOTEBOOK,
    "loss.name": "nt_xent",
    "loss.temperature": 0.1,
    "data.n_train": 10000,
    "data.n_test": 5000,
    "optim.epochs": 5,
    "optim.batch_size": 256,
    "eval.probe_epochs": 30,
}

PRESETS = {
    "smoke": Preset(
        base={**randbit.PRESETS["smoke"].base, "loss.name": "nt_xent", "method.queue_size": 128},
        sweep={"data.n_bits": (0, 10)},
        variants=_variants(IFM_EPSILONS, floors=()),
        note="seconds; checks the pipeline only",
    ),
    "quick": Preset(
        base=_QUICK,
        sweep={"data.n_bits": (0, 5, 20)},
        variants=_variants(IFM_EPSILONS[:1]),
        note="2-core CPU: randbit's quick budget (ConvN, 10k MNIST, 5 epochs), batch 256, tau 0.1, five methods "
        "and SimCLR + IFM (eps 0.1); bits 0, 5 and 20 (about 7.5 min idle)",
    ),
    "cpu": Preset(
        base={**randbit.PRESETS["cpu"].base, "loss.temperature": 0.1},
        sweep={"data.n_bits": (0, 20)},
        variants=VARIANTS,
        note="2-core CPU: randbit's cpu budget (the full MNIST, ConvN, 10 epochs, batch 512), tau 0.1, five "
        "methods, the all-channels autoencoder and SimCLR + IFM at eps 0.1 and 0.5; 0 and 20 bits (about 40 min)",
    ),
    "paper": Preset(
        base={**randbit.PRESETS["paper"].base, "loss.temperature": 0.2, "optim.batch_size": 1024},
        sweep={"data.n_bits": (0, 5, 10, 15, 20)},
        variants=VARIANTS,
        note="CIFAR-10 with ResNet-18, randbit's paper budget; for a GPU",
    ),
}

EXPERIMENT = Experiment(
    name="randbit_methods",
    figure_title="Beyond the paper: RandBit with SimCLR, BYOL, MoCo v2, an autoencoder and supervised training",
    config_cls=randbit.RandBitRun,
    presets=PRESETS,
    run=Lazy("experiments.runs.randbit", "run"),
    data_source=Lazy("experiments.runs.image_data", "data_source"),
    figure=Lazy("analysis.randbit_methods", "figure"),
    claim_check=Lazy("analysis.randbit_methods", "claim_check"),
)
