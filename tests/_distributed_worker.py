"""Worker for the 2-process gloo test: each rank computes a gathered loss on its half of the batch."""

from __future__ import annotations

import os
from collections.abc import Callable

import torch
import torch.distributed as dist

from losses import build_loss


def _in_gloo_group(rank: int, world: int, folder: str, work: Callable[[], None]) -> None:
    """Runs ``work`` on this rank of a gloo group, waits for every rank, tears the group down, then ends the
    process at once. After a clean ``destroy_process_group`` the interpreter's own teardown still aborts in
    about 2% of spawns here ("terminate called without an active exception": 4 of 200, torch 2.14.1), after
    the results are written; ``os._exit`` skips that teardown. An exception in ``work`` still fails the test."""
    dist.init_process_group("gloo", init_method=f"file://{folder}/init", rank=rank, world_size=world)
    try:
        work()
        dist.barrier()  # every rank finished its collectives before any tears the group down
    finally:
        dist.destroy_process_group()
    os._exit(0)


def run(rank: int, world: int, folder: str, name: str, z1: torch.Tensor, z2: torch.Tensor) -> None:
    """Writes (loss, grad of view 1 rows, grad of view 2 rows) of this rank to ``folder/rank<r>.pt``."""

    def gathered_loss() -> None:
        n = z1.shape[0] // world
        local1 = z1[rank * n : (rank + 1) * n].clone().requires_grad_()
        local2 = z2[rank * n : (rank + 1) * n].clone().requires_grad_()
        loss = build_loss(name, temperature=0.2, gather=True)
        terms = loss(local1, local2, generator=torch.Generator().manual_seed(7))
        terms.total.backward()
        torch.save((terms.total.item(), local1.grad, local2.grad), f"{folder}/rank{rank}.pt")

    _in_gloo_group(rank, world, folder, gathered_loss)


def train_steps(rank: int, world: int, folder: str, loss_name: str, control: str | None, method: str) -> None:
    """Trains the toy run of ``tests/test_distributed_training.py`` on this rank; rank 0 writes its loss history
    and final weights to ``folder/trained.pt``. ``control`` turns one piece of the distributed path off
    (``gather``, ``sharding`` or ``batchnorm``) to show the test notices."""
    from tests.test_distributed_training import toy_run

    def train() -> None:
        if control == "gather":
            import training.methods.simclr

            training.methods.simclr.world_size = lambda: 1
        elif control == "sharding":
            import training.loop

            training.loop.local_rows = lambda batch: slice(None)
        elif control == "batchnorm":
            import training.distributed

            training.distributed.global_batchnorm = lambda module: module
        history, weights = toy_run(loss_name, method)
        if rank == 0:
            torch.save((history, weights), f"{folder}/trained.pt")

    _in_gloo_group(rank, world, folder, train)


def record_collectives(rank: int, world: int, folder: str) -> None:
    """Trains ``collective_run`` with every collective the loop and the loss call (``all_reduce``, ``all_gather``,
    ``broadcast``, ``all_gather_object``) recorded: rank 0 writes (name, device, dtype) of each call and the device
    of the loss to ``folder/collectives.pt``."""
    from tests.test_distributed_training import collective_run

    calls: list[tuple[str, str, str]] = []

    def recorded(name: str, collective: Callable) -> Callable:
        def call(*args, **kwargs):
            tensors = [a for a in args if isinstance(a, torch.Tensor)] + [
                t for a in args if isinstance(a, list) for t in a if isinstance(t, torch.Tensor)
            ]
            calls.extend((name, str(t.device), str(t.dtype)) for t in tensors[:1])
            return collective(*args, **kwargs)

        return call

    def train() -> None:
        for name in ("all_reduce", "all_gather", "broadcast"):
            setattr(dist, name, recorded(name, getattr(dist, name)))
        loss_device = collective_run()
        if rank == 0:
            torch.save((calls, loss_device), f"{folder}/collectives.pt")

    _in_gloo_group(rank, world, folder, train)
