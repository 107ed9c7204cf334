"""A claim check: the paper's claim for a figure, the conditions under which our run can test it (gates),
our numbers, and whether they support it.

The verdict reads in this order:

* a gate failed (the supervised baseline did not learn its task, SimCLR did not beat the untrained
  encoder, the shortcut was never used, ...): INCONCLUSIVE, naming the gate, its value and threshold;
  the experiment could not have shown the effect, so its numbers say nothing about the paper;
* every gate passed: SUPPORTED or NOT SUPPORTED from the claim's own numbers (``supported``);
  ``supported=None`` stays INCONCLUSIVE (the numbers themselves cannot tell, e.g. no gap to narrow).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from training.atomic import replace_atomically


@dataclass
class Gate:
    """A validity condition: ``value`` must be >= ``threshold`` (or <= with ``at_most``); ``meaning`` says
    what a failure means ("too little training to test this claim")."""

    name: str
    value: float
    threshold: float
    meaning: str
    at_most: bool = False

    def __post_init__(self) -> None:
        self.value, self.threshold, self.at_most = float(self.value), float(self.threshold), bool(self.at_most)

    @property
    def passed(self) -> bool:
        return self.value <= self.threshold if self.at_most else self.value >= self.threshold

    def text(self) -> str:
        need = f"needs {'<=' if self.at_most else '>='} {self.threshold:.3f}"
        return f"{self.name} {self.value:.3f}, {need}" + ("" if self.passed else f": {self.meaning}")


def at_least(name: str, value: float, threshold: float, meaning: str) -> Gate:
    return Gate(name, value, threshold, meaning)


def at_most(name: str, value: float, threshold: float, meaning: str) -> Gate:
    return Gate(name, value, threshold, meaning, at_most=True)


@dataclass
class ClaimCheck:
    claim: str
    numbers: dict[str, float]
    supported: bool | None  # the claim's own numbers; None: they cannot tell (read only when every gate passed)
    summary: str
    gates: list[Gate] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.supported is not None:  # numpy booleans from pandas comparisons are not JSON-serializable
            self.supported = bool(self.supported)
        self.numbers = {k: float(v) for k, v in self.numbers.items()}
        self.gates = [g if isinstance(g, Gate) else Gate(**g) for g in self.gates]

    @property
    def failed_gates(self) -> list[Gate]:
        return [g for g in self.gates if not g.passed]

    @property
    def verdict(self) -> str:
        if self.failed_gates:
            return "INCONCLUSIVE"
        return {True: "SUPPORTED", False: "NOT SUPPORTED", None: "INCONCLUSIVE"}[self.supported]

    @property
    def reason(self) -> str:
        """The verdict's one-paragraph reason: the failed gates first (they decide it), then the numbers."""
        failed = "; ".join(g.text() for g in self.failed_gates)
        return f"gate failed: {failed}. Numbers (not a verdict): {self.summary}" if failed else self.summary

    def text(self) -> str:
        gates = "\n".join(f"    [{'pass' if g.passed else 'FAIL'}] {g.text()}" for g in self.gates) or "    (none)"
        numbers = "\n".join(f"    {k}: {v:.4f}" for k, v in self.numbers.items())
        return (
            f"Claim: {self.claim}\nValidity gates:\n{gates}\nOur numbers:\n{numbers}\n"
            f"Verdict: {self.verdict} - {self.reason}"
        )

    def save(self, path: Path) -> None:
        replace_atomically(path, lambda tmp: tmp.write_text(json.dumps(asdict(self), indent=1)))

    @staticmethod
    def load(path: Path) -> ClaimCheck:
        return ClaimCheck(**json.loads(path.read_text()))
