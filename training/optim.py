"""Optimizers (SGD, Adam, LARS) and per-step learning-rate schedules (warm-up + cosine, linear, constant)."""

from __future__ import annotations

import math

import torch
from torch import nn

from training.config import OPTIMIZERS, SCHEDULES, OptimConfig


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
