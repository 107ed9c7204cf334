"""Behaviour versions (``sweeps/versions.py``): a component's output on a fixed input may change only
together with its version, and a version bump changes the ids of exactly the runs that use the component.

``tests/behaviour_fingerprints.json`` holds, per component, the version and a few statistics of its output
on a fixed input. The tolerance (relative 1e-4) is far above what float32 rounding differs by between CPUs
(~1e-6 on these small inputs) and far below what any change of the maths does.
After a deliberate change: bump the component in ``VERSIONS``, then re-record with
``RECORD_FINGERPRINTS=1 .venv/bin/python -m pytest tests/test_versions.py``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from datasets import LabelledImages, make_randbit, make_two_digit_sizes
from datasets.sources import ImageSplit
from experiments.registry import get_experiment
from losses import LOSS_NAMES
from losses.generalized import build_loss
from sweeps.config import RunConfig, compose, run_id
from sweeps.versions import VERSIONS
from training.augment import AugmentConfig, augment
from training.config import INITS, OPTIMIZERS, SCHEDULES, MethodConfig, ModelConfig
from training.data import TrainImages
from training.encoders import ENCODERS, build_encoder
from training.evaluate import linear_probe
from training.heads import projection_head
from training.initialization import configure
from training.loop import train
from training.methods import method_classes
from training.methods.base import Method, StepOutput
from training.optim import OptimConfig, lr_factor, make_optimizer

FINGERPRINTS = Path(__file__).with_name("behaviour_fingerprints.json")
RECORD = os.environ.get("RECORD_FINGERPRINTS") == "1"


def _stats(output: torch.Tensor) -> list[float]:
    flat = output.detach().double().flatten()
    return [flat.sum().item(), (flat**2).sum().item(), *flat[:4].tolist()]


def _random(*shape: int, seed: int = 0) -> torch.Tensor:
    return torch.rand(*shape, generator=torch.Generator().manual_seed(seed))


def _loss(name: str) -> list[float]:
    z1, z2 = _random(16, 8, seed=1), _random(16, 8, seed=2)
    return _stats(build_loss(name)(z1, z2, torch.Generator().manual_seed(3)).total)


def _augment() -> list[float]:
    config = AugmentConfig(color_strength=0.5, gray_prob=0.2, blur=True, flip=True)
    return _stats(augment(_random(6, 3, 16, 16, seed=4), config, torch.Generator().manual_seed(5)))


def _probe() -> list[float]:
    features, labels = _random(200, 6, seed=6), torch.arange(200) % 3
    features[:, 0] += labels.float()  # one informative feature: the probe's accuracy is well above chance
    return [linear_probe(features[:150], labels[:150], features[150:], labels[150:], epochs=5, batch_size=50)]


def _digits() -> ImageSplit:
    images = (_random(30, 1, 28, 28, seed=7) > 0.7).float()
    return ImageSplit(images, torch.arange(30) % 10, "fixed-noise", tuple(str(i) for i in range(10)))


def _randbit() -> list[float]:
    digits = _digits()
    made = make_randbit(LabelledImages(digits.images, {"label": digits.labels}, digits.source), 10, seed=8)
    return _stats(made.integers.double())


def _multidigit_size() -> list[float]:
    return _stats(make_two_digit_sizes(_digits(), 8, 8, 16, 32, seed=9).images)


def _encoder(name: str) -> list[float]:
    torch.manual_seed(0)
    encoder = build_encoder(name, 1, 16, 4, "small", 1).eval()
    return _stats(encoder(_random(2, 1, 16, 16, seed=10)))


def _init(name: str) -> list[float]:
    torch.manual_seed(0)
    encoder = configure(build_encoder("convn", 1, 16), name, 0.1, 1e-5)
    return _stats(torch.cat([p.flatten() for p in encoder.parameters()]))


def _head() -> list[float]:
    torch.manual_seed(0)
    heads = [projection_head(8, depth, 16, 4).eval() for depth in (1, 2, 3)]
    return _stats(torch.cat([head(_random(5, 8, seed=11)) for head in heads]))


def _optim() -> list[float]:
    """Three steps of each optimizer (LARS with weight decay) on a fixed quadratic, the schedules, lr scaling."""
    values = []
    for name in OPTIMIZERS:
        weight = torch.nn.Parameter(_random(4, 3, seed=12))
        bias = torch.nn.Parameter(torch.zeros(3))
        config = OptimConfig(optimizer=name, lr=0.1, weight_decay=1e-2, lr_scaling="sqrt", batch_size=1024)
        optimizer = make_optimizer([weight, bias], config)
        for _ in range(3):
            optimizer.zero_grad()
            ((_random(6, 4, seed=13) @ weight + bias - 1) ** 2).sum().backward()
            optimizer.step()
        values += _stats(torch.cat([weight.flatten(), bias]))
    values += [lr_factor(step, 100, 10, schedule) for schedule in SCHEDULES for step in (0, 5, 10, 50, 99)]
    return values


class _LoopProbe(Method):
    """The smallest method: a linear encoder pulling two views together (the loop's fingerprint)."""

    name = "loop-probe"

    def __init__(self) -> None:
        super().__init__(torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 4)), RunConfig(), None)
        self.encoder.feature_dim = 4

    def step(self, views, targets, generator) -> StepOutput:
        first, second = (self.encoder(view) for view in views)
        return StepOutput(((first - second) ** 2).mean() + (first.mean(0) ** 2).sum(), [first, second])


