"""How a sweep's runs are started: here, one after another (``none``); by torchrun, each run on several
processes (``torchrun``); or as submitit jobs, one per pending run, on a Slurm cluster (``slurm``) or as
local subprocesses (``local``, the same path without a cluster).

Every path ends in ``run_planned``, which hands the runs to the store (``sweeps/runner.py``): a run
already finished is skipped and a run in progress is locked, so re-submitting a grid, or two submissions
at once, never trains a run twice. A Slurm job with several GPUs runs one task per GPU and joins them into
one torchrun-style process group (``submitit.helpers.TorchDistributedEnvironment``).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from sweeps.runner import run_sweep
from sweeps.spec import Experiment, PlannedRun, RunContext
from sweeps.store import record_problem
from training.device import resolve_device
from training.distributed import TORCHRUN_VARIABLES, batch_problem, init_from_environment, is_main, launched_by_torchrun

LAUNCHERS = ("none", "torchrun", "slurm", "local")
JOBS_FOLDER = "jobs"  # submitit's pickles and logs, beside runs/ (git-ignored)


@dataclass(frozen=True, kw_only=True)
class Launch:
    """The ``--launcher`` options. ``gpus``: GPUs (= processes) of one Slurm job; ``parallel``: local jobs
    at once; ``wait``: block until the jobs end, then build the report (always for ``local``)."""

    launcher: str = "none"
    partition: str | None = None
    gpus: int = 1
    cpus: int = 8
    time_min: int = 240
    parallel: int = 1
    dry_run: bool = False
    wait: bool = False

    @property
    def submits(self) -> bool:
        return self.launcher in ("slurm", "local")

    @property
    def processes(self) -> int:
        """Processes that train each run (known before the process group is joined)."""
        if self.launcher == "slurm":
            return self.gpus
        return int(os.environ.get("WORLD_SIZE", "1")) if self.launcher == "torchrun" else 1

    def problem(self) -> str | None:
        """One line on what is wrong with these options, before anything loads (None when they are fine)."""
        if self.launcher not in LAUNCHERS:
            return f"--launcher {self.launcher!r} is unknown; choose one of {', '.join(LAUNCHERS)}"
        if self.launcher == "torchrun" and not launched_by_torchrun():
            return (
                f"--launcher torchrun needs the environment torchrun sets ({', '.join(TORCHRUN_VARIABLES)}); "
                "start it as: torchrun --nproc_per_node 2 run_experiment.py <experiment> --launcher torchrun ..."
            )
        if self.submits and importlib.util.find_spec("submitit") is None:
            return f"--launcher {self.launcher} needs submitit, which is not installed; pip install submitit"
        if self.launcher == "slurm" and not self.partition:
            return "--launcher slurm needs --partition <name> (the Slurm partition to submit to)"
        if self.launcher == "slurm" and not self.dry_run and shutil.which("sbatch") is None:
            return (
                "--launcher slurm needs Slurm (sbatch is not on PATH); submit from a Slurm login node, or add "
                "--dry-run to list the jobs"
            )
        for flag, value in (
            ("--gpus-per-job", self.gpus),
            ("--time-min", self.time_min),
            ("--parallel", self.parallel),
        ):
            if value < 1:
                return f"{flag} {value} is not allowed; it must be an integer >= 1"
        if (self.dry_run or self.wait) and not self.submits:
            flag = "--dry-run" if self.dry_run else "--wait"
            return f"{flag} applies to --launcher slurm or local, not to --launcher {self.launcher}"
        return None

    def batch_problem(self, configs: list[Any]) -> str | None:
        """Why a run's batch cannot be split over the processes that will train it (None when all can)."""
        for config in configs:
            if config.trains_encoder and (problem := batch_problem(config.optim.batch_size, self.processes)):
                return problem
        return None


def start_processes(device: torch.device) -> torch.device:
    """Join torchrun's process group when this process was started by torchrun; returns its device."""
    if launched_by_torchrun():
        return init_from_environment(device.type) or device
    return device


