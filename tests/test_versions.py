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
from sweeps.config import compose, run_id
from sweeps.versions import VERSIONS
from training.augment import AugmentConfig, augment
from training.evaluate import linear_probe

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


PROBES: dict[str, Callable[[], list[float]]] = {
    **{f"loss:{name}": (lambda name=name: _loss(name)) for name in LOSS_NAMES},
    "augment": _augment,
    "probe": _probe,
    "data:randbit": _randbit,
    "data:multidigit_size": _multidigit_size,
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
    known = set(PROBES) | {f"method:{m}" for m in ("simclr", "supervised", "random", "pixels", "byol", "moco")}
    known |= {"method:autoencoder"} | {f"data:{e}" for e in ("multidigit_count", "digit_on_image", "color_distortion")}
    known |= {f"data:{e}" for e in ("generalized_losses", "batch_size", "kmeans_features", "randbit_methods")}
    assert set(VERSIONS) <= known
