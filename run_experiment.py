"""Run one paper figure's sweep and rebuild its table, figure and claim check.

examples:
  python run_experiment.py --list
  python run_experiment.py randbit --preset quick
  python run_experiment.py randbit --preset quick --set optim.lr=3e-3 loss.temperature=0.05,0.1 --out scratch
  python run_experiment.py multidigit_size --preset quick --set seed=0,1,2 --out scratch
  python run_experiment.py multidigit_size --preset quick --print-config
  python run_experiment.py randbit --preset quick --plot-only
  python run_experiment.py --report          # results/REPORT.md: every experiment's verdicts
  python run_experiment.py --report --out reproduced --compare-to results   # fresh verdicts beside committed
  torchrun --nproc_per_node 4 run_experiment.py randbit --preset paper        # each run on 4 GPUs (DDP)
  python run_experiment.py randbit --preset paper --launcher slurm --partition gpu --gpus-per-job 4 --dry-run

Keys are section.name (sections: data, model, method, loss, augment, optim, eval, and seed); a comma list
sweeps the key. Finished runs land in <out>/<experiment>/<preset>/runs/<run-id>.json; a re-run skips them
and a killed run resumes from its last epoch. Bad input gets one line naming the key, the bad value and
what is allowed, exit code 2, and nothing is written. Exit code 1: some run of the grid failed.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import typing
from pathlib import Path

import torch

from analysis.claims import ClaimCheck
from analysis.report import build_report
from analysis.reproduction_report import comparison, data_sources, write_report
from datasets import InvalidParameterError, resolve_data_root
from experiments.config import run_id, to_yaml
from experiments.grid import GridRun, build_grid, parse_overrides
from experiments.launch import Launch, describe, pending, run_planned, start_processes, submit, wait
from experiments.registry import EXPERIMENTS, PAPER_EXPERIMENTS, SUITE_EXPERIMENTS, figure_titles, get_experiment
from experiments.spec import ConfigError, Experiment, PlannedRun, RunContext
from experiments.store import collect
from training.atomic import DiskFullError
from training.device import memory_format_problem, resolve_device, resolve_precision
from training.distributed import is_main, launched_by_torchrun


class _OneLineParser(argparse.ArgumentParser):
    """argparse whose errors are a ConfigError (one line, exit 2) instead of the usage block."""

    def error(self, message: str) -> typing.NoReturn:
        raise ConfigError(f"{message} (see --help)")


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = _OneLineParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
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
        launcher, args.partition, args.gpus_per_job, args.cpus_per_job, args.time_min, args.parallel, args.dry_run,
        args.wait,
    )  # fmt: skip
    if problem := launch.problem():
        raise ConfigError(problem)
    return launch


def _print_configs(experiment: Experiment, preset: str, grid: list[GridRun]) -> None:
    print(f"# {experiment.name} --preset {preset}: {len(grid)} runs")
    for number, run in enumerate(grid, 1):
        print(f"---\n# run {number}/{len(grid)} {run.label}".rstrip())
        print(to_yaml(run.config), end="")


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parse_args(argv)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
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
                launch, experiment.name, args.preset, todo, preset_dir, data_root, args.device, args.keep_encoders
            )
            if launch.launcher == "slurm" and not args.wait:
                report = f"run_experiment.py {experiment.name} --preset {args.preset} --out {args.out} --plot-only"
                print(f"submitted {len(jobs)} job(s); when they have finished, build the report: python {report}")
                return 0
            wait(jobs)
        elif not args.plot_only:
            progress = not args.no_progress and is_main()
            context = RunContext(device, data_root, progress=progress, take_over_locks=args.take_over_locks)
            run_planned(experiment.name, args.preset, planned, runs_dir, context, args.keep_encoders)
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


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
