"""One run of multidigit_count: MultiDigits canvases, pretraining, single-digit probes placed as trained."""

from __future__ import annotations

from datasets import load_mnist, make_multidigit
from datasets.multidigit import PLACEMENTS
from datasets.sources import ImageSplit
from experiments.multidigit_count import MultiDigitCountData, MultiDigitCountRun
from experiments.runs import pretrain_in
from experiments.runs.digit_probe import single_digit_probe
from sweeps.spec import RunContext, RunOutcome
from training.data import TrainImages
from training.evaluate import ProbeSet, evaluate


def run(config: MultiDigitCountRun, context: RunContext) -> RunOutcome:
    train_digits, test_digits = load_mnist(context.data_root)
    data = config.data
    canvases = make_multidigit(
        train_digits, data.n_train, data.n_digits, data.canvas_size, data.digit_size, data.placement, config.seed
    )
    result = pretrain_in(context, config, TrainImages(canvases.images), canvases.targets["presence"])
    metrics = evaluate(
        result.encoder, probes(data, train_digits, test_digits, config.seed), context.device, config.eval, config.seed
    )
    metrics["chance"] = 0.1
    return RunOutcome(metrics, result.history)


def probes(data: MultiDigitCountData, train_digits: ImageSplit, test_digits: ImageSplit, seed: int) -> list[ProbeSet]:
    """``digit``: single digits placed as the run was trained (cell-aligned for in-grid), what the claim
    reads; ``digit_other_placement``: the other placement, reported beside it (a probe at positions the
    encoder never saw in training measures placement, not the digit)."""
    other = next(p for p in PLACEMENTS if p != data.placement)
    return [
        single_digit_probe(
            name,
            train_digits,
            test_digits,
            data.digit_size,
            data.canvas_size,
            data.n_probe_train,
            data.n_probe_test,
            seed,
            placement,
        )  # fmt: skip
        for name, placement in (("digit", data.placement), ("digit_other_placement", other))
    ]
