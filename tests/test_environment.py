"""The locked environment: requirements.lock pins every dependency exactly, agrees with the torch pair of
lock-constraints.txt and with environment.yml, and is what the tests run on; the report marks results
made with another torch."""

from __future__ import annotations

import re
from pathlib import Path

import torch
import torchvision

from analysis.reproduction_report import locked_torch, torch_note

ROOT = Path(__file__).resolve().parents[1]


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==([^ ;]+)", line)
        if match:
            pins[match[1].lower().replace("_", "-")] = match[2]
    return pins


def _names(path: Path) -> set[str]:
    names = set()
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-r"):
            names.add(re.split(r"[<>=!~ ;\[]", line)[0].lower().replace("_", "-"))
    return names


def test_the_lock_pins_every_requirement_and_the_constrained_torch_pair():
    lock = _pins(ROOT / "requirements.lock")
    for name in _names(ROOT / "requirements.txt") | _names(ROOT / "requirements-dev.txt"):
        assert name in lock, f"{name} is not pinned in requirements.lock; run `make lock`"
    assert _pins(ROOT / "lock-constraints.txt") == {"torch": lock["torch"], "torchvision": lock["torchvision"]}
    assert "-r requirements.lock" in (ROOT / "environment.yml").read_text()
    assert locked_torch() == lock["torch"]


def test_the_tests_run_on_the_locked_torch():
    lock = _pins(ROOT / "requirements.lock")
    assert torch.__version__.split("+")[0] == lock["torch"], "install with `make test` (requirements.lock)"
    assert torchvision.__version__.split("+")[0] == lock["torchvision"]


def test_the_report_marks_results_made_with_another_torch():
    assert torch_note("2.14.1+cu130", "2.14.1") == "2.14.1+cu130"
    assert "not the locked 2.14.1" in torch_note("2.15.0+cu132", "2.14.1")
    assert "not the locked" in torch_note("2.14.1+cu130, 2.15.0", "2.14.1")
    assert torch_note("?", "2.14.1") == "?"
