"""The one training loop every method shares: the loop owns the step, the method supplies the loss.

Per epoch: a seeded shuffle of the items; per batch of item indices: the batch as loaded (``TrainImages.batches``:
floats on the device, a folder's decoded ahead by DataLoader workers, any per-load overlay drawn here),
``method.n_views`` augmented views
(extra channels such as RandBit planes appended after augmentation), the method's loss under autocast,
the online probe's cross-entropy on the detached features (when asked for), the optimizer and schedule
steps, then ``method.after_step``. The loss stays on the device: it is summed there (float64, so the epoch mean
is the one a per-step read would give) and read, averaged over ranks and checked for NaN every ``READ_EVERY``
steps and at the end of each epoch, so a step never waits for the host. A checkpoint (method, online probe,
optimizer, schedule, every random generator) is written atomically after each epoch when a path is given, and a
run started again with the same path resumes from it exactly.

Under torchrun every rank draws the same global batch and trains on its own rows, DDP averaging the
gradients (``training/distributed.py``); a streamed folder is decoded only for the rank's own rows, augmented
with a generator of the rank's own. Only rank 0 writes the checkpoint.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from losses.distributed import world_size
from training.atomic import save_torch
from training.augment import AugmentConfig, augment
from training.config import MethodConfig
from training.data import TrainImages
from training.device import as_input, autocast, device_generator, prepare
from training.distributed import batch_problem, distribute, gather_states, is_main, local_rows, mean_over_ranks, rank
from training.initialization import glorot_
from training.levers import AUTO, resolve_levers
from training.methods.base import Method
from training.optim import OptimConfig, make_optimizer, make_scheduler, parameter_groups

READ_EVERY = 50  # steps between reads of the loss (progress bar, NaN guard, the mean over ranks)


class NonFiniteLossError(RuntimeError):
    """The training loss became NaN or infinite."""


@dataclass
class Trained:
    history: list[float]  # mean loss of each epoch
    online: nn.Linear | None  # the online probe, when one was trained


class _Learner(nn.Module):
    """Everything the optimizer updates and a checkpoint holds; its forward is one step's loss (the method's
    plus the online probe's cross-entropy on the detached features), so DDP can wrap it."""

    def __init__(self, method: Method, online: nn.Linear | None, online_views: str = "all") -> None:
        super().__init__()
        self.method, self.online, self.online_views = method, online, online_views

    def forward(
        self,
        views: list[torch.Tensor],
        targets: torch.Tensor | None,
        generator: torch.Generator,
        online_labels: torch.Tensor | None,
        precision: str,
    ) -> torch.Tensor:
        with autocast(views[0].device, precision):
            out = self.method.step(views, targets, generator)
        if self.online is None:
            return out.loss
        features = out.features[:1] if self.online_views == "first" else out.features
        logits = self.online(torch.cat(features).detach().float())
        return out.loss + F.cross_entropy(logits, online_labels.repeat(len(features)))


