"""generalized_losses and batch_size: per-loss variants in the grid, the committed tuning behind the quick
preset, learning-rate scaling, and the claim checks on hand-made tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis import batch_size as batch_analysis
from analysis import generalized_losses as loss_analysis
from experiments import generalized_losses
from experiments.registry import EXPERIMENTS
from experiments.scales import FLOORS
from sweeps.grid import build_grid, parse_overrides
from training.optim import OptimConfig

RESULTS = Path(__file__).resolve().parents[1] / "results"


def test_every_loss_runs_at_every_head_depth_with_its_own_value():
    grid = build_grid(EXPERIMENTS["generalized_losses"], "quick", {})
    trained = [run for run in grid if run.config.method.name not in FLOORS]
    pairs = {(run.config.loss.name, run.config.model.head_depth) for run in trained}
    assert len(pairs) == 5 * 4 and len(trained) == 3 * len(pairs)  # three seeds
    assert len(grid) - len(trained) == len(FLOORS) * 3  # each floor once per seed: it reads no loss or head
    for run in trained:
        tuned = next(v for v in generalized_losses.TUNED if v["loss.name"] == run.config.loss.name)
        assert all(getattr(run.config.loss, key.split(".")[1]) == value for key, value in tuned.items())
    swd = build_grid(EXPERIMENTS["generalized_losses"], "quick", parse_overrides(["loss.lam=2.0"]))
    assert {run.config.loss.lam for run in swd if run.config.loss.name.startswith("swd")} == {2.0}


def test_quick_uses_the_best_value_of_the_committed_tuning_runs():
    tuning = pd.read_csv(RESULTS / "generalized_losses" / "tune" / "results.csv")
    assert (tuning["status"] == "ok").all() and len(tuning) == len(generalized_losses.TUNING)
    for tuned in generalized_losses.TUNED:
        runs = tuning[tuning["loss.name"] == tuned["loss.name"]]
        best = runs.loc[runs["acc_linear"].idxmax()]
        assert {key: best[key] for key in tuned} == tuned


@pytest.mark.parametrize(("scaling", "expected"), [("none", 1e-3), ("linear", 0.25e-3), ("sqrt", 0.5e-3)])
def test_learning_rate_scales_with_the_batch(scaling, expected):
    assert OptimConfig(lr=1e-3, batch_size=64, lr_scaling=scaling).scaled_lr == pytest.approx(expected)


def _loss_frame(accuracy: dict[str, tuple[float, float]]) -> pd.DataFrame:
    rows = [
        {
            "data_source": "mnist-full",
            "loss.name": name,
            "loss.temperature": 0.2,
            "loss.lam": None,
            "model.head_depth": depth,
            "acc_linear": acc,
        }
        for name, accs in accuracy.items()
        for depth, acc in zip((1, 4), accs)
    ]
    return pd.DataFrame(rows)


def test_generalized_losses_claim_wants_a_narrow_spread_with_a_deep_head():
    converging = {"nt_xent": (0.90, 0.92), "decoupled_nt_xent": (0.85, 0.915), "swd_normal": (0.80, 0.91)}
    check = loss_analysis.claim_check(_loss_frame(converging))
    assert check.supported is True and check.numbers["mnist-full spread @ 0 hidden layers"] == pytest.approx(0.10)
    apart = {"nt_xent": (0.90, 0.92), "swd_normal": (0.80, 0.85)}
    assert loss_analysis.claim_check(_loss_frame(apart)).supported is False
    tuning = loss_analysis.claim_check(_loss_frame(converging).query("`model.head_depth` == 4"))
    assert tuning.supported is None and "best: NT-Xent tau=0.2" in tuning.numbers


@pytest.mark.parametrize(
    ("nt_xent", "verdict"), [((0.90, 0.91, 0.92), "SUPPORTED"), ((0.90, 0.89, 0.92), "INCONCLUSIVE")]
)
def test_generalized_losses_are_judged_only_where_nt_xent_gains_from_a_non_linear_head(nt_xent, verdict):
    depths = (1, 3, 4)  # 0, 2 and 3 hidden layers
    accuracy = {"nt_xent": nt_xent, "swd_normal": (0.80, 0.90, 0.915)}
    rows = [
        {"data_source": "mnist-full", "loss.name": name, "loss.temperature": 0.2, "model.head_depth": depth}
        | {"loss.lam": None, "acc_linear": acc}
        for name, accs in accuracy.items()
        for depth, acc in zip(depths, accs)
    ]
    check = loss_analysis.claim_check(pd.DataFrame(rows))
    assert check.verdict == verdict
    assert [g.name for g in check.gates] == ["mnist-full NT-Xent acc @ 2 hidden layers - @ 0"]


def _batch_frame(gap_shallow: float, gap_deep: float, noise: tuple[float, ...] = (0.0,)) -> pd.DataFrame:
    """Batch 32 ``gap`` below batch 512 at a linear head and at 3 hidden layers; one seed per ``noise`` offset."""
    rows = []
    for depth, gap in ((1, gap_shallow), (4, gap_deep)):
        rows += [
            {"model.head_depth": depth, "optim.batch_size": b, "acc_linear": a + offset, "seed": seed}
            for b, a in ((32, 0.9 - gap), (512, 0.9))
            for seed, offset in enumerate(noise)
        ]
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    ("gap_shallow", "gap_deep", "noise", "verdict"),
    [
        (0.10, 0.02, (0.0,), "SUPPORTED"),
        (0.05, 0.05, (0.0,), "NOT SUPPORTED"),
        (-0.06, -0.01, (0.0,), "SUPPORTED"),  # the small batch ahead (more steps at equal epochs): still a gap
        (0.01, 0.0, (0.0,), "INCONCLUSIVE"),  # no gap to narrow
        (0.05, 0.0, (-0.06, 0.0, 0.06), "INCONCLUSIVE"),  # a gap, but inside the seed spread
    ],
)
def test_batch_size_claim_wants_a_gap_beyond_noise_that_shrinks_with_depth(gap_shallow, gap_deep, noise, verdict):
    check = batch_analysis.claim_check(_batch_frame(gap_shallow, gap_deep, noise))
    assert check.verdict == verdict
