"""Trainer parts: encoders, heads, batched augmentation, the loop (NaN guard, resume), trainers, linear eval."""

from __future__ import annotations

import pytest
import torch
import torchvision

from training.augment import AugmentConfig, augment, color_distort, gaussian_blur
from training.data import TrainImages
from training.encoders import ConvN, build_encoder
from training.heads import projection_head
from training.linear_eval import linear_probe
from training.loop import LoopConfig, NonFiniteLossError, run_training
from training.optim import LARS, OptimConfig, lr_factor
from training.simclr import SimCLRConfig, train_simclr
from training.supervised import SupervisedConfig, train_supervised


def test_resnet18_at_width_64_has_torchvision_resnet18_parameters():
    ours = build_encoder("resnet18", 3, 224, width=64, stem="imagenet")
    reference = torchvision.models.resnet18()
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(ours) == count(reference) - count(reference.fc)
    assert ours(torch.rand(2, 3, 64, 64)).shape == (2, 512)


@pytest.mark.parametrize(
    ("name", "channels", "size", "dim"), [("resnet18", 21, 32, 128), ("resnet50", 4, 32, 512), ("convn", 11, 28, 128)]
)
def test_encoders_take_any_channel_count(name, channels, size, dim):
    encoder = build_encoder(name, channels, size, width=16, stem="small")
    assert encoder(torch.rand(3, channels, size, size)).shape == (3, dim) == (3, encoder.feature_dim)


def test_resnet_stages_expose_the_block_group_maps():
    maps = build_encoder("resnet18", 3, 32, width=8, stem="small").stages(torch.rand(1, 3, 32, 32))
    assert [m.shape[1:] for m in maps] == [(8, 32, 32), (16, 16, 16), (32, 8, 8), (64, 4, 4)]


def test_convn_rejects_images_too_small():
    with pytest.raises(ValueError, match="too small"):
        ConvN(1, 6)


@pytest.mark.parametrize("depth", [0, 1, 2, 3, 4])
def test_projection_head_depths(depth):
    head = projection_head(32, depth, 16, 8)
    assert head(torch.rand(4, 32)).shape == (4, 32 if depth == 0 else 8)
    assert sum(isinstance(m, torch.nn.Linear) for m in head.modules()) == depth


def test_augmentation_is_per_sample_deterministic_and_in_range():
    image = torch.rand(1, 3, 32, 32).expand(8, -1, -1, -1).contiguous()
    config = AugmentConfig(blur=True)
    views = augment(image, config, torch.Generator().manual_seed(0))
    assert views.shape == image.shape and views.min() >= 0 and views.max() <= 1
    assert len({v.sum().item() for v in views}) == 8  # the same image got 8 different random views
    assert torch.equal(views, augment(image, config, torch.Generator().manual_seed(0)))


def test_color_distortion_strength_zero_and_grayscale():
    images = torch.rand(16, 3, 8, 8)
    same = color_distort(images, 0.0, gray_prob=0.0, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(same, images, atol=1e-5)
    gray = color_distort(images, 0.0, gray_prob=1.0)
    assert torch.allclose(gray[:, 0], gray[:, 1]) and torch.allclose(gray[:, 1], gray[:, 2])


def test_blur_preserves_constant_images():
    images = torch.full((4, 3, 32, 32), 0.3)
    assert torch.allclose(gaussian_blur(images, prob=1.0), images, atol=1e-5)


def test_lr_schedules_and_lars_step():
    assert lr_factor(0, 100, 10, "cosine") == pytest.approx(0.1)
    assert lr_factor(10, 100, 10, "cosine") == pytest.approx(1.0)
    assert lr_factor(99, 100, 0, "linear") == pytest.approx(0.01)
    weight = torch.nn.Parameter(torch.ones(3, 3))
    weight.grad = torch.ones(3, 3)
    LARS([weight], lr=1.0, eta=0.1).step()
    assert torch.allclose(weight, torch.full((3, 3), 0.9))  # trust ratio eta * ||w|| / ||g|| = 0.1


def test_loop_stops_on_non_finite_loss():
    model = torch.nn.Linear(2, 1)
    step = lambda index: model(torch.rand(len(index), 2)).sum() * float("nan")  # noqa: E731
    with pytest.raises(NonFiniteLossError, match="loss became nan at epoch 1, step 1"):
        run_training(model, step, 8, LoopConfig(epochs=1, batch_size=4, progress=False), [torch.Generator()])


def _tiny_simclr(tmp_path=None, epochs=2, checkpoint_every=0):
    torch.manual_seed(0)
    data = TrainImages(torch.rand(64, 1, 16, 16))
    config = SimCLRConfig(
        head_hidden=16,
        head_out=8,
        augment=AugmentConfig(flip=False),
        loop=LoopConfig(epochs=epochs, batch_size=16, checkpoint_every=checkpoint_every, progress=False),
    )
    encoder = build_encoder("resnet18", 1, 16, width=4, stem="small")
    path = None if tmp_path is None else tmp_path / "ckpt.pt"
    return train_simclr(encoder, data, config, torch.device("cpu"), seed=3, checkpoint_path=path)


def test_simclr_is_deterministic_on_cpu_and_learns():
    (_, first), (_, second) = _tiny_simclr(epochs=3), _tiny_simclr(epochs=3)
    assert first == second
    assert first[-1] < first[0]


def test_checkpoint_resume_continues_the_same_run(tmp_path, monkeypatch):
    _, full = _tiny_simclr(epochs=2)
    import training.simclr

    calls = []

    def augment_then_die(*args, **kwargs):
        calls.append(1)
        if len(calls) > 10:  # 4 steps x 2 views per epoch: killed during the second epoch
            raise KeyboardInterrupt
        return augment(*args, **kwargs)

    monkeypatch.setattr(training.simclr, "augment", augment_then_die)
    with pytest.raises(KeyboardInterrupt):
        _tiny_simclr(tmp_path, epochs=2, checkpoint_every=1)
    monkeypatch.setattr(training.simclr, "augment", augment)
    _, resumed = _tiny_simclr(tmp_path, epochs=2, checkpoint_every=1)
    assert resumed == pytest.approx(full, rel=1e-6)


def test_supervised_multilabel_and_bits_hook():
    torch.manual_seed(0)
    images = torch.rand(32, 1, 16, 16)
    add_bit = lambda views, index: torch.cat([views, (index % 2).float()[:, None, None, None].expand(-1, 1, 16, 16)], 1)  # noqa: E731
    data = TrainImages(images, add_bit)
    targets = torch.randint(0, 2, (32, 10)).float()
    encoder = build_encoder("convn", 2, 16)
    config = SupervisedConfig(loop=LoopConfig(epochs=2, batch_size=8, optim=OptimConfig(lr=1e-2), progress=False))
    _, history = train_supervised(encoder, data, targets, config, torch.device("cpu"))
    assert len(history) == 2 and all(h == h for h in history)


def test_linear_probe_separates_separable_features():
    generator = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 4, (800,), generator=generator)
    features = torch.nn.functional.one_hot(labels, 4).float() * 3 + torch.randn(800, 4, generator=generator)
    accuracy = linear_probe(features[:600], labels[:600], features[600:], labels[600:], epochs=20)
    assert accuracy > 0.9
    shuffled = linear_probe(
        features[:600], labels[torch.randperm(600, generator=generator)], features[600:], labels[600:], epochs=20
    )
    assert shuffled < 0.5
