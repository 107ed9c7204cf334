"""Losses compute in fp32 or wider: bf16 / fp16 outputs are promoted, float64 stays float64."""

from __future__ import annotations

import torch


def at_least_fp32(x: torch.Tensor) -> torch.Tensor:
    """``x`` cast to the wider of its dtype and float32."""
    return x.to(torch.promote_types(x.dtype, torch.float32))
