"""Optimizers (SGD, Adam, LARS) and per-step learning-rate schedules (warm-up + cosine, linear, constant)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from training.device import MEMORY_FORMATS, PRECISIONS
from training.rules import Interval, OneOf, setting

OPTIMIZERS = ("sgd", "adam", "lars")
SCHEDULES = ("cosine", "linear", "constant")
LR_SCALINGS = ("none", "linear", "sqrt")
DECAYED = ("all", "kernels")
REFERENCE_BATCH = 256


@dataclass(frozen=True)
class OptimConfig:
    """The ``optim`` config section. lr is the peak rate (scaled with the batch size by ``lr_scaling``);
    warmup_epochs ramp linearly from 0; weight_decay is coupled L2 (skipped for BN and biases under LARS, as
    in SimCLR). The last incomplete batch is dropped. precision: fp32 | bf16 | auto (``training/device.py``;
    ``auto`` is resolved to fp32 or bf16 for the device before any run, and the resolved value is what the run
    records). memory_format: auto | channels_last | contiguous, the layout of images and conv weights
    (``training/device.py``). shuffle: a fresh seeded order every epoch, or (False) the data's own order every
    epoch, as the RandBits notebook's unshuffled ``.repeat()``. decay: which parameters weight decay applies
    to, ``all``, or ``kernels`` (conv and linear weights of the method, not BN, biases or the online probe) as a Keras
    ``kernel_regularizer=l2(weight_decay)`` that adds weight_decay * ||w||^2 to the loss (gradient 2 *
    weight_decay * w). adam_eps: Adam's epsilon (Keras: 1e-7). compile: train through ``torch.compile`` of the
    step (encoder, head, loss); its own run id, as compiled kernels may round differently
    (``benchmarks/bench_levers.py`` measures whether it pays on a machine; with torch 2.14.1 on an AVX512-BF16
    CPU the fp32 compilation of ResNet-18 width 8 at 112 px segfaults, while bf16 compiles it)."""

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
    compile: bool = False

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


class LARS(torch.optim.Optimizer):
    """SGD with momentum and layer-wise trust ratio: update = lr * eta * ||w|| / ||g + wd w|| * (g + wd w).

    Parameters with one dimension (biases, BN) get plain momentum SGD without weight decay.
    """

    def __init__(self, params, lr: float, momentum: float = 0.9, weight_decay: float = 0.0, eta: float = 1e-3):
        super().__init__(params, {"lr": lr, "momentum": momentum, "weight_decay": weight_decay, "eta": eta})

    @torch.no_grad()
    def step(self, closure=None):  # noqa: D102 - torch.optim interface
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad
                if p.ndim > 1:
                    grad = grad.add(p, alpha=group["weight_decay"])
                    w_norm, g_norm = torch.linalg.norm(p), torch.linalg.norm(grad)
                    trust = torch.where((w_norm > 0) & (g_norm > 0), group["eta"] * w_norm / g_norm, 1.0)
                    grad = grad * trust
                buffer = self.state[p].setdefault("momentum", torch.zeros_like(p))
                buffer.mul_(group["momentum"]).add_(grad)
                p.add_(buffer, alpha=-group["lr"])


def parameter_groups(model: nn.Module, config: OptimConfig, exempt: nn.Module | None = None) -> list[dict]:
    """``decay=all``: one group of every parameter. ``decay=kernels``: the conv and linear weights of ``model``
    (not those of ``exempt``, the online probe) with weight decay 2 * weight_decay (the gradient of a Keras
    l2(weight_decay) regularizer), everything else without."""
    params = list(model.parameters())
    if config.decay == "all":
        return [{"params": params}]
    skipped = {id(p) for p in exempt.parameters()} if exempt is not None else set()
    kernels = {id(layer.weight) for layer in model.modules() if isinstance(layer, nn.Conv2d | nn.Linear)} - skipped
    return [
        {"params": [p for p in params if id(p) in kernels], "weight_decay": 2 * config.weight_decay},
        {"params": [p for p in params if id(p) not in kernels], "weight_decay": 0.0},
    ]


def make_optimizer(params, config: OptimConfig) -> torch.optim.Optimizer:
    """The configured optimizer over ``params`` (parameters or ``parameter_groups``)."""
    lr = config.scaled_lr
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=config.weight_decay, eps=config.adam_eps)
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=config.momentum, weight_decay=config.weight_decay)
    if config.optimizer == "lars":
        return LARS(params, lr=lr, momentum=config.momentum, weight_decay=config.weight_decay)
    raise ValueError(f"optimizer {config.optimizer!r} is unknown; choose one of {', '.join(OPTIMIZERS)}")


def lr_factor(step: int, total_steps: int, warmup_steps: int, schedule: str) -> float:
    """Multiplier of the peak lr at ``step``: linear warm-up, then cosine / linear decay to 0, or constant."""
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    if schedule == "cosine":
        return 0.5 * (1 + math.cos(math.pi * progress))
    if schedule == "linear":
        return 1 - progress
    if schedule == "constant":
        return 1.0
    raise ValueError(f"schedule {schedule!r} is unknown; choose one of {', '.join(SCHEDULES)}")


def make_scheduler(
    optimizer: torch.optim.Optimizer, config: OptimConfig, steps_per_epoch: int, epochs: int
) -> torch.optim.lr_scheduler.LambdaLR:
    total, warmup = steps_per_epoch * epochs, int(config.warmup_epochs * steps_per_epoch)
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: lr_factor(s, total, warmup, config.schedule))
