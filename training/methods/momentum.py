"""What BYOL and MoCo share: a slowly moving copy of a network (target / key encoder), never trained by
gradients, updated after every step as target = m * target + (1 - m) * online."""

from __future__ import annotations

import copy

import torch
from torch import nn


def frozen_copy(module: nn.Module) -> nn.Module:
    """A deep copy with every parameter's ``requires_grad`` off (gradients never reach it)."""
    target = copy.deepcopy(module)
    for parameter in target.parameters():
        parameter.requires_grad_(False)
    return target


@torch.no_grad()
def ema_update(target: nn.Module, online: nn.Module, momentum: float) -> None:
    """target <- momentum * target + (1 - momentum) * online, parameters and BN buffers (float ones) alike."""
    for t, o in zip(target.parameters(), online.parameters()):
        t.lerp_(o, 1.0 - momentum)
    for t, o in zip(target.buffers(), online.buffers()):
        if t.dtype.is_floating_point:
            t.lerp_(o, 1.0 - momentum)
        else:
            t.copy_(o)
