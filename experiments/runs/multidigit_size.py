"""One run of multidigit_size: two-digit canvases, pretraining, single-digit probes at both sizes."""

from __future__ import annotations

from datasets import load_mnist, make_two_digit_sizes
from experiments.multidigit_size import MultiDigitSizeRun
from experiments.runs import pretrain_in
from experiments.runs.digit_probe import single_digit_probe
from sweeps.spec import RunContext, RunOutcome
from training.data import TrainImages
from training.evaluate import evaluate


def run(config: MultiDigitSizeRun, context: RunContext) -> RunOutcome:
    train_digits, test_digits = load_mnist(context.data_root)
    data = config.data
    pairs = make_two_digit_sizes(
        train_digits, data.n_train, data.small_size, data.large_size, data.canvas_size, seed=config.seed
    )
    result = pretrain_in(context, config, TrainImages(pairs.images), pairs.targets["presence"])
    probes = [
        single_digit_probe(
            name, train_digits, test_digits, size, data.canvas_size, data.n_probe_train, data.n_probe_test, config.seed
        )
        for name, size in (("small", data.small_size), ("large", data.large_size))
    ]
    return RunOutcome(evaluate(result.encoder, probes, context.device, config.eval, config.seed), result.history)
