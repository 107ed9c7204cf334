"""Projection head g: an MLP of any depth (paper Fig. 1 varies it).

depth 0: identity; depth k >= 1: (k - 1) x [Linear(., hidden), BN, ReLU] followed by Linear(., out_dim), with a
bias unless ``out_bias`` is False (the RandBits notebook's last layer has none).
"""

from __future__ import annotations

from torch import nn


def projection_head(
    in_dim: int, depth: int = 2, hidden_dim: int = 512, out_dim: int = 128, out_bias: bool = True
) -> nn.Module:
    """(B, in_dim) -> (B, out_dim) (or (B, in_dim) for depth 0)."""
    if not 0 <= depth <= 4:
        raise ValueError(f"head depth={depth} is not allowed; it must be in [0, 4]")
    if depth == 0:
        return nn.Identity()
    layers: list[nn.Module] = []
    width = in_dim
    for _ in range(depth - 1):
        layers += [nn.Linear(width, hidden_dim, bias=False), nn.BatchNorm1d(hidden_dim), nn.ReLU(inplace=True)]
        width = hidden_dim
    layers.append(nn.Linear(width, out_dim, bias=out_bias))
    return nn.Sequential(*layers)
