"""Configuration: every bad value is refused in one line, exit 2, before any data loads or anything is written;
dotted overrides, comma sweeps, --print-config, and which fields apply to which run."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

import run_experiment
from experiments.multidigit_size import MultiDigitSizeRun
from experiments.registry import EXPERIMENTS
from sweeps.config import compose, read_view
from sweeps.grid import build_grid, parse_overrides
from sweeps.spec import ConfigError


@pytest.fixture
def no_data_loading(monkeypatch):
    """Fail the test if any experiment asks for its data (validation must come first)."""
    for name, experiment in list(EXPERIMENTS.items()):

        def refuse(config, data_root):
            raise AssertionError("data was loaded before the configuration was checked")

        monkeypatch.setitem(EXPERIMENTS, name, dataclasses.replace(experiment, data_source=refuse))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["randbit", "--set", "optim.epochs=-1"], "optim.epochs=-1 is not allowed; it must be in [1, 100000]"),
        (["randbit", "--set", "data.n_train=-5"], "data.n_train=-5 is not allowed; it must be in [0, 10000000]"),
        (["randbit", "--set", "eval.probe_epochs=0"], "eval.probe_epochs=0 is not allowed; it must be in [1, 10000]"),
        (
            ["randbit", "--set", "augment.crop_min_scale=2"],
            "augment.crop_min_scale=2.0 is not allowed; it must be in (0, 1]",
        ),
        (
            ["randbit", "--set", "augment.crop_min_scale=nan"],
            "augment.crop_min_scale=nan is not allowed; it must be a finite",
        ),
        (
            ["randbit", "--set", "augment.color_strength=-5"],
            "augment.color_strength=-5.0 is not allowed; it must be in [0, 1]",
        ),
        (
            ["randbit", "--set", "loss.temperature=True"],
            "loss.temperature='True' is not allowed; it must be of type float",
        ),
        (
            ["randbit", "--set", "loss.temperature=1e-40"],
            "loss.temperature=1e-40 is not allowed; it must be in [0.001, 1000]",
        ),
        (
            ["randbit", "--set", "loss.temperature=0"],
            "loss.temperature=0.0 is not allowed; it must be in [0.001, 1000]",
        ),
        (["randbit", "--set", "loss.name=decoupled_nt_xent", "loss.scaling=nan"], "loss.scaling=nan is not allowed"),
        (["randbit", "--set", "loss.temperature=0.1,0"], "loss.temperature=0.0 is not allowed"),
        (["randbit", "--set", "optim.epochs=ten"], "optim.epochs='ten' is not allowed; it must be of type int"),
        (["randbit", "--set", "optim.batch_size=1.5"], "optim.batch_size='1.5' is not allowed; it must be of type int"),
        (["randbit", "--set", "data.n_bits=0,99"], "data.n_bits=99 is not allowed; it must be in [0, 30]"),
        (
            ["randbit", "--set", "data.images=imagenet"],
            "data.images='imagenet' is not allowed; it must be one of mnist",
        ),
        (
            ["randbit", "--set", "method.name=swav"],
            "method.name='swav' is not allowed; it must be one of autoencoder, byol, moco, pixels, random, simclr, "
            "supervised",
        ),
        (["randbit", "--set", "optim.warmup_epochs=20"], "optim.warmup_epochs=20 must be <= optim.epochs=5"),
        (["randbit", "--set", "data.n_train=100"], "optim.batch_size=128 must be <= data.n_train=100"),
        (["randbit", "--set", "colour=1"], "unknown key 'colour'"),
        (["randbit", "--set", "temperature=0.1"], "unknown key 'temperature'; did you mean loss.temperature?"),
        (["randbit", "--set", "optim.lr"], "--set 'optim.lr' must look like section.key=value"),
        (["randbit", "--set", "optim.lr=1e-3,"], "--set 'optim.lr=1e-3,' must look like section.key=value"),
        (["randbit", "--set", "method.name=supervised", "loss.temperature=0.2"], "--set loss.temperature: no run of"),
        (["randbit", "--set", "loss.lam=0.5"], "loss.name=nt_xent reads only temperature, scaling"),
        (["randbit", "--set", "seed=1", "--seeds", "0,1"], "give the seeds once"),
        (["randbit", "--seeds", "a,b"], "--seeds 'a,b' must be comma-separated integers"),
        (["randbit", "--set", "seed=-1"], "seed=-1 is not allowed"),
        (["multidigit_size", "--set", "data.large_size=100"], "must be <= data.canvas_size=84"),
        (
            ["multidigit_count", "--set", "data.placement=in_grid", "data.n_digits=16"],
            "data.n_digits=16 is more than the 4 cells of the in-grid layout (2 x 2 cells of 28 px on a 56 px canvas)",
        ),
        (["multidigit_count", "--set", "data.n_digits=0"], "data.n_digits=0 is not allowed; it must be in [1, 64]"),
        (["multidigit_count", "--set", "data.digit_size=100"], "data.digit_size=100 must be <= data.canvas_size=56"),
        (
            ["digit_on_image", "--set", "data.digit_size=28"],
            "data.digit_size=28 does not fit the 3 x 3 digit pattern on a 56 px image",
        ),
        (
            ["digit_on_image", "--set", "data.n_unique=1,70000"],
            "data.n_unique=70000 is not allowed; it must be in [1, 60000]",
        ),
        (["digit_on_image", "--set", "data.images=imagenet"], "data.images='imagenet' is not allowed"),
        (
            ["generalized_losses", "--set", "loss.name=swd_normal", "loss.temperature=0.1"],
            "--set loss.temperature: no run of this grid reads it (loss.name=swd_normal reads only lam, scaling)",
        ),
        (["batch_size", "--set", "optim.lr_scaling=cubic"], "optim.lr_scaling='cubic' is not allowed"),
        (
            ["nonexistent"],
            "experiment 'nonexistent' is unknown; choose one of generalized_losses, batch_size, multidigit_count",
        ),
        (["randbit", "--preset", "huge"], "--preset 'huge' is unknown for randbit; choose one of smoke, quick"),
        (["randbit", "--out", ""], "--out '' is empty"),
        # keys the run would not read, booleans, MoCo's queue, a key twice, empty or missing folders, argparse
        (["randbit", "--set", "data.image_size=64"], "no run of this grid reads it (data.images=mnist stays 28 x 28)"),
        (["randbit", "--set", "model.width=7"], "reads it (model.encoder=convn has a fixed width and stem)"),
        (["randbit", "--set", "model.stem_stride=3"], "reads it (model.encoder=convn has a fixed width and stem)"),
        (["randbit", "--set", "optim.momentum=0.5"], "reads it (optim.optimizer=adam has no momentum setting"),
        (["randbit", "--set", "model.head_bias=2"], "model.head_bias='2' is not allowed; it must be true or false"),
        (["randbit", "--set", "augment.flip=yes"], "augment.flip='yes' is not allowed; it must be true or false"),
        (
            ["randbit_methods", "--preset", "smoke", "--set", "method.queue_size=8"],
            "method.queue_size=8 must be >= optim.batch_size=64 (each step enqueues a whole batch of keys)",
        ),
        (["randbit", "--set", "optim.lr=1e-3", "optim.lr=2e-3"], "--set optim.lr is given twice"),
        (["randbit", "--set", "seed=1", "--set", "seed=2"], "--set seed is given twice"),
        (["randbit", "--data-root", ""], "--data-root '' is empty"),
        (["randbit", "--compare-to", "no/such/folder"], "--compare-to 'no/such/folder' is not an existing folder"),
        (["--report", "--out", ""], "--out '' is empty"),
        (
            ["--report", "--out", "no/such/folder"],
            "--out 'no/such/folder' holds no results (<experiment>/<preset>/runs/); name one that does",
        ),
        (["randbit", "--no-such-option"], "unrecognized arguments: --no-such-option (see --help)"),
        (["randbit", "--device", "tpu"], "device 'tpu' is unknown"),
        (
            ["randbit_methods", "--set", "method.name=byol", "model.head_depth=0"],
            "model.head_depth=0 is not allowed with method.name=byol; it must be >= 1",
        ),
        (["randbit", "--set", "loss.temperature=0.1,0.1"], "--set 'loss.temperature=0.1,0.1' sweeps '0.1' twice"),
        (["randbit", "--out", "scratch\nout"], "--out 'scratch\\nout' is not allowed: it holds a newline"),
        (["randbit", "--plot-only"], "holds no run records to plot; run the sweep first (without --plot-only)"),
        (["multidigit_size", "--set", "optim.compile=maybe"], "optim.compile='maybe' is not allowed"),
        (
            ["multidigit_size", "--preset", "smoke", "--device", "cpu", "--set", "optim.memory_format=channels_last"],
            "optim.memory_format='channels_last' is not allowed for model.encoder='resnet18' in fp32 on CPU",
        ),
    ],
)
def test_bad_input_is_one_line_exit_2_before_any_data_and_nothing_written(
    args, message, tmp_path, capsys, no_data_loading
):
    out = ["--out", str(tmp_path / "out")] if "--out" not in args else []
    assert run_experiment.main([*args, *out]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and "\n" not in err
    assert not any(tmp_path.iterdir())


def test_out_must_be_a_writable_folder(tmp_path, capsys, no_data_loading):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a folder")
    for out, message in ((a_file, "is a file, not a folder"), (a_file / "sub", "is a file, not a folder")):
        assert run_experiment.main(["randbit", "--out", str(out)]) == 2
        assert message in capsys.readouterr().err
        assert run_experiment.main(["--report", "--out", str(out)]) == 2
        assert message in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_unwritable_out_is_refused(tmp_path, capsys, monkeypatch, no_data_loading):
    monkeypatch.setattr(run_experiment.os, "access", lambda path, mode: False)
    assert run_experiment.main(["randbit", "--out", str(tmp_path / "new")]) == 2
    assert "is not writable" in capsys.readouterr().err and not any(tmp_path.iterdir())


def test_seed_is_a_key_like_any_other():
    grid = build_grid(EXPERIMENTS["randbit"], "smoke", parse_overrides(["seed=5,6"]))
    assert sorted({run.config.seed for run in grid}) == [5, 6] and len(grid) == 4
    assert [r.config.seed for r in build_grid(EXPERIMENTS["randbit"], "smoke", {}, seeds=(3,))] == [3, 3]


def test_comma_list_sweeps_any_key_and_single_values_override_the_preset():
    grid = build_grid(EXPERIMENTS["randbit"], "smoke", parse_overrides(["optim.lr=3e-3", "loss.temperature=0.05,0.2"]))
    assert {(r.config.optim.lr, r.config.loss.temperature) for r in grid} == {(3e-3, 0.05), (3e-3, 0.2)}
    assert len(grid) == 4 and grid[0].label == "loss.temperature=0.05 data.n_bits=0"


def test_a_section_holds_only_what_the_run_reads():
    supervised = compose(MultiDigitSizeRun, {"method.name": "supervised"})
    assert "loss" not in read_view(supervised) and "head_depth" not in read_view(supervised)["model"]
    swd = compose(MultiDigitSizeRun, {"loss.name": "swd_normal"})
    assert set(read_view(swd)["loss"]) == {"name", "lam", "scaling"}
    assert set(read_view(compose(MultiDigitSizeRun, {"method.name": "random"}))) == {
        "data",
        "model",
        "method",
        "eval",
        "seed",
    }


def test_values_that_switch_fields_off_make_runs_differing_only_there_one_run(tmp_path, capsys, no_data_loading):
    # Without colour distortion there is no grayscale either: the two grayscale variants share the strength-0 run.
    grid = build_grid(EXPERIMENTS["color_distortion"], "quick", {})
    undistorted = [run for run in grid if run.config.augment.color_strength == 0]
    assert len(undistorted) == 3 and len(grid) == 3 * (7 + 2)  # per seed: 7 SimCLR runs, one run of each floor
    assert "gray_prob" not in read_view(undistorted[0].config)["augment"]
    args = ["randbit", "--preset", "smoke", "--set", "augment.gray_prob=0.5", "--out", str(tmp_path)]
    assert run_experiment.main(args) == 2
    assert "augment.gray_prob: no run of this grid reads it (augment.color_strength=0 disables colour distortion)" in (
        capsys.readouterr().err
    )


def test_print_config_shows_every_run_as_yaml_and_runs_nothing(tmp_path, capsys, no_data_loading):
    assert run_experiment.main(["multidigit_size", "--preset", "quick", "--print-config", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# multidigit_size --preset quick: 8 runs") and out.count("---\n# run ") == 8
    assert "  temperature: 0.2\n" in out and "method.name=random" in out and "method.name=pixels" in out
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("experiment", sorted(EXPERIMENTS))
def test_every_preset_of_every_experiment_is_valid(experiment):
    for preset in EXPERIMENTS[experiment].presets:
        assert build_grid(EXPERIMENTS[experiment], preset, {})  # composes and validates every run


def test_compose_names_the_key_of_a_wrong_type():
    with pytest.raises(ConfigError, match=r"^model.width='wide' is not allowed; it must be of type int$"):
        compose(MultiDigitSizeRun, {"model.width": "wide"})


def test_help_list_and_bad_values_answer_without_importing_torch():
    """Everything the command line can answer before a run starts loads no torch, pandas or matplotlib (the
    experiment declarations are torch-free; runs and analysis load on first use), so it answers at once."""
    code = (
        "import sys, run_experiment\n"
        "for argv in (['--help'], ['--no-such-option'], ['--list'], ['randbit', '--set', 'optim.lr=-1'],\n"
        "             ['kmeans_features', '--preset', 'nope'],\n"
        "             ['multidigit_size', '--preset', 'cpu', '--print-config']):\n"
        "    try:\n"
        "        run_experiment.main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print('heavy imported:', [m for m in ('torch', 'pandas', 'matplotlib', 'sklearn') if m in sys.modules])\n"
    )
    root = Path(run_experiment.__file__).parent
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, timeout=60)
    assert "usage:" in done.stdout and "heavy imported: []" in done.stdout
    assert "error: unrecognized arguments: --no-such-option (see --help)" in done.stderr
    assert "error: optim.lr=-1.0 is not allowed" in done.stderr and "--preset 'nope' is unknown" in done.stderr
    assert "multidigit_size --preset cpu" in done.stdout  # --list and --print-config answered


def test_print_config_into_a_reader_that_stops_early_ends_quietly():
    """``run_experiment.py ... --print-config | head``: no BrokenPipeError traceback, exit 0."""
    import subprocess
    import sys

    command = [sys.executable, "run_experiment.py", "randbit", "--preset", "paper", "--print-config"]  # 55 runs
    root = Path(__file__).resolve().parents[1]
    reader = subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    reader.stdout.readline()
    reader.stdout.close()  # as head does after its lines
    assert reader.wait(timeout=60) == 0
    assert b"Traceback" not in reader.stderr.read()
