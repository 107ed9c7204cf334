"""A claim check: the paper's claim for a figure, our numbers, and whether they support it."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass
class ClaimCheck:
    claim: str
    numbers: dict[str, float]
    supported: bool
    summary: str

    def __post_init__(self) -> None:
        self.supported = bool(self.supported)  # numpy booleans from pandas comparisons are not JSON-serializable
        self.numbers = {k: float(v) for k, v in self.numbers.items()}

    def text(self) -> str:
        verdict = "SUPPORTED" if self.supported else "NOT SUPPORTED"
        numbers = "\n".join(f"    {k}: {v:.4f}" for k, v in self.numbers.items())
        return f"Claim: {self.claim}\nOur numbers:\n{numbers}\nVerdict: {verdict} - {self.summary}"

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=1))

    @staticmethod
    def load(path: Path) -> ClaimCheck:
        return ClaimCheck(**json.loads(path.read_text()))
