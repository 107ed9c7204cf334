"""MoCo v2 (Chen et al. 2020): a query encoder + MLP head against a momentum key encoder and a queue of
negatives.

q = normalize(g(f(v1))), k = normalize(key(v2)) (no gradient); with the queue Q (K, d) of earlier keys,
loss = mean_b CE([q.k, q.Q^T] / tau, 0) (InfoNCE, temperature ``loss.temperature``). After each step the
key encoder moves with constant momentum ``method.ema`` and the batch's keys replace the oldest in the
queue (a ring buffer). The queue starts as random unit vectors, as in MoCo. Under torchrun the keys of every
rank are enqueued in rank order, and BN is global (``training/distributed.py``) instead of MoCo's shuffled BN.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from losses.distributed import gather_rows
from training.config import TrainingSettings
from training.heads import projection_head
from training.methods.base import Method, StepOutput, register
from training.methods.momentum import ema_update, frozen_copy


def moco_loss(queries: torch.Tensor, keys: torch.Tensor, queue: torch.Tensor, temperature: float) -> torch.Tensor:
    """queries, keys (B, d) and queue (K, d), all unit vectors -> InfoNCE with the positive at index 0."""
    queries, keys, queue = queries.float(), keys.float(), queue.float()
    positive = (queries * keys).sum(dim=-1, keepdim=True)
    logits = torch.cat([positive, queries @ queue.T], dim=1) / temperature
    return F.cross_entropy(logits, torch.zeros(len(queries), dtype=torch.long, device=queries.device))


@register
class MoCo(Method):
    name = "moco"

    def __init__(self, encoder: nn.Module, settings: TrainingSettings, targets: torch.Tensor | None) -> None:
        super().__init__(encoder, settings, targets)
        model = settings.model
        self.head = projection_head(
            encoder.feature_dim, model.head_depth, model.head_hidden, model.head_out, model.head_bias
        )
        self.key_encoder = frozen_copy(nn.Sequential(encoder, self.head))
        self.momentum, self.temperature = settings.method.ema, settings.loss.temperature
        generator = torch.Generator().manual_seed(settings.seed)
        queue = F.normalize(torch.randn(settings.method.queue_size, model.head_out, generator=generator), dim=1)
        self.register_buffer("queue", queue)
        self.register_buffer("queue_next", torch.zeros((), dtype=torch.long))  # the oldest slot
        self.pending: torch.Tensor | None = None

    def step(self, views: list[torch.Tensor], targets: torch.Tensor | None, generator: torch.Generator) -> StepOutput:
        features = self.encoder(views[0])
        queries = F.normalize(self.head(features).float(), dim=1)
        with torch.no_grad():
            keys = F.normalize(self.key_encoder(views[1]).float(), dim=1)
        self.pending = keys
        return StepOutput(moco_loss(queries, keys, self.queue, self.temperature), [features])  # queue: see after_step

    @torch.no_grad()
    def enqueue(self, keys: torch.Tensor) -> None:
        """Write ``keys`` over the oldest entries of the queue, wrapping around."""
        slots = (self.queue_next + torch.arange(len(keys), device=keys.device)) % len(self.queue)
        self.queue[slots] = keys.to(self.queue.dtype)
        self.queue_next.copy_((self.queue_next + len(keys)) % len(self.queue))

    def setup(self, example: torch.Tensor, image_channels: int) -> None:
        """Start the target as a copy of the online network, also after ``model.init`` re-initialized it."""
        ema_update(self.key_encoder, nn.Sequential(self.encoder, self.head), 0.0)

    def after_step(self, progress: float) -> None:
        ema_update(self.key_encoder, nn.Sequential(self.encoder, self.head), self.momentum)
        if self.pending is not None:
            self.enqueue(gather_rows(self.pending)[0])  # torchrun: every rank enqueues all ranks' keys
            self.pending = None