def _loop() -> list[float]:
    torch.manual_seed(0)
    method = _LoopProbe()
    optim = OptimConfig(epochs=2, batch_size=8, optimizer="sgd", lr=0.05)
    trained = train(
        method,
        TrainImages(_random(32, 1, 8, 8, seed=14)),
        targets=None,
        augment_config=AugmentConfig(),
        optim=optim,
        online_config=MethodConfig(),
        seed=3,
        device=torch.device("cpu"),
        progress=False,
    )
    return trained.history + _stats(method.encoder[1].weight)


def _method(name: str) -> list[float]:
    """One step's loss of the method on fixed views (a width-4 ResNet-18, seeded)."""
    settings = RunConfig(
        model=ModelConfig(width=4, head_hidden=16, head_out=8), method=MethodConfig(name=name, queue_size=16)
    )
    torch.manual_seed(0)
    method = method_classes()[name](build_encoder("resnet18", 1, 16, 4, "small", 1), settings, torch.arange(8) % 4)
    views = [_random(8, 1, 16, 16, seed=15 + k) for k in range(method.n_views)]
    method.setup(views[0], 1)
    return _stats(method.step(views, torch.arange(8) % 4, torch.Generator().manual_seed(3)).loss)


TRAINED_METHODS = sorted(name for name, cls in method_classes().items() if cls.n_views > 0)
PROBES: dict[str, Callable[[], list[float]]] = {
    **{f"loss:{name}": (lambda name=name: _loss(name)) for name in LOSS_NAMES},
    "augment": _augment,
    "probe": _probe,
    "data:randbit": _randbit,
    "data:multidigit_size": _multidigit_size,
    **{f"encoder:{name}": (lambda name=name: _encoder(name)) for name in ENCODERS},
    **{f"init:{name}": (lambda name=name: _init(name)) for name in INITS},
    "head": _head,
    "optim": _optim,
    "loop": _loop,
    **{f"method:{name}": (lambda name=name: _method(name)) for name in TRAINED_METHODS},
}


def _recorded() -> dict:
    return json.loads(FINGERPRINTS.read_text()) if FINGERPRINTS.exists() else {}


def test_record_fingerprints_when_asked():
    if not RECORD:
        pytest.skip("set RECORD_FINGERPRINTS=1 to re-record after a version bump")
    recorded = {name: {"version": VERSIONS.get(name, 1), "values": probe()} for name, probe in PROBES.items()}
    FINGERPRINTS.write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n")


@pytest.mark.parametrize("name", sorted(PROBES))
def test_output_changes_only_with_the_version(name):
    stored = _recorded().get(name)
    assert stored is not None, f"{name}: no fingerprint; record one (see this module's docstring)"
    version = VERSIONS.get(name, 1)
    assert stored["version"] == version, f"{name} is at version {version}: re-record its fingerprint"
    assert PROBES[name]() == pytest.approx(stored["values"], rel=1e-4, abs=1e-6), (
        f"{name}'s output changed while its version stayed {version}: bump VERSIONS[{name!r}] in "
        "sweeps/versions.py (the runs that use it get new ids), then re-record"
    )


def test_a_loss_version_bump_invalidates_exactly_the_runs_of_that_loss(monkeypatch):
    config_cls = get_experiment("generalized_losses").config_cls
    nt_xent = compose(config_cls, {"loss.name": "nt_xent"})
    swd = compose(config_cls, {"loss.name": "swd_normal"})
    supervised = compose(config_cls, {"method.name": "supervised"})
    before = [run_id(c, "mnist-full", "generalized_losses") for c in (nt_xent, swd, supervised)]
    monkeypatch.setitem(VERSIONS, "loss:nt_xent", 2)
    after = [run_id(c, "mnist-full", "generalized_losses") for c in (nt_xent, swd, supervised)]
    assert after[0] != before[0] and after[1:] == before[1:]


def test_every_version_names_a_known_component():
    known = set(PROBES) | {f"method:{name}" for name in method_classes()}
    known |= {f"data:{e}" for e in ("multidigit_count", "digit_on_image", "color_distortion")}
    known |= {f"data:{e}" for e in ("generalized_losses", "batch_size", "kmeans_features", "randbit_methods")}
    assert set(VERSIONS) <= known


def test_a_changed_lars_step_without_a_bump_is_caught(monkeypatch):
    """The issue's case: LARS's trust ratio changed (eta 1e-3 -> 2e-3) while ``optim`` stays at its version."""
    from training import optim

    real_init = optim.LARS.__init__
    monkeypatch.setattr(
        optim.LARS, "__init__", lambda self, params, lr, **kw: real_init(self, params, lr, **kw, eta=2e-3)
    )
    stored = _recorded()["optim"]["values"]
    assert PROBES["optim"]() != pytest.approx(stored, rel=1e-4, abs=1e-6)


def test_trainer_components_enter_only_the_runs_that_use_them(monkeypatch):
    config_cls = get_experiment("randbit").config_cls
    simclr, pixels = compose(config_cls, {"method.name": "simclr"}), compose(config_cls, {"method.name": "pixels"})
    before = [run_id(c, "mnist-full", "randbit") for c in (simclr, pixels)]
    for component in ("loop", "optim", "head", f"encoder:{simclr.model.encoder}", f"init:{simclr.model.init}"):
        monkeypatch.setitem(VERSIONS, component, 2)
        after = [run_id(c, "mnist-full", "randbit") for c in (simclr, pixels)]
        assert after[0] != before[0] and after[1] == before[1]  # raw pixels train and build nothing
        monkeypatch.delitem(VERSIONS, component)
