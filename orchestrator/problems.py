"""One shape for every user-facing finding: where, what is wrong, and the fix.

Validation errors, dataset-doctor findings, lint warnings and compile warnings are
all `Problem`s, collected and reported together, one line each:
``subjects[1].repeats: must be ≥ 1 (got 0). Set repeats to 1 or more.``
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Problem:
    location: str  # as the user wrote it: `subjects[1].repeats`, a file path, `presets/x.toml:12`
    message: str  # what is wrong, with the offending value
    fix: str = ""  # the rule or what to do about it
    severity: Severity = "error"
    code: str = ""  # stable identifier for tools and tests, e.g. "unknown-key"

    def line(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        if self.fix:
            text = f"{text.rstrip('.')}. {self.fix}"
        return text

    def to_json(self) -> dict:
        return asdict(self)


class ProjectInvalid(Exception):
    """Raised with every problem found; the CLI prints them and exits 2."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(p.line() for p in problems))


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]
