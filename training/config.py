"""Config sections the trainer reads: ``model``, ``method``, ``loss``, ``augment``, ``optim``, ``eval``, and the
names their fields accept. Pure Python (no torch), so that every run of a grid is checked before torch loads.

Each field carries its default and its allowed values (``training.rules``). Which fields apply to a run
depends on its method (``training.methods.METHOD_USES``) and, inside ``loss``, on the loss
(``losses.parameters``): a supervised run has no temperature, an SWD loss has no temperature, NT-Xent has no lambda.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from losses.parameters import LOSS_NAMES
from training.method_keys import METHOD_USES
from training.rules import Interval, OneOf, Switch, setting

ENCODERS = ("resnet18", "resnet50", "convn")
INITS = ("torch", "glorot")
DEVICES = ("auto", "cpu", "cuda")
PRECISIONS = ("fp32", "bf16", "auto")
MEMORY_FORMATS = ("auto", "channels_last", "contiguous")
BLOCKS = (1, 2, 3, 4)  # a ResNet's four block groups, whose feature maps training/features.py reads
WEIGHTS_PREFIXES = ("file:", "torchvision:")  # where pretrained encoder weights come from (training/encoder_files.py)

ONLINE_VIEWS = ("all", "first")
# the autoencoder's target: the image channels, every channel (RandBit planes too), or every channel with the image
# and the added channels weighted equally (the mean error of each group, averaged)
RECONSTRUCT = ("image", "all", "balanced")


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
    reconstruct, the autoencoder's target: ``image`` (the view's image channels), ``all`` (every channel,
    RandBit planes included, which then dominate the mean squared error) or ``balanced`` (every channel, the
    mean error over the image channels and over the added channels weighted equally)."""

    name: str = setting("simclr", OneOf(tuple(METHOD_USES)))
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


CROPS = ("torchvision", "tf")


@dataclass(frozen=True)
class AugmentConfig:
    """The ``augment`` config section. Crops cover ``crop_min_scale`` to 100% of the area, aspect ratio 3/4 to
    4/3, drawn as torchvision's RandomResizedCrop does (``crop=torchvision``: area uniform, log-ratio uniform,
    a continuous box) or as TensorFlow's ``sample_distorted_bounding_box`` (``crop=tf``, the notebooks').
    ``color_strength`` 0 disables colour distortion."""

    crop_min_scale: float = setting(0.2, Interval(0, 1, open_low=True))
    flip: bool = False
    color_strength: float = setting(0.5, Interval(0, 1))
    color_prob: float = setting(0.8, Interval(0, 1))
    gray_prob: float = setting(0.2, Interval(0, 1))
    blur: bool = False
    crop: str = setting("torchvision", OneOf(CROPS))

    def unread(self) -> dict[str, str]:
        """Fields these values make unused, with the reason (so runs differing only there are one run)."""
        if self.color_strength == 0:
            return {name: "augment.color_strength=0 disables colour distortion" for name in ("color_prob", "gray_prob")}
        return {}


OPTIMIZERS = ("sgd", "adam", "lars")
SCHEDULES = ("cosine", "linear", "constant")
LR_SCALINGS = ("none", "linear", "sqrt")
DECAYED = ("all", "kernels")
REFERENCE_BATCH = 256


@dataclass(frozen=True)
class OptimConfig:
    """The ``optim`` config section. lr is the peak rate (scaled with the batch size by ``lr_scaling``);
    warmup_epochs ramp linearly from 0; weight_decay is coupled L2 (skipped for BN and biases under LARS, as
    in SimCLR). The last incomplete batch is dropped. precision: fp32 | bf16 | auto; ``auto`` (here and for
    ``compile``) is resolved for the device and the kind of CPU before any run (``training/levers.py``), and the
    resolved value is what the run records and its id hashes. memory_format: auto | channels_last | contiguous,
    the layout of images and conv weights (``training/device.py``). shuffle: a fresh seeded order every epoch,
    or (False) the data's own order every epoch, as the RandBits notebook's unshuffled ``.repeat()``. decay:
    which parameters weight decay applies to, ``all``, or ``kernels`` (conv and linear weights of the method,
    not BN, biases or the online probe) as a Keras ``kernel_regularizer=l2(weight_decay)`` that adds
    weight_decay * ||w||^2 to the loss (gradient 2 * weight_decay * w). adam_eps: Adam's epsilon (Keras: 1e-7).
    compile: train through ``torch.compile`` of the step (encoder, head, loss): true, false or auto; its own
    run id, as compiled kernels may round differently (``benchmarks/bench_levers.py`` measures whether it pays
    on a machine)."""

    optimizer: str = setting("adam", OneOf(OPTIMIZERS))
    lr: float = setting(1e-3, Interval(0, 100, open_low=True))
    weight_decay: float = setting(1e-4, Interval(0, 1))
    momentum: float = setting(0.9, Interval(0, 1))
    schedule: str = setting("cosine", OneOf(SCHEDULES))
    warmup_epochs: float = setting(0.0, Interval(0, 10000))
    epochs: int = setting(10, Interval(1, 100000))
    batch_size: int = setting(256, Interval(2, 1 << 20))
    lr_scaling: str = setting("none", OneOf(LR_SCALINGS))
    precision: str = setting("fp32", OneOf(PRECISIONS))
    memory_format: str = setting("auto", OneOf(MEMORY_FORMATS))
    shuffle: bool = True
    decay: str = setting("all", OneOf(DECAYED))
    adam_eps: float = setting(1e-8, Interval(0, 1, open_low=True))
    compile: bool | str = setting(False, Switch())

    @property
    def scaled_lr(self) -> float:
        """The peak rate actually used: ``lr`` at batch 256, times batch/256 (``linear``, SimCLR's rule for
        SGD/LARS) or its square root (``sqrt``, common for Adam and LARS at large batch); ``none``: ``lr``."""
        ratio = self.batch_size / REFERENCE_BATCH
        return self.lr * {"none": 1.0, "linear": ratio, "sqrt": ratio**0.5}[self.lr_scaling]

    def unread(self) -> dict[str, str]:
        """Fields these values make unused, with the reason."""
        if self.optimizer == "adam":
            unread = {"momentum": "optim.optimizer=adam has no momentum setting (its betas are fixed)"}
        else:
            unread = {"adam_eps": f"optim.optimizer={self.optimizer} is not Adam"}
        if self.weight_decay == 0:
            unread["decay"] = "optim.weight_decay=0"
        return unread

    def cross_problem(self) -> str | None:
        if self.warmup_epochs > self.epochs:
            return f"optim.warmup_epochs={self.warmup_epochs:g} must be <= optim.epochs={self.epochs}"
        return None


class TrainingSettings(Protocol):
    """What the trainer reads of a run config (``sweeps.config.RunConfig`` has all of it)."""

    model: ModelConfig
    method: MethodConfig
    loss: LossConfig
    augment: AugmentConfig
    optim: OptimConfig
    seed: int
