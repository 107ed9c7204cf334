"""multidigit_count: each run is probed with single digits placed as it was trained."""

from __future__ import annotations

import torch

from experiments.multidigit_count import MultiDigitCountData
from experiments.runs.multidigit_count import probes

CELL = 28


def _cells_of_each_digit(images: torch.Tensor) -> list[set[tuple[int, int]]]:
    """For each (1, 56, 56) image, the grid cells its ink touches."""
    cells = []
    for image in images[:, 0]:
        rows, cols = torch.nonzero(image > 0, as_tuple=True)
        cells.append({(int(r) // CELL, int(c) // CELL) for r, c in zip(rows, cols)})
    return cells


def test_in_grid_runs_are_probed_in_grid_cells_and_report_the_uniform_probe_beside(mnist):
    train, test = mnist
    data = MultiDigitCountData(placement="in_grid", canvas_size=56, digit_size=CELL, n_probe_train=60, n_probe_test=20)
    matched, other = probes(data, train, test, seed=0)
    assert list(matched.labels) == ["digit"] and list(other.labels) == ["digit_other_placement"]
    assert all(len(cells) == 1 for cells in _cells_of_each_digit(matched.train.images))  # cell-aligned
    assert any(len(cells) > 1 for cells in _cells_of_each_digit(other.train.images))  # uniform: across borders
    labels, _ = matched.labels["digit"]
    assert labels.shape == (60,) and set(labels.tolist()) <= set(range(10))


def test_random_placement_keeps_its_uniform_probe(mnist):
    train, test = mnist
    data = MultiDigitCountData(placement="random", canvas_size=56, digit_size=CELL, n_probe_train=60, n_probe_test=20)
    matched, other = probes(data, train, test, seed=0)
    assert any(len(cells) > 1 for cells in _cells_of_each_digit(matched.train.images))
    assert all(len(cells) == 1 for cells in _cells_of_each_digit(other.train.images))
