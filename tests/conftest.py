"""Shared fixtures: real MNIST from ../shared/data (or $CONTRASTIVE_DATA) when present, else the offline subset."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from datasets import load_mnist

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"

torch.set_num_threads(min(2, torch.get_num_threads()))
os.environ["CONTRASTIVE_OFFLINE"] = "1"  # tests never download: full MNIST from ../shared, else the shipped subset


def data_root() -> str | None:
    if (SHARED / "MNIST" / "raw").is_dir():
        return str(SHARED)
    return os.environ.get("CONTRASTIVE_DATA")


@pytest.fixture(scope="session")
def mnist_root() -> str | None:
    return data_root()


@pytest.fixture(scope="session")
def mnist(mnist_root):
    return load_mnist(mnist_root, download=False)
