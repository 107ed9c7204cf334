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

import os
import sys

from experiments.arguments import UsageError, parse_args


def main(argv: list[str] | None = None) -> int:
    try:
        args = parse_args(argv, __doc__)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    from experiments.command import run  # imports torch and the suite: after --help and usage errors

    return run(args)


def _closed_reader() -> int:
    """The reader of our output went away (``--print-config | head``): stop quietly, as ``cat`` does."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python's own flush at exit must not fail
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    try:
        code = main()
    except BrokenPipeError:
        code = _closed_reader()
    sys.exit(code)
