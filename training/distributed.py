"""One run on several processes (torchrun): what the training loop needs to make W processes train exactly
the run one process would.

* Data: every rank draws the same global batch of ``optim.batch_size`` items from the same seeded order and
  the same augmentation generator, then keeps its own contiguous slice of B / W rows (``local_rows``). So
  the data a W-process run sees is, row for row, the data of a one-process run; augmenting the whole batch
  on every rank costs W x the (vectorized, cheap) augmentation and nothing else.
* Loss: contrastive losses gather both views across ranks with gradients (``losses/distributed.py``), so
  every anchor is scored against all 2B rows; gradients are averaged by DDP.
* BatchNorm: ``GlobalBatchNorm`` normalizes with the statistics of the global batch (the paper's global BN,
  which SimCLR needs so that BN cannot leak which views belong together). torch's ``nn.SyncBatchNorm``
  refuses CPU tensors, so the suite uses this one module on every device, and the 2-process CPU test covers it.
* Only rank 0 writes records and checkpoints (``is_main``); the other ranks follow rank 0's decisions.

With one process every function here is a no-op, so single-process runs are untouched.
"""

from __future__ import annotations

import os

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from losses.distributed import gather_rows, world_size

TORCHRUN_VARIABLES = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")


def rank() -> int:
    return dist.get_rank() if world_size() > 1 else 0


def is_main() -> bool:
    """Whether this process writes files: rank 0, or the only process."""
    return rank() == 0


def launched_by_torchrun() -> bool:
    """Whether torchrun (or another launcher that sets its variables) started this process."""
    return all(name in os.environ for name in TORCHRUN_VARIABLES)


def init_from_environment(device_type: str) -> torch.device | None:
    """Join the process group torchrun describes (NCCL on CUDA, gloo on CPU); returns this rank's device
    (``cuda:<LOCAL_RANK>`` on CUDA) or None when the group has one process and nothing was initialized."""
    if int(os.environ["WORLD_SIZE"]) == 1:
        return None
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device_type == "cuda" else "gloo")
    if device_type == "cuda":
        torch.cuda.set_device(int(os.environ["LOCAL_RANK"]))
        return torch.device("cuda", int(os.environ["LOCAL_RANK"]))
    return torch.device("cpu")


