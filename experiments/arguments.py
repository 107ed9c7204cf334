"""The command line of ``run_experiment.py``, apart from everything that imports torch: ``--help`` and usage
errors answer without loading the suite."""

from __future__ import annotations

import argparse
import typing
from pathlib import Path


class UsageError(ValueError):
    """A command line argparse cannot parse; its message is one line."""


class _OneLineParser(argparse.ArgumentParser):
    """argparse whose errors are a UsageError (one line, exit 2) instead of the usage block."""

    def error(self, message: str) -> typing.NoReturn:
        raise UsageError(f"{message} (see --help)")


def parse_args(argv: list[str] | None, description: str) -> argparse.Namespace:
    """The command line of ``run_experiment.py``; imports nothing heavy, so ``--help`` answers at once."""
    parser = _OneLineParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("experiment", nargs="?", help="experiment id, e.g. randbit (see --list)")
    parser.add_argument("--list", action="store_true", help="list experiments and their presets, then exit")
    parser.add_argument("--names", action="store_true", help="print the implemented experiment ids, one a line")
    parser.add_argument("--presets", metavar="EXPERIMENT", help="print the presets of EXPERIMENT, one a line")
    parser.add_argument(
        "--report", action="store_true", help="write <out>/REPORT.md: every experiment's committed verdicts, then exit"
    )
    parser.add_argument("--preset", default="quick", help="smoke | quick | paper | ... (default: quick)")
    parser.add_argument(
        "--set",
        nargs="+",
        action="extend",
        default=[],
        metavar="KEY=VALUE",
        dest="overrides",
        help="override a config key, e.g. --set optim.lr=1e-3 loss.temperature=0.1,0.2 (a comma list sweeps)",
    )
    parser.add_argument("--seeds", default=None, help="comma-separated seeds, e.g. 0,1,2 (= --set seed=0,1,2)")
    parser.add_argument("--print-config", action="store_true", help="print every run's resolved config and exit")
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda (default: auto)")
    parser.add_argument(
        "--data-root", default=None, help="MNIST and image folder root (default: $CONTRASTIVE_DATA or ./data)"
    )
    parser.add_argument("--out", default="results", help="output folder (default: results, the committed one)")
    parser.add_argument("--plot-only", action="store_true", help="rebuild table, figure and claim without training")
    parser.add_argument(
        "--compare-to",
        type=Path,
        default=None,
        help="also print the claim check stored there (with --report: every verdict beside its committed one)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument(
        "--take-over-locks",
        action="store_true",
        help="run what another host has locked (after that host's sweep died; locks quiet for 24 h are taken anyway)",
    )
    scale = parser.add_argument_group("scale out (README, section Scale)")
    scale.add_argument(
        "--launcher",
        default="none",
        help="none: run here (default); torchrun: each run on the processes of `torchrun --nproc_per_node N "
        "run_experiment.py ...` (set by itself under torchrun); slurm: one submitit job per pending run, e.g. "
        "--launcher slurm --partition gpu --gpus-per-job 4; local: the same jobs as local subprocesses",
    )
    scale.add_argument("--partition", default=None, help="Slurm partition (required by --launcher slurm)")
    scale.add_argument(
        "--gpus-per-job", type=int, default=1, help="GPUs of one Slurm job; each run trains on all of them (default 1)"
    )
    scale.add_argument("--cpus-per-job", type=int, default=8, help="CPUs per GPU of one Slurm job (default 8)")
    scale.add_argument("--time-min", type=int, default=240, help="time limit of one job in minutes (default 240)")
    scale.add_argument("--parallel", type=int, default=1, help="local jobs at once (--launcher local, default 1)")
    scale.add_argument("--dry-run", action="store_true", help="print the jobs --launcher slurm/local would submit")
    scale.add_argument("--wait", action="store_true", help="slurm: wait for the jobs, then build the report")
    parser.add_argument(
        "--keep-encoders",
        action="store_true",
        help="save each trained ResNet as runs/<run-id>.encoder.pt, e.g. for --set kmeans.encoder=file:<that path>",
    )
    return parser.parse_args(argv)
