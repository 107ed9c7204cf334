"""Two CPU processes with the gathered loss reproduce one process on the whole batch (loss and gradients)."""

from __future__ import annotations

import pytest
import torch
import torch.multiprocessing as mp

from losses import build_loss
from tests._distributed_worker import run

WORLD = 2


@pytest.mark.parametrize("name", ["nt_xent", "decoupled_nt_xent", "nt_xent_cross_view", "swd_normal"])
def test_two_process_gather_matches_single_process(name, tmp_path):
    g = torch.Generator().manual_seed(0)
    z1, z2 = torch.randn(8, 6, generator=g), torch.randn(8, 6, generator=g)

    full1, full2 = z1.clone().requires_grad_(), z2.clone().requires_grad_()
    single = build_loss(name, temperature=0.2)(full1, full2, generator=torch.Generator().manual_seed(7))
    single.total.backward()

    mp.spawn(run, args=(WORLD, str(tmp_path), name, z1, z2), nprocs=WORLD, join=True)
    per_rank = [(rank, *torch.load(tmp_path / f"rank{rank}.pt")) for rank in range(WORLD)]

    # The ranks' losses average to the single-process loss; DDP averages gradients over ranks, so each
    # rank's input gradient divided by the world size must equal its slice of the single-process gradient.
    assert sum(r[1] for r in per_rank) / WORLD == pytest.approx(single.total.item(), rel=1e-5)
    n = 8 // WORLD
    for rank, _, grad1, grad2 in per_rank:
        rows = slice(rank * n, (rank + 1) * n)
        torch.testing.assert_close(grad1 / WORLD, full1.grad[rows], rtol=1e-4, atol=1e-6)
        torch.testing.assert_close(grad2 / WORLD, full2.grad[rows], rtol=1e-4, atol=1e-6)