def train(
    method: Method,
    data: TrainImages,
    *,
    targets: torch.Tensor | None,
    augment_config: AugmentConfig,
    optim: OptimConfig,
    online_config: MethodConfig,
    seed: int,
    device: torch.device,
    online_labels: torch.Tensor | None = None,
    progress: bool = True,
    checkpoint: Path | None = None,
) -> Trained:
    """Train ``method`` (in place) on ``data``; ``targets`` rows go to the method, ``online_labels`` (N,)
    to a jointly trained linear classifier on the detached features (of every view, or of the ``first``:
    ``online_config.online_views``), initialized as PyTorch's ``nn.Linear`` (``online_init=torch``) or
    Glorot-uniform with a zero bias. Batches drop the last incomplete one."""
    online_views, online_init = online_config.online_views, online_config.online_init
    if AUTO in (optim.precision, optim.compile):  # a sweep resolves them before it plans; a direct call, here
        precision, compiled, _ = resolve_levers(optim.precision, optim.compile, device.type)
        optim = dataclasses.replace(optim, precision=precision, compile=compiled)
    n_items = len(data)
    if not 2 <= optim.batch_size <= n_items:
        raise ValueError(f"optim.batch_size={optim.batch_size} must be in [2, {n_items}] (the training set size)")
    if problem := batch_problem(optim.batch_size, world_size()):
        raise ValueError(problem)
    method.setup(data.first(2), data.images.shape[1])
    online = None if online_labels is None else nn.Linear(method.encoder.feature_dim, int(online_labels.max()) + 1)
    if online is not None and online_init == "glorot":
        glorot_(online)
    learner = prepare(_Learner(method, online, online_views), device, optim.precision, optim.memory_format)
    step = distribute(learner, device)
    step = torch.compile(step) if optim.compile else step
    to_input = functools.partial(as_input, device=device, precision=optim.precision, memory_format=optim.memory_format)
    mine = local_rows(optim.batch_size)
    data = data.to(device)
    targets = None if targets is None else targets.to(device)
    online_labels = None if online_labels is None else online_labels.to(device)
    shuffle, random = torch.Generator().manual_seed(seed), device_generator(seed, device)
    # A streamed folder gives each rank its own rows: their overlays and crops come from the rank's own generator.
    sharded = data.streamed and world_size() > 1
    local = device_generator(seed + 7919 * rank(), device) if sharded else random
    kept = slice(None) if sharded else mine  # the rows of a loaded batch this rank trains on
    steps_per_epoch = n_items // optim.batch_size
    total_steps = steps_per_epoch * optim.epochs
    optimizer = make_optimizer(parameter_groups(learner, optim, exempt=online), optim)
    scheduler = make_scheduler(optimizer, optim, steps_per_epoch, optim.epochs)
    history: list[float] = []
    if checkpoint is not None and checkpoint.exists():
        state = torch.load(checkpoint, map_location=device, weights_only=False)
        learner.load_state_dict(state["learner"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        shuffle.set_state(state["shuffle"])
        random.set_state(state["random"].cpu())
        if sharded:
            local.set_state(state["local"][rank()].cpu())
        history = state["history"]
    bar = tqdm(
        total=total_steps,
        initial=steps_per_epoch * len(history),
        desc=method.name,
        disable=None if progress else True,  # None: tqdm stays silent when stderr is not a terminal
        leave=False,
        dynamic_ncols=True,
    )
    learner.train()
    for epoch in range(len(history), optim.epochs):
        order = torch.randperm(n_items, generator=shuffle) if optim.shuffle else torch.arange(n_items)
        batches = [order[i * optim.batch_size : (i + 1) * optim.batch_size] for i in range(steps_per_epoch)]
        if sharded:
            batches = [index[mine] for index in batches]
        total = torch.zeros((), dtype=torch.float64, device=device)
        unread = torch.zeros((), dtype=torch.float64, device=device)
        for i, images in enumerate(data.batches(batches, local)):  # the global batch (streamed: this rank's rows)
            index = batches[i][kept].to(device)
            views = [
                to_input(data.finish(augment(images, augment_config, local)[kept], index))
                for _ in range(method.n_views)
            ]
            batch_targets, batch_labels = (None if rows is None else rows[index] for rows in (targets, online_labels))
            loss = step(views, batch_targets, random, batch_labels, optim.precision)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            method.after_step((epoch * steps_per_epoch + i + 1) / total_steps)
            total += loss.detach().double()  # step by step, in the order a per-step read would add them
            unread += loss.detach().double()
            if (i + 1) % READ_EVERY == 0 or i + 1 == steps_per_epoch:
                first = i // READ_EVERY * READ_EVERY + 1  # the first step of this read's span
                value = _read(unread, epoch, first, i + 1, bar) / (i + 2 - first)
                unread.zero_()
                bar.set_postfix(epoch=epoch + 1, loss=f"{value:.4f}")
            bar.update()
        history.append(mean_over_ranks(total).item() / steps_per_epoch)
        if checkpoint is not None:
            local_states = gather_states(local.get_state()) if sharded else None
            if is_main():
                state = {"learner": learner.state_dict(), "optimizer": optimizer.state_dict()}
                state.update(scheduler=scheduler.state_dict(), shuffle=shuffle.get_state(), random=random.get_state())
                if sharded:
                    state["local"] = local_states
                save_torch({**state, "history": history}, checkpoint)
    bar.close()
    learner.eval()
    return Trained(history, online)


def _read(unread: torch.Tensor, epoch: int, first: int, last: int, bar: tqdm) -> float:
    """The summed loss of steps ``first``..``last``, averaged over ranks and read on the host (one sync);
    a NaN or infinite sum stops the run."""
    value = mean_over_ranks(unread).item()
    if not math.isfinite(value):
        bar.close()
        raise NonFiniteLossError(
            f"loss became {value} at epoch {epoch + 1}, within steps {first}-{last}; lower optim.lr or raise "
            "loss.temperature"
        )
    return value
