"""The reproduction report: one page (``results/REPORT.md``) with every experiment's claim checks, read only
from the committed result files (``<results>/<experiment>/<preset>/claim.json`` and ``results.csv``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.claims import ClaimCheck
from analysis.tables import replace_atomically

NOT_RUN = "NOT RUN"


def _torch_versions(preset_dir: Path) -> str:
    table = preset_dir / "results.csv"
    if not table.exists():
        return "?"
    versions = pd.read_csv(table, usecols=lambda c: c == "torch")
    return ", ".join(sorted(versions["torch"].dropna().astype(str).unique())) if "torch" in versions else "?"


def verdicts(results: Path, experiments: dict[str, str]) -> pd.DataFrame:
    """One row per (experiment, preset) with a claim check, and a NOT RUN row for an experiment without any.
    ``experiments``: id -> figure title, in report order."""
    rows = []
    for name, title in experiments.items():
        claims = sorted((results / name).glob("*/claim.json"))
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
                    "summary": check.summary,
                    "claim": check.claim,
                    "numbers": check.numbers,
                    "torch": _torch_versions(path.parent),
                }
            )
    return pd.DataFrame(rows)


def render(table: pd.DataFrame, results: Path) -> str:
    """Markdown: a summary table, then one section per experiment and preset."""
    lines = [
        "# Reproduction report",
        "",
        "Written by `make report` from the committed result files; every number is from a real run.",
        "",
        "| experiment | preset | verdict |",
        "|---|---|---|",
    ]
    lines += [f"| {r.experiment} | {r.preset or '-'} | {r.verdict} |" for r in table.itertuples()]
    for row in table.itertuples():
        lines += ["", f"## {row.experiment}" + (f" ({row.preset})" if row.preset else ""), "", f"*{row.title}*", ""]
        if row.verdict == NOT_RUN:
            lines.append("No committed results.")
            continue
        figure = results / row.experiment / row.preset / "figure.png"
        lines += [f"**Claim.** {row.claim}", "", f"**Verdict: {row.verdict}.** {row.summary}", ""]
        lines += ["| number | value |", "|---|---|"] + [f"| {k} | {v:.4f} |" for k, v in row.numbers.items()]
        lines += ["", f"torch {row.torch}", "", f"![{row.experiment} {row.preset}]({figure.relative_to(results)})"]
    return "\n".join(lines) + "\n"


def write_report(results: Path, experiments: dict[str, str], path: Path) -> Path:
    text = render(verdicts(results, experiments), results)
    return replace_atomically(path, lambda tmp: tmp.write_text(text))
