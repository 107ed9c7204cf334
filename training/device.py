"""Device choice, seeded generators and mixed precision: bf16 autocast and channels_last on CUDA only."""

from __future__ import annotations

import contextlib

import torch
from torch import nn

DEVICES = ("auto", "cpu", "cuda")


def resolve_device(name: str = "auto") -> torch.device:
    """``auto``: CUDA when available, else CPU. ``cuda`` without a GPU is an error."""
    if name not in DEVICES:
        raise ValueError(f"device {name!r} is unknown; choose one of {', '.join(DEVICES)}")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was asked for but no CUDA GPU is available; use --device cpu or auto")
    return torch.device("cuda" if name == "auto" and torch.cuda.is_available() else name if name != "auto" else "cpu")


def device_generator(seed: int, device: torch.device) -> torch.Generator:
    """A generator on ``device`` for augmentation and loss sampling, seeded from the run seed."""
    return torch.Generator(device=device).manual_seed(int(seed) + 1)


def autocast(device: torch.device) -> contextlib.AbstractContextManager:
    """bf16 autocast on CUDA; a no-op on CPU, so CPU runs stay fp32 and bit-reproducible."""
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def prepare(module: nn.Module, device: torch.device) -> nn.Module:
    """Move to ``device``; channels_last memory format on CUDA, where convolutions prefer it."""
    module = module.to(device)
    return module.to(memory_format=torch.channels_last) if device.type == "cuda" else module


def as_input(images: torch.Tensor, device: torch.device) -> torch.Tensor:
    return images.contiguous(memory_format=torch.channels_last) if device.type == "cuda" else images
