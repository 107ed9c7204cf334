"""Forward + backward time of every loss preset and its ratio to NT-Xent: the loss alone at the quick size
(n = 256, d = 64) and the paper's (n = 512 CIFAR-10 and 4096 ImageNet, d = 128); one whole SimCLR training
step with each loss at the quick size (ConvN, MNIST, batch 256); and our SWD against POT's.

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


def loss_only() -> None:
    print(f"{'loss':22s} {'n':>5s} {'d':>4s} {'fwd+bwd ms':>11s} {'/ NT-Xent':>9s}")
    for n, d in ((256, 64), (512, 128), (4096, 128)):
        g = torch.Generator().manual_seed(0)
        z1 = torch.randn(n, d, generator=g, requires_grad=True)
        z2 = torch.randn(n, d, generator=g, requires_grad=True)
        reference = None
        for name in LOSS_NAMES:
            loss = build_loss(name, temperature=0.1)
            step = lambda loss=loss, z1=z1, z2=z2, g=g: loss(z1, z2, generator=g).total.backward()  # noqa: E731
            ms = timed(step, repeats=5 if n > 1024 else 20)
            reference = reference or ms
            print(f"{name:22s} {n:5d} {d:4d} {ms:11.2f} {ms / reference:8.2f}x")


def training_step() -> None:
    """One optimizer step of SimCLR (ConvN, head 256-64, 28 px, batch 256) with each loss."""
    from experiments.generalized_losses import QUICK_PHOTO_DIGITS, TUNED, GeneralizedLossesRun
    from sweeps.config import compose
    from training.augment import augment
    from training.encoders import build_encoder
    from training.methods import method_classes
    from training.optim import make_optimizer

    print(f"\n{'quick training step':22s} {'ms':>8s} {'/ NT-Xent':>9s}")
    images = torch.rand(256, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    reference = None
    for variant in TUNED:
        config = compose(GeneralizedLossesRun, {**QUICK_PHOTO_DIGITS, **variant, "model.head_depth": 3})
        torch.manual_seed(0)
        method = method_classes()["simclr"](build_encoder("convn", 1, 28), config, None)
        optimizer = make_optimizer(method.parameters(), config.optim)
        g = torch.Generator().manual_seed(0)

        def step(method=method, optimizer=optimizer, config=config, g=g) -> None:
            views = [augment(images, config.augment, g) for _ in range(2)]
            loss = method.step(views, None, g).loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

        ms = timed(step, repeats=10)
        reference = reference or ms
        print(f"{variant['loss.name']:22s} {ms:8.1f} {ms / reference:8.2f}x")


def main() -> None:
    loss_only()
    training_step()
    d = 128
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
