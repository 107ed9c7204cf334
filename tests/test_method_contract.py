"""The contract every registered method keeps with the loop, checked for each entry of the registry: a new
method gets these tests without writing any."""

from __future__ import annotations

import math

import pytest
import torch

from sweeps.config import RunConfig, flat_values
from training.augment import AugmentConfig, augment
from training.config import MethodConfig, ModelConfig
from training.encoders import build_encoder
from training.method_keys import METHOD_USES
from training.methods import method_classes
from training.optim import OptimConfig

BATCH, CHANNELS = 8, 2  # one image channel and one added plane (as RandBit appends)


def _method(name: str):
    torch.manual_seed(0)
    settings = RunConfig(
        model=ModelConfig(encoder="convn", head_hidden=32, head_out=16),
        method=MethodConfig(name=name, queue_size=16),
        augment=AugmentConfig(color_strength=0.0),
        optim=OptimConfig(batch_size=BATCH),
    )
    targets = torch.randint(0, 2, (BATCH, 10)).float()
    method = method_classes()[name](build_encoder("convn", CHANNELS, 28), settings, targets)
    method.setup(torch.rand(2, CHANNELS, 28, 28), 1)
    return method, settings, targets


@pytest.mark.parametrize("name", sorted(METHOD_USES))
def test_a_method_steps_with_a_finite_loss_that_reaches_the_encoder(name):
    method, settings, targets = _method(name)
    if method.n_views == 0:  # nothing to train: it hands the probes an untrained encoder (or the pixels)
        features = method.untrained(method.encoder)(torch.rand(BATCH, CHANNELS, 28, 28))
        assert features.shape[0] == BATCH and torch.isfinite(features).all()
        return
    generator = torch.Generator().manual_seed(0)
    images = torch.rand(BATCH, CHANNELS, 28, 28)
    views = [augment(images, settings.augment, generator) for _ in range(method.n_views)]
    out = method.step(views, targets, generator)
    assert out.loss.dim() == 0 and math.isfinite(out.loss.item())
    assert len(out.features) >= 1 and all(f.shape[0] == BATCH for f in out.features)
    out.loss.backward()
    grads = [p.grad for p in method.encoder.parameters() if p.requires_grad]
    assert any(g is not None and g.abs().sum() > 0 for g in grads)  # the loss trains the encoder


@pytest.mark.parametrize("name", sorted(METHOD_USES))
def test_after_step_accepts_every_point_of_training_and_uses_names_real_keys(name):
    method, settings, _ = _method(name)
    for progress in (0.0, 0.5, 1.0):
        method.after_step(progress)
    keys = set(flat_values(settings))
    for prefix in METHOD_USES[name]:
        assert any(key == prefix or key.startswith(prefix + ".") for key in keys), f"{name} uses unknown {prefix}"
