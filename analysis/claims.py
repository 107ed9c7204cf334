"""A claim check: the paper's claim for a figure, our numbers, and whether they support it (or cannot tell)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from analysis.tables import replace_atomically


@dataclass
class ClaimCheck:
    claim: str
    numbers: dict[str, float]
    supported: bool | None  # None: INCONCLUSIVE (the run cannot tell, e.g. nothing was learned at all)
    summary: str

    def __post_init__(self) -> None:
        if self.supported is not None:  # numpy booleans from pandas comparisons are not JSON-serializable
            self.supported = bool(self.supported)
        self.numbers = {k: float(v) for k, v in self.numbers.items()}

    @property
    def verdict(self) -> str:
        return {True: "SUPPORTED", False: "NOT SUPPORTED", None: "INCONCLUSIVE"}[self.supported]

    def text(self) -> str:
        verdict = self.verdict
        numbers = "\n".join(f"    {k}: {v:.4f}" for k, v in self.numbers.items())
        return f"Claim: {self.claim}\nOur numbers:\n{numbers}\nVerdict: {verdict} - {self.summary}"

    def save(self, path: Path) -> None:
        replace_atomically(path, lambda tmp: tmp.write_text(json.dumps(asdict(self), indent=1)))

    @staticmethod
    def load(path: Path) -> ClaimCheck:
        return ClaimCheck(**json.loads(path.read_text()))
