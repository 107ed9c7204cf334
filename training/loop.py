"""The one training loop both trainers share: epochs of shuffled mini-batches, progress, NaN guard, checkpoints.

A trainer supplies ``step(index) -> loss`` for a batch of item indices; the loop shuffles (seeded), steps
the optimizer and schedule, shows a tqdm bar with the loss and ETA, stops on a non-finite loss with a clear
error, and optionally saves a checkpoint every k epochs and resumes from it.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from tqdm.auto import tqdm

from training.optim import OptimConfig, make_optimizer, make_scheduler


class NonFiniteLossError(RuntimeError):
    """The training loss became NaN or infinite."""


@dataclass(frozen=True)
class LoopConfig:
    epochs: int = 10
    batch_size: int = 256
    optim: OptimConfig = OptimConfig()
    checkpoint_every: int = 0  # epochs; 0 disables checkpoints
    progress: bool = True


def _save_atomically(state: dict, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def run_training(
    model: nn.Module,
    step: Callable[[torch.Tensor], torch.Tensor],
    n_items: int,
    config: LoopConfig,
    generators: list[torch.Generator],
    description: str = "train",
    checkpoint_path: Path | None = None,
) -> list[float]:
    """Train ``model``'s parameters with ``step``; returns the mean loss of each epoch.

    Batches drop the last incomplete one (contrastive losses need equal-size batches). ``generators[0]``
    (CPU) shuffles; the others are the trainer's (augmentation, loss sampling). All of them are saved in
    checkpoints, so a resumed run continues exactly where it stopped.
    """
    if not 2 <= config.batch_size <= n_items:
        raise ValueError(f"batch_size={config.batch_size} is not allowed; it must be in [2, {n_items}] (dataset size)")
    steps_per_epoch = n_items // config.batch_size
    optimizer = make_optimizer(model.parameters(), config.optim)
    scheduler = make_scheduler(optimizer, config.optim, steps_per_epoch, config.epochs)
    history: list[float] = []
    start_epoch = 0
    if checkpoint_path is not None and checkpoint_path.exists():
        state = torch.load(checkpoint_path, weights_only=False)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        for generator, generator_state in zip(generators, state["generators"], strict=True):
            generator.set_state(generator_state)
        history, start_epoch = state["history"], state["epoch"]
    bar = tqdm(
        total=steps_per_epoch * config.epochs,
        initial=steps_per_epoch * start_epoch,
        desc=description,
        disable=not config.progress,
        leave=False,
        dynamic_ncols=True,
    )
    model.train()
    for epoch in range(start_epoch, config.epochs):
        order = torch.randperm(n_items, generator=generators[0])
        total = 0.0
        for i in range(steps_per_epoch):
            loss = step(order[i * config.batch_size : (i + 1) * config.batch_size])
            value = loss.item()
            if not math.isfinite(value):
                bar.close()
                raise NonFiniteLossError(
                    f"loss became {value} at epoch {epoch + 1}, step {i + 1}; lower the "
                    f"learning rate or raise the temperature"
                )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            total += value
            bar.update()
            bar.set_postfix(epoch=epoch + 1, loss=f"{value:.4f}")
        history.append(total / steps_per_epoch)
        if checkpoint_path is not None and config.checkpoint_every and (epoch + 1) % config.checkpoint_every == 0:
            _save_atomically(
                {
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(),
                    "generators": [g.get_state() for g in generators],
                    "history": history,
                    "epoch": epoch + 1,
                },
                checkpoint_path,
            )
    bar.close()
    model.eval()
    return history
