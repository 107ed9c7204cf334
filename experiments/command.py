"""What ``run_experiment.py`` does once its command line is parsed: every answer that needs no torch (``--list``,
``--presets``, ``--print-config``, and a one-line error for a bad experiment, preset, key, value or folder), then
the sweep itself (``experiments/sweep_command.py``), which imports torch."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from experiments.registry import EXPERIMENTS, PAPER_EXPERIMENTS, SUITE_EXPERIMENTS, figure_titles, get_experiment
from sweeps.config import to_yaml, with_levers
from sweeps.grid import GridRun, build_grid, parse_overrides
from sweeps.spec import ConfigError, Experiment


def _list() -> None:
    for name in (*PAPER_EXPERIMENTS, *SUITE_EXPERIMENTS):
        if name not in EXPERIMENTS:
            print(f"{name:20s} (planned, not yet implemented)")
            continue
        experiment = EXPERIMENTS[name]
        print(f"{name:20s} {experiment.figure_title}")
        for preset, spec in experiment.presets.items():
            print(f"{'':22s}--preset {preset:6s} {spec.note}")


def _seeds(text: str | None) -> tuple[int, ...] | None:
    if text is None:
        return None
    try:
        seeds = tuple(int(s) for s in text.split(","))
    except ValueError:
        raise ConfigError(f"--seeds {text!r} must be comma-separated integers >= 0, e.g. 0,1,2") from None
    if min(seeds) < 0:
        raise ConfigError(f"--seeds {text!r} must be comma-separated integers >= 0, e.g. 0,1,2")
    return seeds


def _out_dir(text: str) -> Path:
    """The output folder, checked before anything is written: not empty, not under a file, writable."""
    if not text.strip():
        raise ConfigError("--out '' is empty; name a folder for the results, e.g. --out scratch")
    if any(not c.isprintable() for c in text):
        raise ConfigError(f"--out {text!r} is not allowed: it holds a newline or another control character")
    existing = Path(text).absolute()
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(f"--out {text!r} is not allowed: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"--out {text!r} is not allowed: {existing} is not writable")
    return Path(text)


def _check_folders(args: argparse.Namespace) -> None:
    """The folders named on the command line, before anything loads: --data-root not empty, --compare-to an
    existing folder, and for --report an --out folder that exists and holds results."""
    if args.data_root is not None and not args.data_root.strip():
        raise ConfigError("--data-root '' is empty; name the folder holding MNIST/, or leave the option out")
    if args.compare_to is not None and not args.compare_to.is_dir():
        raise ConfigError(f"--compare-to {str(args.compare_to)!r} is not an existing folder of results")
    if args.report:
        out = _out_dir(args.out)
        if not out.is_dir() or not any(out.glob("*/*/runs")):
            raise ConfigError(f"--out {args.out!r} holds no results (<experiment>/<preset>/runs/); name one that does")


def _print_configs(experiment: Experiment, preset: str, grid: list[GridRun], device: str) -> None:
    """Each run's config as it will run on ``device`` (``auto``: this machine's CPU, GPUs noted): its speed
    levers resolved, with the rule's reason (``training/levers.py``)."""
    print(f"# {experiment.name} --preset {preset}: {len(grid)} runs")
    device_type = "cuda" if device == "cuda" else "cpu"
    for number, run in enumerate(grid, 1):
        print(f"---\n# run {number}/{len(grid)} {run.label}".rstrip())
        config, why = with_levers(run.config, device_type)
        if why:
            optim = config.optim
            chosen = f"optim.precision={optim.precision}, optim.compile={str(optim.compile).lower()}"
            gpu = "; on a CUDA GPU: bf16, eager" if device == "auto" else ""
            print(f"# levers (auto) on this {device_type.upper()}: {chosen} ({why}){gpu}")
        print(to_yaml(config), end="")


def run(args: argparse.Namespace) -> int:
    """Everything after the command line is parsed (``run_experiment.main``)."""
    if args.presets:
        if args.presets not in EXPERIMENTS:
            print(
                f"error: experiment {args.presets!r} is unknown; choose one of {', '.join(EXPERIMENTS)}",
                file=sys.stderr,
            )
            return 2
        print("\n".join(EXPERIMENTS[args.presets].presets))
        return 0
    if args.list or args.names:
        _list() if args.list else print("\n".join(EXPERIMENTS))
        return 0
    try:
        _check_folders(args)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.report:
        from analysis.reproduction_report import comparison, write_report  # pandas: only for the report

        print(f"wrote {write_report(Path(args.out), figure_titles(), Path(args.out) / 'REPORT.md')}")
        if args.compare_to is not None:
            print(comparison(Path(args.out), args.compare_to, figure_titles()), end="")
        return 0
    try:
        if not args.experiment:
            raise ConfigError(f"name an experiment; choose one of {', '.join(EXPERIMENTS)} (or --list)")
        experiment = get_experiment(args.experiment)
        grid = build_grid(experiment, args.preset, parse_overrides(args.overrides), _seeds(args.seeds))
        if args.print_config:
            _print_configs(experiment, args.preset, grid, args.device)
            return 0
        out = _out_dir(args.out)
        runs = out / experiment.name / args.preset / "runs"
        if args.plot_only and not any(runs.glob("*.json")):
            raise ConfigError(
                f"--plot-only: {runs} holds no run records to plot; run the sweep first (without --plot-only)"
            )
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    from experiments.sweep_command import sweep  # imports torch: after every check that needs none

    return sweep(args, experiment, grid, out)
