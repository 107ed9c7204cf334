"""Gathering both views across processes with gradients, for large-batch contrastive losses under DDP.

Each rank holds its own n rows; ``gather_rows`` returns all ranks' rows (W * n, d) in rank order and the
offset of this rank's rows in it. ``torch.distributed.nn.functional.all_gather`` keeps the autograd graph:
its backward sums, into each rank's rows, the gradients of every rank's loss. A rank's loss that averages
over its own anchors (scored against all columns) therefore gives, after DDP's gradient averaging, exactly
the gradient of the single-process loss on the whole batch.
"""

from __future__ import annotations

import torch
import torch.distributed as dist


def world_size() -> int:
    """Number of processes in the default group (1 when torch.distributed is not initialized)."""
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def gather_rows(rows: torch.Tensor) -> tuple[torch.Tensor, int]:
    """(n, d) local rows -> ((W * n, d) rows of all ranks with gradients, offset of the local rows).

    Every rank must hold the same number of rows.
    """
    if world_size() == 1:
        return rows, 0
    from torch.distributed.nn.functional import all_gather

    return torch.cat(all_gather(rows.contiguous())), dist.get_rank() * rows.shape[0]
