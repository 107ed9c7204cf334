"""The part of ``run_experiment.py`` that imports torch: the launcher, the device, each run's data source and
precision, the sweep, and the report of its results (after ``experiments/command.py`` checked everything else)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from analysis.claims import ClaimCheck
from analysis.report import build_report
from analysis.reproduction_report import data_sources
from datasets import InvalidParameterError, resolve_data_root
from sweeps.config import run_id, with_levers
from sweeps.grid import GridRun
from sweeps.launch import Launch, describe, pending, run_planned, start_processes, submit, wait
from sweeps.spec import ConfigError, Experiment, PlannedRun, RunContext
from sweeps.store import collect
from training.atomic import DiskFullError
from training.device import memory_format_problem, resolve_device
from training.distributed import is_main, launched_by_torchrun


def _plan(experiment: Experiment, grid: list[GridRun], data_root: str | None, device: torch.device) -> list[PlannedRun]:
    """Each run with the data source it will read (named once per data section and batch, reading no images)
    and its speed levers resolved for ``device`` (``auto`` precision and compile by ``training/levers.py``'s
    rule; the resolved values are recorded and hashed into the run id)."""
    sources: dict = {}
    planned = []
    cuda_bf16 = device.type == "cuda" and torch.cuda.is_bf16_supported()
    for run in grid:
        config, _ = with_levers(run.config, device.type, cuda_bf16)
        optim = config.optim
        if problem := memory_format_problem(config.model.encoder, device, optim.precision, optim.memory_format):
            raise ConfigError(problem)
        key = (config.data, config.optim.batch_size)  # the data source also checks that a batch fits the split
        if key not in sources:
            sources[key] = experiment.data_source(config, data_root)
        source = sources[key]
        planned.append(PlannedRun(config, source, run_id(config, source, experiment.name), run.label))
    return planned


def _create(folder: Path, out: str) -> None:
    """``folder`` under ``--out``, or a one-line error naming ``--out`` (``/proc``, a read-only mount)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"--out {out!r} cannot hold results: {folder} cannot be created ({error.strerror})") from None


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


def sweep(args: argparse.Namespace, experiment: Experiment, grid: list[GridRun], out: Path) -> int:
    """Plan the checked grid on the device, run what is pending (here or by the launcher), then report."""
    try:
        launch = _launch(args)
        if problem := launch.batch_problem([run.config for run in grid]):
            raise ConfigError(problem)
        device = start_processes(resolve_device(args.device))
        data_root = str(resolve_data_root(args.data_root)) if args.data_root else None
        planned = _plan(experiment, grid, data_root, device)
        preset_dir = out / experiment.name / args.preset
        runs_dir = preset_dir / "runs"
        if launch.dry_run:
            print(describe(launch, pending(planned, runs_dir, experiment.name)))
            return 0
        if is_main():
            _create(preset_dir, args.out)
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
