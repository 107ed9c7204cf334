"""Speed levers chosen per machine: ``optim.precision=auto`` and ``optim.compile=auto`` resolve, before any run, to
what measured fastest on that kind of device (pure Python: ``--print-config`` shows the choice without torch).

The rule, by device and, on a CPU, by its kind (``cpu_kind``, from the CPU's feature flags):

| device | precision auto | compile auto | why |
|---|---|---|---|
| CUDA GPU with bf16 | bf16 | eager | bf16 autocast is the GPU default; compile is not measured on a GPU yet |
| CPU with AMX (Intel Xeon 4th gen+) | bf16 | compiled | 1.5-2.1x a step on the suite's ResNets |
| CPU with AVX512-BF16, no AMX (AMD Zen 4/5) | fp32 | eager | bf16 + compile 0.88-1.34x: no reliable gain |
| any other CPU (AVX2, AVX-512 without bf16, ARM) | fp32 | eager | bf16 is emulated there, several times slower |

The measurements behind each row are in ``benchmarks/README.md`` (``benchmarks/bench_levers.py`` prints this
rule's choice beside its table). ``compile=auto`` compiles only bf16 steps: fp32 compilation of the ResNets
crashed inductor on two of them. The resolved values are what a run records and what its id hashes, so records
are reused on the machine kind that made them and re-run on another.
"""

from __future__ import annotations

from pathlib import Path

AUTO = "auto"
CPU_INFO = Path("/proc/cpuinfo")
# kind -> (precision, compile) that ``auto`` gives on a CPU of that kind
CPU_RULE = {
    "amx": ("bf16", True),
    "avx512-bf16": ("fp32", False),
    "avx512": ("fp32", False),
    "avx2": ("fp32", False),
    "other": ("fp32", False),
}
CPU_WHY = {
    "amx": "AMX bf16 units: bf16 + compile measured 1.5-2.1x a step",
    "avx512-bf16": "AVX512-BF16 without AMX: bf16 + compile measured 0.88-1.34x, no reliable gain",
    "avx512": "no bf16 units: bf16 would be emulated",
    "avx2": "no bf16 units: bf16 would be emulated",
    "other": "no bf16 units known: bf16 would be emulated",
}


def cpu_kind(cpu_info: Path = CPU_INFO) -> str:
    """``amx``, ``avx512-bf16``, ``avx512``, ``avx2`` or ``other``, from the first CPU's feature flags."""
    try:
        text = cpu_info.read_text()
    except OSError:
        return "other"
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
    for kind, flag in (("amx", "amx_bf16"), ("avx512-bf16", "avx512_bf16"), ("avx512", "avx512f"), ("avx2", "avx2")):
        if flag in flags:
            return kind
    return "other"


def resolve_levers(
    precision: str, compile_step: bool | str, device_type: str, cuda_bf16: bool = True, kind: str | None = None
) -> tuple[str, bool, str]:
    """(precision, compile, why) for a run on ``device_type`` (``cpu`` or ``cuda``); explicit values pass
    through, ``auto`` follows the module's rule. ``why`` says what decided an ``auto`` (empty when none was)."""
    if AUTO not in (precision, compile_step):
        return precision, bool(compile_step), ""
    if device_type == "cuda":
        rule, why = ("bf16" if cuda_bf16 else "fp32", False), f"CUDA GPU{'' if cuda_bf16 else ' without bf16'}"
    else:
        kind = kind or cpu_kind()
        rule, why = CPU_RULE[kind], f"CPU kind {kind}: {CPU_WHY[kind]}"
    chosen_precision = rule[0] if precision == AUTO else precision
    chosen_compile = (rule[1] and chosen_precision == "bf16") if compile_step == AUTO else bool(compile_step)
    return chosen_precision, chosen_compile, why
