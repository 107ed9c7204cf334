"""What ``run_experiment.py`` does once its command line is parsed: check every input, plan, sweep, report."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path

import torch

from analysis.claims import ClaimCheck
from analysis.report import build_report
from analysis.reproduction_report import comparison, data_sources, write_report
from datasets import InvalidParameterError, resolve_data_root
from experiments.registry import EXPERIMENTS, PAPER_EXPERIMENTS, SUITE_EXPERIMENTS, figure_titles, get_experiment
from sweeps.config import run_id, to_yaml
from sweeps.grid import GridRun, build_grid, parse_overrides
from sweeps.launch import Launch, describe, pending, run_planned, start_processes, submit, wait
from sweeps.spec import ConfigError, Experiment, PlannedRun, RunContext
from sweeps.store import collect
from training.atomic import DiskFullError
from training.device import memory_format_problem, resolve_device, resolve_precision
from training.distributed import is_main, launched_by_torchrun


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


def _plan(experiment: Experiment, grid: list[GridRun], data_root: str | None, device: torch.device) -> list[PlannedRun]:
    """Each run with the data source it will read (the data is loaded once per distinct data section) and
    its training precision resolved for ``device`` (``auto`` becomes fp32 or bf16, and that is recorded)."""
    sources: dict = {}
    planned = []
    for run in grid:
        optim = dataclasses.replace(run.config.optim, precision=resolve_precision(run.config.optim.precision, device))
        if problem := memory_format_problem(run.config.model.encoder, device, optim.precision, optim.memory_format):
            raise ConfigError(problem)
        if run.config.data not in sources:
            sources[run.config.data] = experiment.data_source(run.config, data_root)
        source = sources[run.config.data]
        config = dataclasses.replace(run.config, optim=optim)
        planned.append(PlannedRun(config, source, run_id(config, source, experiment.name), run.label))
    return planned


def _launch(args: argparse.Namespace) -> Launch:
    """The launcher options, checked; ``torchrun`` when torchrun started this process."""
    launcher = "torchrun" if args.launcher == "none" and launched_by_torchrun() else args.launcher
    launch = Launch(
        launcher=launcher,
        partition=args.partition,
        gpus=args.gpus_per_job,
        cpus=args.cpus_per_job,
        time_min=args.time_min,
        parallel=args.parallel,
        dry_run=args.dry_run,
        wait=args.wait,
    )
    if problem := launch.problem():
        raise ConfigError(problem)
    return launch


def _print_configs(experiment: Experiment, preset: str, grid: list[GridRun]) -> None:
    print(f"# {experiment.name} --preset {preset}: {len(grid)} runs")
    for number, run in enumerate(grid, 1):
        print(f"---\n# run {number}/{len(grid)} {run.label}".rstrip())
        print(to_yaml(run.config), end="")


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
            _print_configs(experiment, args.preset, grid)
            return 0
        launch = _launch(args)
        if problem := launch.batch_problem([run.config for run in grid]):
            raise ConfigError(problem)
        out = _out_dir(args.out)
        device = start_processes(resolve_device(args.device))
        data_root = str(resolve_data_root(args.data_root)) if args.data_root else None
        planned = _plan(experiment, grid, data_root, device)
        preset_dir = out / experiment.name / args.preset
        runs_dir = preset_dir / "runs"
        if launch.dry_run:
            print(describe(launch, pending(planned, runs_dir, experiment.name)))
            return 0
        if is_main():
            preset_dir.mkdir(parents=True, exist_ok=True)
    except (ConfigError, InvalidParameterError, ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        if launch.submits and not args.plot_only:
            todo = pending(planned, runs_dir, experiment.name)
            jobs = submit(
                launch,
                experiment,
                args.preset,
                todo,
                preset_dir=preset_dir,
                data_root=data_root,
                device_name=args.device,
                keep_encoders=args.keep_encoders,
            )
            if launch.launcher == "slurm" and not args.wait:
                report = f"run_experiment.py {experiment.name} --preset {args.preset} --out {args.out} --plot-only"
                print(f"submitted {len(jobs)} job(s); when they have finished, build the report: python {report}")
                return 0
            wait(jobs)
        elif not args.plot_only:
            progress = not args.no_progress and is_main()
            context = RunContext(device, data_root, progress=progress, take_over_locks=args.take_over_locks)
            run_planned(
                experiment, args.preset, planned, runs_dir=runs_dir, context=context, keep_encoders=args.keep_encoders
            )
    except KeyboardInterrupt:
        print(f"\ninterrupted: finished runs are saved in {runs_dir}; run the same command again to resume")
        return 130
    except DiskFullError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if not is_main():
        return 0
    return _report(experiment, args, planned, preset_dir)


def _report(experiment: Experiment, args: argparse.Namespace, planned: list[PlannedRun], preset_dir: Path) -> int:
    collected = collect(experiment.config_cls, experiment.name, planned, preset_dir / "runs")
    for problem in collected.unreadable:
        print(f"warning: unreadable run record {problem}", file=sys.stderr)
    if not collected.records:
        print(f"no finished runs of this grid (data source {planned[0].data_source}) in {preset_dir / 'runs'}")
        return 0 if args.plot_only else 1
    frame = collected.frame()
    figure, claim_check = experiment.analysis(args.preset)
    check = build_report(frame, args.preset, preset_dir, figure, claim_check, not collected.missing)
    print(f"wrote {preset_dir / 'results.csv'} and {preset_dir / 'figure.png'}")
    if collected.missing:
        print(f"{len(collected.missing)} of {len(planned)} runs of this grid are not finished (failed or not run):")
        for run in collected.missing:
            print(f"    {run.run_id} {run.label}")
        print("the claim is checked only on a complete grid")
    sources = ", ".join(sorted(frame["data_source"].dropna().unique()))
    if check is not None:
        print(f"== {experiment.name} [{args.preset}] on {sources}\n{check.text()}")
    if args.compare_to is not None:
        reference = args.compare_to / experiment.name / args.preset / "claim.json"
        if reference.exists():
            committed = data_sources(reference.parent)
            print(f"== reference ({reference}) on {committed}\n{ClaimCheck.load(reference).text()}")
            if committed != sources:
                print(f"note: not comparable: these runs read {sources}, the reference read {committed}")
        else:
            print(f"(no reference claim check at {reference})")
    return 1 if (frame["status"] == "failed").any() else 0
