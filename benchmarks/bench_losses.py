"""Forward + backward time of every loss preset (n in {256, 1024}, d = 128), and our SWD against POT's.

python benchmarks/bench_losses.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import ot
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from losses import LOSS_NAMES, build_loss, random_orthogonal, sliced_wasserstein  # noqa: E402


def timed(fn, repeats: int = 20) -> float:
    fn()
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats * 1e3


def main() -> None:
    d = 128
    print(f"{'loss':22s} {'n':>5s} {'fwd+bwd ms':>11s}")
    for n in (256, 1024):
        g = torch.Generator().manual_seed(0)
        z1 = torch.randn(n, d, generator=g, requires_grad=True)
        z2 = torch.randn(n, d, generator=g, requires_grad=True)
        for name in LOSS_NAMES:
            loss = build_loss(name, temperature=0.1)
            step = lambda loss=loss, z1=z1, z2=z2, g=g: loss(z1, z2, generator=g).total.backward()  # noqa: E731
            print(f"{name:22s} {n:5d} {timed(step):11.2f}")
    print("\nSWD value only (2n x d stacked outputs vs prior sample, same d x d orthogonal projection)")
    for n in (256, 1024):
        g = torch.Generator().manual_seed(1)
        x, y = torch.randn(2 * n, d, generator=g), torch.randn(2 * n, d, generator=g)
        w = random_orthogonal(d, generator=g)
        xn, yn, wn = x.numpy().astype(np.float64), y.numpy().astype(np.float64), w.numpy().astype(np.float64)
        ours = timed(lambda x=x, y=y, w=w: sliced_wasserstein(x, y, w))
        pot = timed(lambda xn=xn, yn=yn, wn=wn: ot.sliced_wasserstein_distance(xn, yn, projections=wn, p=2))
        print(f"n={n:5d}: ours {ours:7.2f} ms, POT {pot:7.2f} ms, POT / ours = {pot / ours:5.1f}x")


if __name__ == "__main__":
    main()
