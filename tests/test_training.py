"""Trainer parts: encoders, heads, batched augmentation, the loop (NaN guard, resume), methods, linear eval."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch
import torchvision

import training.loop
from sweeps.config import RunConfig
from training.augment import AugmentConfig, augment, color_distort, gaussian_blur
from training.config import MethodConfig, ModelConfig
from training.data import TrainImages
from training.device import has_strided_pointwise_conv, memory_format_problem, prepare
from training.encoders import ENCODERS, ConvN, build_encoder
from training.evaluate import linear_probe, view_retrieval
from training.heads import projection_head
from training.loop import NonFiniteLossError
from training.methods.base import METHODS, Method, StepOutput, register
from training.optim import LARS, OptimConfig, lr_factor
from training.pretrain import pretrain


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


@pytest.mark.parametrize("out_bias", [True, False])
def test_projection_head_last_layer_bias_is_optional(out_bias):
    last = projection_head(32, 2, 16, 8, out_bias)[-1]
    assert (last.bias is not None) == out_bias
    hidden = [layer for layer in projection_head(32, 3, 16, 8, out_bias)[:-1] if isinstance(layer, torch.nn.Linear)]
    assert len(hidden) == 2 and all(layer.bias is None for layer in hidden)  # BN follows: never a bias there


def test_augmentation_is_per_sample_deterministic_and_in_range():
    image = torch.rand(1, 3, 32, 32).expand(8, -1, -1, -1).contiguous()
    config = AugmentConfig(blur=True, flip=True, crop_min_scale=0.08)
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


CPU = torch.device("cpu")


def _settings(method: str = "simclr", epochs: int = 2, **model) -> RunConfig:
    return RunConfig(
        model=ModelConfig(**{"width": 4, "head_hidden": 16, "head_out": 8, **model}),
        method=MethodConfig(name=method),
        augment=AugmentConfig(flip=False),
        optim=OptimConfig(epochs=epochs, batch_size=16),
        seed=3,
    )


@pytest.fixture
def toy_method():
    """A method registered by a test: the loop runs it without knowing it (a new method touches no loop code)."""

    @register
    class Toy(Method):
        name = "toy"
        uses = ("model.encoder", "model.width", "optim", "augment")
        progress: list[float] = []

        def __init__(self, encoder, settings, targets):
            super().__init__(encoder, settings, targets)
            self.scale = torch.nn.Parameter(torch.ones(()))

        def step(self, views, targets, generator):
            features = [self.encoder(v) for v in views]
            return StepOutput(self.scale * (features[0] - features[1]).pow(2).mean() * self.nan, features)

        def after_step(self, progress):
            self.progress.append(progress)

    Toy.nan = 1.0
    yield Toy
    del METHODS["toy"]


def test_a_registered_method_trains_through_the_loop_with_its_after_step_hook(toy_method):
    data = TrainImages(torch.rand(64, 1, 16, 16))
    result = pretrain(_settings("toy"), data, None, CPU, progress=False)
    assert len(result.history) == 2 and toy_method.progress[-1] == pytest.approx(1.0)
    assert len(toy_method.progress) == 2 * 64 // 16


def test_loop_stops_on_non_finite_loss(toy_method):
    toy_method.nan = float("nan")
    with pytest.raises(NonFiniteLossError, match="loss became nan at epoch 1, within steps 1-"):
        pretrain(_settings("toy"), TrainImages(torch.rand(32, 1, 16, 16)), None, CPU, progress=False)


def _tiny_simclr(checkpoint=None, epochs=2):
    data = TrainImages(torch.rand(64, 1, 16, 16, generator=torch.Generator().manual_seed(0)))
    return pretrain(_settings(epochs=epochs), data, None, CPU, progress=False, checkpoint=checkpoint).history


def test_simclr_is_deterministic_on_cpu_and_learns():
    first, second = _tiny_simclr(epochs=3), _tiny_simclr(epochs=3)
    assert first == second
    assert first[-1] < first[0]


def test_checkpoint_resume_continues_the_same_run(tmp_path, monkeypatch):
    full = _tiny_simclr(epochs=2)
    calls = []

    def augment_then_die(*args, **kwargs):
        calls.append(1)
        if len(calls) > 10:  # 4 steps x 2 views per epoch: killed during the second epoch
            raise KeyboardInterrupt
        return augment(*args, **kwargs)

    monkeypatch.setattr(training.loop, "augment", augment_then_die)
    with pytest.raises(KeyboardInterrupt):
        _tiny_simclr(tmp_path / "run.ckpt", epochs=2)
    assert torch.load(tmp_path / "run.ckpt", weights_only=False)["history"] == full[:1]
    monkeypatch.setattr(training.loop, "augment", augment)
    assert _tiny_simclr(tmp_path / "run.ckpt", epochs=2) == pytest.approx(full, rel=1e-6)


def test_supervised_multilabel_and_bits_hook():
    images = torch.rand(32, 1, 16, 16)
    add_bit = lambda views, index: torch.cat([views, (index % 2).float()[:, None, None, None].expand(-1, 1, 16, 16)], 1)  # noqa: E731
    targets = torch.randint(0, 2, (32, 10)).float()
    result = pretrain(
        _settings("supervised", encoder="convn"), TrainImages(images, add_bit), targets, CPU, progress=False
    )
    assert len(result.history) == 2 and all(h == h for h in result.history)
    assert result.encoder(torch.rand(2, 2, 16, 16)).shape == (2, 128)  # two channels: image + bit


def test_random_init_is_the_seeded_untrained_encoder():
    data = TrainImages(torch.rand(32, 1, 16, 16))
    first, second = (pretrain(_settings("random"), data, None, CPU) for _ in range(2))
    assert first.history == [] and all(
        torch.equal(a, b) for a, b in zip(first.encoder.parameters(), second.encoder.parameters())
    )


def test_online_probe_trains_on_the_detached_features():
    data = TrainImages(torch.rand(64, 1, 16, 16))
    settings = dataclasses.replace(_settings(), method=MethodConfig(online_probe=True))
    result = pretrain(settings, data, None, CPU, online_labels=torch.arange(64) % 3, progress=False)
    assert result.online is not None and result.online.out_features == 3


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


class _NoiseEncoder(torch.nn.Module):
    """Features that ignore the image: retrieval at chance."""

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return torch.randn(len(images), 16, generator=torch.Generator().manual_seed(len(images)))


def test_view_retrieval_finds_the_partner_view_when_features_see_the_image():
    images = torch.rand(50, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    mild = AugmentConfig(crop_min_scale=0.9, color_strength=0.0)
    assert view_retrieval(torch.nn.Flatten(), images, mild, torch.device("cpu"), seed=0) > 0.9
    assert view_retrieval(_NoiseEncoder(), images, mild, torch.device("cpu"), seed=0) < 0.1  # chance 1/99


def test_bf16_trains_with_the_loss_in_fp32(monkeypatch):
    import training.methods.simclr

    seen = []
    real_step = training.methods.simclr.SimCLR.step

    def recording_step(self, views, targets, generator):
        out = real_step(self, views, targets, generator)
        seen.append((views[0].is_contiguous(memory_format=torch.channels_last), out.features[0].dtype, out.loss.dtype))
        return out

    monkeypatch.setattr(training.methods.simclr.SimCLR, "step", recording_step)
    data = TrainImages(torch.rand(32, 3, 16, 16))
    settings = dataclasses.replace(_settings(epochs=1), optim=OptimConfig(epochs=1, batch_size=16, precision="bf16"))
    history = pretrain(settings, data, None, CPU, progress=False).history
    assert math.isfinite(history[0]) and seen[0] == (True, torch.bfloat16, torch.float32)
    seen.clear()
    pretrain(_settings(epochs=1), data, None, CPU, progress=False)
    assert seen[0] == (False, torch.float32, torch.float32)


@pytest.mark.parametrize("name", ENCODERS)
def test_channels_last_is_refused_on_cpu_in_fp32_exactly_for_encoders_with_strided_pointwise_convs(name):
    encoder = build_encoder(name, 3, 32, 8)
    refused_by_name = memory_format_problem(name, CPU, "fp32", "channels_last") is not None
    assert refused_by_name == has_strided_pointwise_conv(encoder) == (name != "convn")
    if refused_by_name:
        with pytest.raises(ValueError, match="cannot train this model in fp32 on CPU"):
            prepare(encoder, CPU, "fp32", "channels_last")
    assert prepare(encoder, CPU, "bf16", "channels_last") is encoder  # bf16 does not take that path
    assert memory_format_problem(name, CPU, "fp32", "contiguous") is None


def test_memory_format_sets_the_layout_and_changes_only_rounding(monkeypatch):
    import training.methods.simclr

    layouts = []
    real_step = training.methods.simclr.SimCLR.step

    def recording_step(self, views, targets, generator):
        conv = next(m for m in self.encoder.modules() if isinstance(m, torch.nn.Conv2d))
        layouts.append(tuple(x.is_contiguous(memory_format=torch.channels_last) for x in (views[0], conv.weight)))
        return real_step(self, views, targets, generator)

    monkeypatch.setattr(training.methods.simclr.SimCLR, "step", recording_step)
    data = TrainImages(torch.rand(32, 3, 16, 16))

    def history(**optim) -> list[float]:
        layouts.clear()
        settings = dataclasses.replace(
            _settings(epochs=2, encoder="convn"), optim=OptimConfig(epochs=2, batch_size=16, **optim)
        )  # not a ResNet: see device.memory_format_problem
        return pretrain(settings, data, None, CPU, progress=False).history

    contiguous = history()
    assert set(layouts) == {(False, False)}
    channels_last = history(memory_format="channels_last")
    assert set(layouts) == {(True, True)}
    assert channels_last == history(memory_format="channels_last")  # deterministic on CPU
    assert channels_last == pytest.approx(contiguous, rel=1e-4)  # the same computation, rounded differently
    history(precision="bf16", memory_format="contiguous")
    assert set(layouts) == {(False, False)}


def test_a_compiled_step_trains_what_the_eager_step_trains_within_rounding():
    data = TrainImages(torch.rand(32, 1, 16, 16, generator=torch.Generator().manual_seed(0)))

    def history(compiled: bool) -> list[float]:
        settings = dataclasses.replace(
            _settings(epochs=2, encoder="convn"), optim=OptimConfig(epochs=2, batch_size=16, compile=compiled)
        )
        return pretrain(settings, data, None, CPU, progress=False).history

    eager, compiled = history(False), history(True)
    # Inductor fuses and reorders float operations: the same computation, rounded differently (fp32 sums of a
    # few thousand terms differ in the 6th-7th digit); a wrong compiled graph would move the loss by far more.
    assert compiled == pytest.approx(eager, rel=1e-4)
