"""The one registry of experiments: ``run_experiment.py --list``, the Makefile, the report and the tests
all read it. A new figure is one module in ``experiments/`` (plus its analysis) and one line here."""

from __future__ import annotations

from experiments import (
    batch_size,
    color_distortion,
    digit_on_image,
    generalized_losses,
    kmeans_features,
    multidigit_count,
    multidigit_size,
    randbit,
    randbit_methods,
)
from sweeps.spec import ConfigError, Experiment

# Every figure of the paper by content, then the suite's own additions; the ones without a module yet are
# listed as planned.
PAPER_EXPERIMENTS = (
    "generalized_losses",
    "batch_size",
    "multidigit_count",
    "kmeans_features",
    "digit_on_image",
    "multidigit_size",
    "randbit",
)
SUITE_EXPERIMENTS = ("randbit_methods", "color_distortion")  # beyond the paper (PAPER.md section 5)

EXPERIMENTS: dict[str, Experiment] = {
    e.name: e
    for e in (
        generalized_losses.EXPERIMENT,
        batch_size.EXPERIMENT,
        multidigit_count.EXPERIMENT,
        kmeans_features.EXPERIMENT,
        digit_on_image.EXPERIMENT,
        multidigit_size.EXPERIMENT,
        randbit.EXPERIMENT,
        randbit_methods.EXPERIMENT,
        color_distortion.EXPERIMENT,
    )
}


def get_experiment(name: str) -> Experiment:
    if name not in EXPERIMENTS:
        planned = [e for e in (*PAPER_EXPERIMENTS, *SUITE_EXPERIMENTS) if e not in EXPERIMENTS]
        raise ConfigError(
            f"experiment {name!r} is unknown; choose one of {', '.join(EXPERIMENTS)} "
            f"(planned, not yet implemented: {', '.join(planned)})"
        )
    return EXPERIMENTS[name]


def figure_titles() -> dict[str, str]:
    """Every paper experiment in the paper's order, then the suite's own: id -> figure title ("planned, not
    yet implemented" for one without a module)."""
    titles = {name: "planned, not yet implemented" for name in (*PAPER_EXPERIMENTS, *SUITE_EXPERIMENTS)}
    return titles | {name: experiment.figure_title for name, experiment in EXPERIMENTS.items()}
