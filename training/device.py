"""Device choice, seeded generators and mixed precision.

Training precision (``optim.precision``): ``fp32``, ``bf16`` (autocast to bfloat16 for the encoder and heads,
the losses stay fp32, channels_last memory format) or ``auto``, resolved before any run by ``training/levers.py``.
Feature extraction for the probes uses bf16 autocast on CUDA and fp32 on CPU.

Memory format (``optim.memory_format``): ``auto`` (channels_last on CUDA and for bf16, contiguous for fp32 on
CPU, the layout every committed CPU result was trained in), ``channels_last`` or ``contiguous``. The layout
changes only the rounding of the convolutions, and their speed: on an AVX2 2-core CPU one fp32 SimCLR step
in channels_last is 1.5-1.6x faster for ConvN (``benchmarks/bench_precision.py``). ``memory_format_problem``
refuses it for the ResNets (a torch bug, below).
"""

from __future__ import annotations

import contextlib

import torch
from torch import nn

from training.config import DEVICES
from training.encoders import build_encoder

# torch 2.14's oneDNN backward of a 1x1 stride-2 convolution in fp32 channels_last on CPU corrupts the heap
# (a crash with 1 thread, different gradients at every call with 2); the forward pass and bf16 are fine. The
# ResNets' shortcuts are such convolutions; ConvN has none, so only it may train so.
CPU_BUG = "torch's backward of a 1x1 stride-2 convolution corrupts memory there"


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


def native_bf16(device: torch.device) -> bool:
    """Whether ``device`` multiplies bf16 natively: a CUDA GPU that supports it, or a CPU with AVX512-BF16/AMX."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    try:  # oneDNN's own check: AVX512-BF16 or AMX
        return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def memory_format_problem(encoder: str, device: torch.device, precision: str, memory_format: str) -> str | None:
    """Why ``memory_format`` cannot train the encoder named ``encoder`` at ``precision`` (resolved) on
    ``device``, or None: ``prepare``'s rule, checked on a small encoder of that name before any data loads."""
    if not _channels_last(device, precision, memory_format):
        return None
    if not _hits_cpu_bug(build_encoder(encoder, 1, 32, 8), device, precision):
        return None
    return (
        f"optim.memory_format='channels_last' is not allowed for model.encoder={encoder!r} in fp32 on CPU "
        f"({CPU_BUG}); use auto or contiguous"
    )


def autocast(device: torch.device, precision: str | None = None) -> contextlib.AbstractContextManager:
    """bf16 autocast for ``precision="bf16"``; without a precision (feature extraction), bf16 on CUDA only,
    so CPU features stay fp32 and bit-reproducible."""
    if precision == "bf16" or (precision is None and device.type == "cuda"):
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def _channels_last(device: torch.device, precision: str | None, memory_format: str) -> bool:
    if memory_format == "auto":
        return device.type == "cuda" or precision == "bf16"
    return memory_format == "channels_last"


def prepare(
    module: nn.Module, device: torch.device, precision: str | None = None, memory_format: str = "auto"
) -> nn.Module:
    """Move to ``device``, in channels_last memory format where ``memory_format`` asks for it (``auto``: on
    CUDA and for bf16, where convolutions prefer it)."""
    module = module.to(device)
    if not _channels_last(device, precision, memory_format):
        return module
    if _hits_cpu_bug(module, device, precision):
        raise ValueError(f"optim.memory_format={memory_format!r} cannot train this model in fp32 on CPU: {CPU_BUG}")
    return module.to(memory_format=torch.channels_last)


def _hits_cpu_bug(module: nn.Module, device: torch.device, precision: str | None) -> bool:
    """Whether training ``module`` in channels_last at ``precision`` on ``device`` meets ``CPU_BUG``."""
    return device.type == "cpu" and precision != "bf16" and has_strided_pointwise_conv(module)


def has_strided_pointwise_conv(module: nn.Module) -> bool:
    """Whether ``module`` holds a 1x1 convolution with a stride above 1 (the layer of ``CPU_BUG``)."""
    convs = (m for m in module.modules() if isinstance(m, nn.Conv2d))
    return any(conv.kernel_size == (1, 1) and conv.stride != (1, 1) for conv in convs)


def as_input(
    images: torch.Tensor, device: torch.device, precision: str | None = None, memory_format: str = "auto"
) -> torch.Tensor:
    if _channels_last(device, precision, memory_format):
        return images.contiguous(memory_format=torch.channels_last)
    return images
