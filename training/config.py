"""Config sections the trainer reads: ``model``, ``method``, ``loss``, ``eval`` (``augment`` and ``optim``
live beside the code that uses them, in ``training/augment.py`` and ``training/optim.py``).

Each field carries its default and its allowed values (``training.rules``). Which fields apply to a run
depends on its method (``Method.uses``) and, inside ``loss``, on the loss (``losses.LOSS_PARAMETERS``): a supervised run
has no temperature, an SWD loss has no temperature, NT-Xent has no lambda.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from losses import LOSS_NAMES
from training.augment import AugmentConfig
from training.encoders import ENCODERS, INITS
from training.optim import OptimConfig
from training.rules import Interval, OneOf, setting

ONLINE_VIEWS = ("all", "first")
RECONSTRUCT = ("image", "all")  # the autoencoder's target: the image channels, or every channel (RandBit planes too)


def _method_names() -> tuple[str, ...]:
    from training.methods import METHODS

    return tuple(METHODS)


@dataclass(frozen=True)
class ModelConfig:
    """Encoder f (ResNet at any width with a small stem, or the notebook's ConvN) and projection head g.
    init: ``torch`` (each layer's own default; Kaiming for ResNet convolutions) or ``glorot`` (Keras: Glorot-
    uniform kernels, zero biases); bn_momentum / bn_eps: every BatchNorm's, in PyTorch's convention (Keras'
    momentum 0.99 is 0.01 here); head_bias: whether the projection head's last layer has a bias (the RandBits
    notebook's has none)."""

    encoder: str = setting("resnet18", OneOf(ENCODERS))
    width: int = setting(64, Interval(1, 1024))
    stem_stride: int = setting(1, Interval(1, 4))
    head_depth: int = setting(2, Interval(0, 4))
    head_hidden: int = setting(512, Interval(1, 65536))
    head_out: int = setting(128, Interval(1, 65536))
    init: str = setting("torch", OneOf(INITS))
    bn_momentum: float = setting(0.1, Interval(0, 1))
    bn_eps: float = setting(1e-5, Interval(0, 1, open_low=True))
    head_bias: bool = True

    def unread(self) -> dict[str, str]:
        """Fields these values make unused, with the reason: ConvN has a fixed architecture."""
        fixed = "model.encoder=convn has a fixed width and stem"
        return {"width": fixed, "stem_stride": fixed} if self.encoder == "convn" else {}


@dataclass(frozen=True)
class MethodConfig:
    """name: a registered method (``training.methods``); online_probe: train a linear classifier on the
    detached representation during pretraining (the official RandBits notebook's online accuracy), on the
    features of every view or of the ``first`` only (``online_views``; the notebook's), initialized as PyTorch's
    ``nn.Linear`` or as Keras' ``Dense`` (``online_init=glorot``; the notebook's).
    Method-specific (only their method reads them): ema, the target / key encoder's momentum (BYOL: its
    start, raised to 1 on a cosine schedule; MoCo: constant); queue_size, MoCo's number of negatives;
    reconstruct, the autoencoder's target: ``image`` (the view's image channels) or ``all`` (every channel,
    RandBit planes included, which then dominate the mean squared error)."""

    name: str = setting("simclr", OneOf(_method_names))
    online_probe: bool = False
    online_views: str = setting("all", OneOf(ONLINE_VIEWS))
    online_init: str = setting("torch", OneOf(INITS))
    ema: float = setting(0.99, Interval(0, 1))
    queue_size: int = setting(4096, Interval(1, 1 << 20))
    reconstruct: str = setting("image", OneOf(RECONSTRUCT))

    def unread(self) -> dict[str, str]:
        """Fields these values make unused, with the reason."""
        off = "method.online_probe=false"
        return {} if self.online_probe else {"online_views": off, "online_init": off}


@dataclass(frozen=True)
class LossConfig:
    """The contrastive loss (``losses.build_loss``): total = scaling * (alignment + lam * distribution).
    NT-Xent only: ifm_weight > 0 adds implicit feature modification with ifm_epsilon (Robinson et al. 2021)."""

    name: str = setting("nt_xent", OneOf(LOSS_NAMES))
    temperature: float = setting(0.1, Interval(1e-3, 1e3))
    lam: float = setting(1.0, Interval(0, 1e6))
    scaling: float = setting(1.0, Interval(0, 1e6, open_low=True))
    ifm_epsilon: float = setting(0.1, Interval(0, 2))
    ifm_weight: float = setting(0.0, Interval(0, 1e3))

    def cross_problem(self) -> str | None:
        if self.name == "nt_xent" and self.ifm_weight == 0 and self.ifm_epsilon != 0.1:
            return f"loss.ifm_epsilon={self.ifm_epsilon} has no effect with loss.ifm_weight=0; set loss.ifm_weight > 0"
        return None


@dataclass(frozen=True)
class EvalConfig:
    """Linear probes on frozen features: Adam with a cosine schedule for ``probe_epochs``."""

    probe_epochs: int = setting(40, Interval(1, 10000))


class TrainingSettings(Protocol):
    """What the trainer reads of a run config (``sweeps.config.RunConfig`` has all of it)."""

    model: ModelConfig
    method: MethodConfig
    loss: LossConfig
    augment: AugmentConfig
    optim: OptimConfig
    seed: int
