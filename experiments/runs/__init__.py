"""What one run of each experiment does (load its data, train, probe), apart from the declarations in
``experiments/<name>.py``: these modules import torch, and are loaded only when a run starts."""

from __future__ import annotations

import torch

from sweeps.spec import RunContext
from training.config import TrainingSettings
from training.data import TrainImages
from training.pretrain import Pretrained, pretrain


def pretrain_in(
    context: RunContext,
    config: TrainingSettings,
    data: TrainImages,
    targets: torch.Tensor | None,
    online_labels: torch.Tensor | None = None,
) -> Pretrained:
    """``training.pretrain`` on the run's device, with its progress setting and its checkpoint."""
    return pretrain(
        config,
        data,
        targets,
        context.device,
        online_labels=online_labels,
        progress=context.progress,
        checkpoint=context.checkpoint,
    )
