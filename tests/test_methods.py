"""BYOL, MoCo v2 and the autoencoder: losses against independent formulas, what one step updates, and short
runs that learn."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch
import torch.nn.functional as F

from sweeps.config import RunConfig
from training.augment import AugmentConfig
from training.config import LossConfig, MethodConfig, ModelConfig
from training.data import TrainImages
from training.encoders import build_encoder
from training.methods import method_classes
from training.methods.byol import byol_loss, byol_momentum
from training.methods.moco import moco_loss
from training.optim import OptimConfig
from training.pretrain import pretrain

CPU = torch.device("cpu")


def _settings(method: str, **method_keys) -> RunConfig:
    return RunConfig(
        model=ModelConfig(encoder="convn", head_hidden=32, head_out=16),
        method=MethodConfig(name=method, **method_keys),
        loss=LossConfig(temperature=0.2),
        augment=AugmentConfig(flip=False, color_strength=0.0),
        optim=OptimConfig(epochs=1, batch_size=8, lr=1e-2),
        seed=0,
    )


def _method(name: str, **method_keys):
    torch.manual_seed(0)
    settings = _settings(name, **method_keys)
    method = method_classes()[name](build_encoder("convn", 1, 28), settings, None)
    method.setup(torch.rand(2, 1, 28, 28), 1)
    return method


@pytest.mark.parametrize(("name", "head"), [("simclr", "head"), ("moco", "head"), ("byol", "projector")])
def test_head_bias_false_leaves_no_bias_in_the_projection_head(name, head):
    model = ModelConfig(encoder="convn", head_hidden=32, head_out=16, head_bias=False)
    settings = dataclasses.replace(_settings(name), model=model)
    linears = [
        m for m in getattr(method_classes()[name](build_encoder("convn", 1, 28), settings, None), head).modules()
    ]
    linears = [m for m in linears if isinstance(m, torch.nn.Linear)]
    assert linears and all(m.bias is None for m in linears)


def _one_step(method, views):
    optimizer = torch.optim.SGD([p for p in method.parameters() if p.requires_grad], lr=0.1)
    out = method.step(views, None, torch.Generator())
    optimizer.zero_grad()
    out.loss.backward()
    optimizer.step()
    return out


def test_byol_loss_is_two_minus_two_cosine_brute_force():
    g = torch.Generator().manual_seed(0)
    p, z = torch.randn(5, 7, generator=g), torch.randn(5, 7, generator=g)
    brute = sum(((p[i] / p[i].norm() - z[i] / z[i].norm()) ** 2).sum() for i in range(5)) / 5
    torch.testing.assert_close(byol_loss(p, z), brute)
    assert byol_momentum(0.99, 0.0) == pytest.approx(0.99) and byol_momentum(0.99, 1.0) == pytest.approx(1.0)
    assert byol_momentum(0.99, 0.5) == pytest.approx(0.995)


def test_byol_target_changes_only_by_its_moving_average():
    method = _method("byol", ema=0.9)
    target_before = [p.clone() for p in method.target.parameters()]
    views = [torch.rand(8, 1, 28, 28) for _ in range(2)]
    _one_step(method, views)
    assert all(p.grad is None for p in method.target.parameters())  # no gradient reaches the target
    assert all(torch.equal(a, b) for a, b in zip(target_before, method.target.parameters()))  # not the optimizer
    online = list(method.encoder.parameters()) + list(method.projector.parameters())
    method.after_step(0.0)  # momentum 0.9 at the start of training
    for before, after, o in zip(target_before, method.target.parameters(), online):
        torch.testing.assert_close(after, 0.9 * before + 0.1 * o)


def test_moco_loss_matches_a_brute_force_infonce():
    g = torch.Generator().manual_seed(1)
    q, k, queue = (F.normalize(torch.randn(n, 6, generator=g), dim=1) for n in (4, 4, 10))
    expected = 0.0
    for i in range(4):
        logits = torch.tensor([q[i] @ k[i], *(q[i] @ queue[j] for j in range(10))]) / 0.2
        expected += -logits[0] + torch.logsumexp(logits, 0)
    torch.testing.assert_close(moco_loss(q, k, queue, 0.2), expected / 4)


def test_moco_queue_drops_the_oldest_keys_and_the_key_encoder_gets_no_gradient():
    method = _method("moco", ema=0.5, queue_size=12)
    queue_before = method.queue.clone()
    key_before = [p.clone() for p in method.key_encoder.parameters()]
    views = [torch.rand(8, 1, 28, 28) for _ in range(2)]
    _one_step(method, views)
    assert all(p.grad is None for p in method.key_encoder.parameters())
    keys = method.pending.clone()
    online = list(method.encoder.parameters()) + list(method.head.parameters())
    method.after_step(0.1)
    torch.testing.assert_close(method.queue[:8], keys)  # the oldest 8 slots now hold this batch's keys
    torch.testing.assert_close(method.queue[8:], queue_before[8:])
    assert int(method.queue_next) == 8
    for before, after, o in zip(key_before, method.key_encoder.parameters(), online):
        torch.testing.assert_close(after, 0.5 * before + 0.5 * o)
    method.enqueue(torch.full((8, 16), 0.25))  # wraps around: slots 8..11, then 0..3
    assert (method.queue[8:] == 0.25).all() and (method.queue[:4] == 0.25).all()
    torch.testing.assert_close(method.queue[4:8], keys[4:])
    assert int(method.queue_next) == 4


@pytest.mark.parametrize(("reconstruct", "channels"), [("image", 1), ("all", 3)])
def test_autoencoder_reconstructs_its_target_channels_with_mse(reconstruct, channels):
    torch.manual_seed(0)
    method = method_classes()["autoencoder"](
        build_encoder("convn", 3, 28), _settings("autoencoder", reconstruct=reconstruct), None
    )
    method.setup(torch.rand(2, 3, 28, 28), 1)  # a grey image plus two bit planes
    assert method.decoder[-1].out_features == channels * 28 * 28
    views = [torch.rand(4, 3, 28, 28)]
    out = method.step(views, None, torch.Generator())
    reconstruction = torch.sigmoid(method.decoder(method.encoder(views[0]))).view(4, channels, 28, 28)
    torch.testing.assert_close(out.loss, ((reconstruction - views[0][:, :channels]) ** 2).mean())


def test_the_balanced_autoencoder_weighs_the_image_and_the_bit_planes_equally():
    """Against the formula: (MSE of the grey channel + MSE of the 20 bit planes) / 2, not the MSE of all 21."""
    torch.manual_seed(0)
    method = method_classes()["autoencoder"](
        build_encoder("convn", 21, 28), _settings("autoencoder", reconstruct="balanced"), None
    )
    method.setup(torch.rand(2, 21, 28, 28), 1)  # a grey image plus twenty bit planes
    assert method.decoder[-1].out_features == 21 * 28 * 28
    views = [torch.rand(4, 21, 28, 28)]
    out = method.step(views, None, torch.Generator())
    squared = (torch.sigmoid(method.decoder(method.encoder(views[0]))).view(4, 21, 28, 28) - views[0]) ** 2
    torch.testing.assert_close(out.loss, (squared[:, :1].mean() + squared[:, 1:].mean()) / 2)
    assert not torch.isclose(out.loss, squared.mean())  # the all-channels loss would weigh the image 1/21


@pytest.mark.parametrize(("reconstruct", "bits_matter"), [("image", False), ("all", True), ("balanced", True)])
def test_only_the_targets_with_the_bit_planes_read_them(reconstruct, bits_matter):
    torch.manual_seed(0)
    encoder = build_encoder("convn", 3, 28)
    method = method_classes()["autoencoder"](encoder, _settings("autoencoder", reconstruct=reconstruct), None)
    method.setup(torch.rand(2, 3, 28, 28), 1)
    constant = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 28 * 28, encoder.feature_dim))
    torch.nn.init.zeros_(constant[1].weight)  # the same features, hence the same reconstruction, for any input
    method.eval().encoder = constant
    views = torch.rand(4, 3, 28, 28)
    flipped_bits = torch.cat([views[:, :1], 1 - views[:, 1:]], dim=1)
    losses = [method.step([v], None, torch.Generator()).loss for v in (views, flipped_bits)]
    assert bool(losses[0] != losses[1]) is bits_matter


@pytest.mark.parametrize("name", ["byol", "moco", "autoencoder"])
def test_a_short_run_lowers_the_loss_and_learns_above_chance(name, mnist):
    from training.config import EvalConfig
    from training.evaluate import ProbeSet, evaluate

    train, test = mnist[0], mnist[1]
    data = TrainImages(train.images[:512])
    settings = dataclasses.replace(_settings(name, queue_size=256), optim=OptimConfig(epochs=5, batch_size=64, lr=2e-3))
    result = pretrain(settings, data, None, CPU, progress=False)
    # from the second epoch on: MoCo's first steps score against a queue of random vectors, an easier task
    assert all(math.isfinite(v) for v in result.history) and result.history[-1] < result.history[1]
    probe = ProbeSet(data, TrainImages(test.images[:500]), {"digit": (train.labels[:512], test.labels[:500])})
    accuracy = evaluate(result.encoder, [probe], CPU, EvalConfig(probe_epochs=20), seed=0)["acc_digit"]
    assert accuracy > 0.3  # chance is 0.1


def test_method_keys_are_read_only_by_their_method():
    from sweeps.config import canonical, reads

    byol = canonical(_settings("byol", ema=0.9, queue_size=7))
    assert byol.method.ema == 0.9 and byol.method.queue_size == 4096  # BYOL has no queue
    assert reads(_settings("moco"), "method.queue_size") and not reads(_settings("simclr"), "method.ema")