def run_planned(
    experiment: Experiment,
    preset: str,
    runs: list[PlannedRun],
    *,
    runs_dir: Path,
    context: RunContext,
    keep_encoders: bool = False,
    log: Callable[[str], None] = print,
) -> list[Path]:
    """Train and evaluate ``runs`` through the store (records, locks, checkpoints under ``runs_dir``)."""

    def run_one(run: PlannedRun, checkpoint: Path):
        outputs = checkpoint.with_suffix("") if is_main() else None  # runs/<run-id>/, written by rank 0 only
        return experiment.run(run.config, dataclasses.replace(context, checkpoint=checkpoint, outputs=outputs))

    return run_sweep(
        experiment.name, preset, runs, run_one, runs_dir, context.device, log, keep_encoders, context.take_over_locks
    )


def run_job(
    experiment: Experiment, preset: str, run: PlannedRun, runs_dir: Path, data_root: str | None, device_name: str,
    keep_encoders: bool,
) -> str:  # fmt: skip
    """The body of one submitit job: one run; a job with several tasks (GPUs) trains it as one process group."""
    import submitit

    if submitit.JobEnvironment().num_tasks > 1:
        submitit.helpers.TorchDistributedEnvironment().export(set_cuda_visible_devices=False)
    device = start_processes(resolve_device(device_name))
    context = RunContext(device, data_root, progress=False)
    written = run_planned(experiment, preset, [run], runs_dir=runs_dir, context=context, keep_encoders=keep_encoders)
    return f"{run.run_id}: {'recorded' if written else 'not run here (finished or locked elsewhere)'}"


def pending(runs: list[PlannedRun], runs_dir: Path, experiment: str) -> list[PlannedRun]:
    """The runs without a finished record of their own (``store.record_problem``)."""
    return [run for run in runs if record_problem(runs_dir / f"{run.run_id}.json", run, experiment) is not None]


def describe(launch: Launch, runs: list[PlannedRun]) -> str:
    """What ``submit`` would do, one line per job (``--dry-run``)."""
    where = (
        f"Slurm partition {launch.partition}, {launch.gpus} GPU(s) and {launch.cpus} CPUs per job, "
        f"{launch.time_min} min limit"
        if launch.launcher == "slurm"
        else f"local subprocesses, {launch.parallel} at a time"
    )
    lines = [f"{len(runs)} job(s) on {where}:"]
    lines += [f"    {run.run_id} {run.label}".rstrip() for run in runs]
    return "\n".join(lines)


def _executor(launch: Launch, folder: Path) -> Any:
    import submitit

    if launch.launcher == "local":
        executor = submitit.LocalExecutor(folder=folder)
        executor.update_parameters(timeout_min=launch.time_min)
        return executor
    executor = submitit.AutoExecutor(folder=folder, cluster="slurm")
    executor.update_parameters(
        slurm_partition=launch.partition,
        timeout_min=launch.time_min,
        nodes=1,
        tasks_per_node=launch.gpus,
        gpus_per_node=launch.gpus,
        cpus_per_task=launch.cpus,
        name="contrastive-properties",
    )
    return executor


def submit(
    launch: Launch,
    experiment: Experiment,
    preset: str,
    runs: list[PlannedRun],
    *,
    preset_dir: Path,
    data_root: str | None,
    device_name: str,
    keep_encoders: bool = False,
    log: Callable[[str], None] = print,
) -> list[Any]:
    """Submit one job per run (local: ``parallel`` at a time, each wave waited for before the next);
    returns the jobs (``wait`` for them)."""
    executor = _executor(launch, preset_dir / JOBS_FOLDER / "%j")
    runs_dir, jobs = preset_dir / "runs", []
    wave = launch.parallel if launch.launcher == "local" else len(runs)
    for start in range(0, len(runs), max(wave, 1)):
        batch = [
            executor.submit(run_job, experiment, preset, run, runs_dir, data_root, device_name, keep_encoders)
            for run in runs[start : start + wave]
        ]
        for job, run in zip(batch, runs[start : start + wave]):
            log(f"submitted job {job.job_id}: {run.run_id} {run.label}".rstrip())
        if launch.launcher == "local" and start + wave < len(runs):
            for job in batch:
                job.wait()
        jobs += batch
    return jobs


def wait(jobs: list[Any], log: Callable[[str], None] = print) -> None:
    """Block until every job has ended; a job that crashed outside its run is reported, not raised."""
    for job in jobs:
        try:
            log(f"job {job.job_id}: {job.result()}")
        except Exception as error:  # noqa: BLE001 - a crashed job leaves its run pending; the report says so
            log(f"job {job.job_id} FAILED: {str(error).strip().splitlines()[-1] if str(error).strip() else error}")
