"""Run one paper figure's sweep and rebuild its table, figure and claim check.

    python run_experiment.py --list
    python run_experiment.py <experiment> --preset smoke|quick|paper|... [--set key=value ...] [--seeds 0,1,2]
        [--device auto|cpu|cuda] [--data-root DIR] [--out results] [--plot-only] [--compare-to results]

Finished runs land in <out>/<experiment>/<preset>/runs/<run-id>.json; a re-run skips them. Bad input gets
one line naming the bad value and what is allowed, exit code 2, and nothing written.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from analysis.claims import ClaimCheck
from analysis.report import build_report
from datasets import InvalidParameterError, resolve_data_root
from experiments.config import ConfigError, apply_overrides, expand_grid, run_id
from experiments.registry import PAPER_EXPERIMENTS, RunContext, get_experiment, registry
from experiments.runner import run_sweep
from training.device import resolve_device


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("experiment", nargs="?")
    parser.add_argument("--list", action="store_true", help="list experiments and their presets")
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="overrides")
    parser.add_argument("--seeds", default="0", help="comma-separated seeds, e.g. 0,1,2")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--out", type=Path, default=Path("results"))
    parser.add_argument("--plot-only", action="store_true", help="rebuild table and figure without training")
    parser.add_argument("--compare-to", type=Path, default=None, help="print the reference claim check too")
    parser.add_argument("--no-progress", action="store_true")
    return parser.parse_args(argv)


def _list() -> None:
    experiments = registry()
    for name in PAPER_EXPERIMENTS:
        if name in experiments:
            e = experiments[name]
            print(f"{name:20s} {e.figure}")
            for preset, spec in e.presets.items():
                print(f"{'':22s}--preset {preset:6s} {spec.note}")
        else:
            print(f"{name:20s} (planned, not yet implemented)")


def _overrides(pairs: list[str]) -> dict[str, str]:
    result = {}
    for pair in pairs:
        if "=" not in pair:
            raise ConfigError(f"--set {pair!r} must look like key=value")
        key, value = pair.split("=", 1)
        result[key.strip()] = value.strip()
    return result


def _seeds(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(s) for s in text.split(","))
    except ValueError:
        raise ConfigError(f"--seeds {text!r} must be comma-separated integers, e.g. 0,1,2") from None


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    if args.list:
        _list()
        return 0
    try:
        if not args.experiment:
            raise ConfigError(f"name an experiment; choose one of {', '.join(registry())} (or --list)")
        experiment = get_experiment(args.experiment)
        preset = apply_overrides(experiment.config_cls, experiment.preset(args.preset), _overrides(args.overrides))
        configs = expand_grid(experiment.config_cls, preset, _seeds(args.seeds), experiment.canonical)
        for config in configs:
            experiment.validate(config)
        preset_dir = args.out / experiment.name / args.preset
        if not args.plot_only:
            device = resolve_device(args.device)
            data_root = str(resolve_data_root(args.data_root)) if args.data_root else None
            context = RunContext(device, data_root, progress=not args.no_progress)
            run_sweep(
                experiment.name, args.preset, configs, lambda c: experiment.run(c, context), preset_dir / "runs", device
            )
    except (ConfigError, InvalidParameterError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    check = build_report(experiment.name, args.preset, preset_dir, {run_id(c) for c in configs})
    if check is None:
        print(f"no finished runs in {preset_dir / 'runs'}")
        return 0
    print(f"wrote {preset_dir / 'results.csv'} and {preset_dir / 'figure.png'}")
    print(f"== {experiment.name} [{args.preset}]\n{check.text()}")
    if args.compare_to is not None:
        reference = args.compare_to / experiment.name / args.preset / "claim.json"
        if reference.exists():
            print(f"== reference ({reference})\n{ClaimCheck.load(reference).text()}")
        else:
            print(f"(no reference claim check at {reference})")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
