"""Vectorized canvas composition shared by every generator: resize digits and paste them, all at once.

No Python loop runs over images or pixels: a whole batch of (image, slot) pastes is one ``scatter_reduce``
on the flattened canvases, on whatever device the tensors live on.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from datasets.names import COMPOSITE_MODES
from datasets.validation import check_choice


def resize_digits(digits: torch.Tensor, size: int) -> torch.Tensor:
    """Resize square digits (M, h, w) to (M, size, size) with antialiased bilinear interpolation."""
    if digits.shape[-1] == size and digits.shape[-2] == size:
        return digits
    resized = F.interpolate(digits[:, None], size=(size, size), mode="bilinear", antialias=True, align_corners=False)
    return resized[:, 0].clamp_(0, 1)


def paste(canvas: torch.Tensor, patches: torch.Tensor, top_left: torch.Tensor, mode: str = "max") -> torch.Tensor:
    """Paste ``patches`` onto ``canvas`` in place and return it.

    canvas: (N, C, H, W); patches: (N, K, h, w) (broadcast over channels) or (N, K, C, h, w);
    top_left: (N, K, 2) integer (y, x) of each patch's top-left corner, every patch fully inside.
    mode ``max``: canvas = max(canvas, patch) per pixel (overlaps keep the brighter stroke);
    mode ``add``: canvas = clip(canvas + patch, 0, 1).
    """
    check_choice("composite", mode, COMPOSITE_MODES)
    n, channels, height, width = canvas.shape
    if patches.dim() == 4:
        patches = patches[:, :, None].expand(-1, -1, channels, -1, -1)
    k, h, w = patches.shape[1], patches.shape[-2], patches.shape[-1]
    rows = top_left[..., 0, None, None] + torch.arange(h, device=canvas.device)[:, None]  # (N, K, h, 1)
    cols = top_left[..., 1, None, None] + torch.arange(w, device=canvas.device)[None, :]  # (N, K, 1, w)
    flat_index = (rows * width + cols).reshape(n, 1, k * h * w).expand(-1, channels, -1)
    values = patches.permute(0, 2, 1, 3, 4).reshape(n, channels, k * h * w).to(canvas.dtype)
    flat = canvas.view(n, channels, height * width)
    if mode == "max":
        flat.scatter_reduce_(2, flat_index, values, reduce="amax", include_self=True)
    else:
        flat.scatter_add_(2, flat_index, values).clamp_(0, 1)
    return canvas