def batch_problem(batch_size: int, processes: int) -> str | None:
    """Why ``optim.batch_size`` cannot be split over ``processes`` ranks (None when it can)."""
    if processes > 1 and (batch_size % processes or batch_size // processes < 2):
        nearest = max(2 * processes, -(-batch_size // processes) * processes)
        return (
            f"optim.batch_size={batch_size} cannot be split over {processes} processes; it must be a multiple "
            f"of the process count with at least 2 samples per process (e.g. {nearest})"
        )
    return None


def local_rows(batch: int) -> slice:
    """This rank's contiguous rows of a global batch of ``batch`` rows."""
    size = batch // world_size()
    return slice(rank() * size, (rank() + 1) * size)


def mean_over_ranks(value: torch.Tensor) -> torch.Tensor:
    """The mean of ``value`` over all ranks, reduced where it lives (the training device: NCCL takes CUDA
    tensors only); each rank's value is the mean over its own rows."""
    if world_size() == 1:
        return value
    total = value.clone()
    dist.all_reduce(total)
    return total / world_size()


def gather_states(state: torch.Tensor) -> list[torch.Tensor]:
    """Every rank's generator state (a CPU byte tensor), in rank order, on every rank (for a checkpoint)."""
    if world_size() == 1:
        return [state]
    states: list = [None] * world_size()
    dist.all_gather_object(states, state)
    return states


def agree(flag: bool) -> bool:
    """Rank 0's ``flag`` on every rank (which runs to train is decided by rank 0 alone)."""
    if world_size() == 1:
        return flag
    box = [flag]
    dist.broadcast_object_list(box, src=0)
    return bool(box[0])


class GlobalBatchNorm(nn.Module):
    """BatchNorm over the global batch of all ranks: per channel c, every rank's count n_r, mean m_r and sum of
    squared deviations M_r (one differentiable all-gather) combine into n = sum n_r, mean_c = sum n_r m_r / n,
    var_c = sum (M_r + n_r (m_r - mean_c)^2) / n (stable, as ``nn.SyncBatchNorm`` does), then
    y = (x - mean_c) / sqrt(var_c + eps) * weight_c + bias_c. Running statistics as in ``nn.BatchNorm``
    (unbiased variance); in eval mode it is a plain BatchNorm. Input (B, C) or (B, C, ...); stats in fp32.
    The state dict has BatchNorm's keys, so checkpoints load into either."""

    def __init__(self, batchnorm: _BatchNorm) -> None:
        super().__init__()
        self.eps, self.momentum, self.affine = batchnorm.eps, batchnorm.momentum, batchnorm.affine
        self.weight, self.bias = batchnorm.weight, batchnorm.bias
        for name in ("running_mean", "running_var", "num_batches_tracked"):
            self.register_buffer(name, getattr(batchnorm, name))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or world_size() == 1:
            use_batch = self.training or self.running_mean is None
            return F.batch_norm(
                x, self.running_mean, self.running_var, self.weight, self.bias, use_batch, self.momentum or 0.0,
                self.eps,
            )  # fmt: skip
        channels, dims = x.shape[1], [0, *range(2, x.dim())]
        values = x.float()
        local_mean = values.mean(dims)
        local_m2 = (values - local_mean.view(shape := (1, channels) + (1,) * (x.dim() - 2))).square().sum(dims)
        local = torch.cat([local_mean, local_m2, values.new_tensor([x.numel() / channels])])
        stats, _ = gather_rows(local[None])  # (W, 2C + 1): each rank's mean, sum of squared deviations, count
        means, m2s, counts = stats[:, :channels], stats[:, channels:-1], stats[:, -1:]
        count = counts.sum()
        mean = (counts * means).sum(0) / count
        var = (m2s + counts * (means - mean).square()).sum(0) / count  # Chan et al.'s parallel variance
        if self.running_mean is not None:
            self._track(mean.detach(), var.detach() * count / (count - 1))
        y = (values - mean.view(shape)) * torch.rsqrt(var.view(shape) + self.eps)
        if self.affine:
            y = y * self.weight.view(shape) + self.bias.view(shape)
        return y.to(x.dtype)

    @torch.no_grad()
    def _track(self, mean: torch.Tensor, unbiased_var: torch.Tensor) -> None:
        self.num_batches_tracked += 1
        factor = self.momentum if self.momentum is not None else 1.0 / float(self.num_batches_tracked)
        self.running_mean.lerp_(mean.to(self.running_mean.dtype), factor)
        self.running_var.lerp_(unbiased_var.to(self.running_var.dtype), factor)


def global_batchnorm(module: nn.Module) -> nn.Module:
    """``module`` with every BatchNorm layer replaced by a ``GlobalBatchNorm`` sharing its parameters."""
    for name, child in module.named_children():
        if isinstance(child, _BatchNorm):
            setattr(module, name, GlobalBatchNorm(child))
        else:
            global_batchnorm(child)
    return module


def distribute(module: nn.Module, device: torch.device) -> nn.Module:
    """With several ranks: global BatchNorm, then DDP (gradients averaged over ranks; buffers are not
    broadcast, since global BN and gathered queues keep them equal). With one: ``module`` itself."""
    if world_size() == 1:
        return module
    from torch.nn.parallel import DistributedDataParallel

    ids = [device.index] if device.type == "cuda" else None
    group = dist.new_group()  # DDP's own: its gradient all-reduces must not interleave with the loss's gathers
    return DistributedDataParallel(
        global_batchnorm(module), device_ids=ids, broadcast_buffers=False, process_group=group
    )
