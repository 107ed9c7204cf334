"""Initialization and BatchNorm settings of a built network (``model.init``, ``model.bn_momentum``,
``model.bn_eps``): PyTorch's defaults, or Keras' (Glorot-uniform kernels, zero biases, BN momentum 0.99 and
epsilon 1e-3), which the official notebooks use."""

from __future__ import annotations

from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm


def configure(module: nn.Module, init: str, bn_momentum: float, bn_eps: float) -> nn.Module:
    """Set every BatchNorm's momentum (PyTorch convention: the weight of the new batch) and epsilon; with
    ``init="glorot"`` re-initialize every convolution and linear layer (Glorot-uniform weight, zero bias)."""
    for layer in module.modules():
        if isinstance(layer, _BatchNorm):
            layer.momentum, layer.eps = bn_momentum, bn_eps
        if init == "glorot" and isinstance(layer, nn.Conv2d | nn.Linear):
            glorot_(layer)
    return module


def glorot_(layer: nn.Conv2d | nn.Linear) -> nn.Conv2d | nn.Linear:
    """Keras' default initialization, in place: Glorot-uniform weight, zero bias."""
    nn.init.xavier_uniform_(layer.weight)
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)
    return layer
