"""Speed levers per machine (``training/levers.py``): the CPU kind from its flags, the rule, and what it does to
run ids: committed records keep theirs on the machine kind that made them and no emulated bf16 runs elsewhere."""

from __future__ import annotations

import pytest

import run_experiment
from experiments.registry import EXPERIMENTS
from sweeps.config import compose, run_id, with_levers
from sweeps.grid import build_grid
from sweeps.spec import ConfigError
from training.levers import CPU_RULE, cpu_kind, resolve_levers


@pytest.mark.parametrize(
    ("flags", "kind"),
    [
        ("fpu sse2 avx2 avx512f avx512_bf16 amx_bf16 amx_tile", "amx"),
        ("fpu avx2 avx512f avx512_bf16", "avx512-bf16"),
        ("fpu avx2 avx512f", "avx512"),
        ("fpu sse2 avx2 fma", "avx2"),
        ("fp asimd", "other"),
    ],
)
def test_the_cpu_kind_comes_from_the_feature_flags(flags, kind, tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text(f"processor\t: 0\nmodel name\t: a CPU\nflags\t\t: {flags}\n\nprocessor\t: 1\nflags\t\t: {flags}\n")
    assert cpu_kind(info) == kind
    assert cpu_kind(tmp_path / "missing") == "other"


def test_auto_follows_the_rule_and_explicit_values_pass_through():
    assert resolve_levers("auto", "auto", "cpu", kind="amx")[:2] == ("bf16", True)
    for kind in ("avx512-bf16", "avx512", "avx2", "other"):  # never emulated bf16, never fp32 compilation
        assert resolve_levers("auto", "auto", "cpu", kind=kind)[:2] == ("fp32", False)
    assert resolve_levers("auto", "auto", "cuda")[:2] == ("bf16", False)
    assert resolve_levers("auto", "auto", "cuda", cuda_bf16=False)[:2] == ("fp32", False)
    assert resolve_levers("bf16", "auto", "cpu", kind="avx2")[:2] == ("bf16", False)  # asked for: kept
    assert resolve_levers("fp32", True, "cpu", kind="avx2") == ("fp32", True, "")
    assert set(CPU_RULE) == {"amx", "avx512-bf16", "avx512", "avx2", "other"}


def test_a_lever_preset_re_ids_on_another_cpu_kind_and_a_pinned_one_does_not():
    lever_run = build_grid(EXPERIMENTS["multidigit_size"], "cpu", {})[0].config
    pinned_run = build_grid(EXPERIMENTS["randbit"], "cpu", {})[0].config  # eager fp32, asked for
    for config, moves in ((lever_run, True), (pinned_run, False)):
        ids = {kind: run_id(with_levers(config, "cpu", kind=kind)[0], "mnist-full", "x") for kind in ("amx", "avx2")}
        assert (ids["amx"] != ids["avx2"]) == moves
    resolved, why = with_levers(lever_run, "cpu", kind="avx2")
    assert (resolved.optim.precision, resolved.optim.compile) == ("fp32", False) and "emulated" in why


@pytest.mark.parametrize("value", ["maybe", "2", "yes"])
def test_compile_takes_true_false_or_auto_in_one_line(value):
    config_cls = EXPERIMENTS["randbit"].config_cls
    assert compose(config_cls, {"optim.compile": "auto"}).optim.compile == "auto"
    assert compose(config_cls, {"optim.compile": "TRUE"}).optim.compile is True
    with pytest.raises(ConfigError, match=f"optim.compile='{value}' is not allowed; it must be true, false or auto"):
        compose(config_cls, {"optim.compile": value})


def test_print_config_shows_the_resolved_levers_and_why(capsys):
    assert run_experiment.main(["multidigit_size", "--preset", "cpu", "--print-config", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    kind = cpu_kind()
    precision, compiled = CPU_RULE[kind]
    assert f"# levers (auto) on this CPU: optim.precision={precision}, optim.compile={str(compiled).lower()}" in out
    assert f"(CPU kind {kind}: " in out and "  precision: auto" not in out and "  compile: auto" not in out
