"""Output helpers shared by the commands: problem lines and consoles."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterable
from typing import Any

from rich.console import Console
from rich.markup import escape

from orchestrator.problems import Problem

_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def collapse_repeats(problems: Iterable[Problem], *, keep: int = 3, keep_errors: int = 10,
                     where: str = "PRESET") -> list[Problem]:  # fmt: skip
    """Past the first few findings of one kind (code and severity), one line counting the rest.

    A dataset of 500 cropped images is one fact, not 500 lines before a run starts; every
    finding stays in `orchestrator dataset check` and in `--json`. Errors keep more lines.
    """
    problems = list(problems)
    counts = Counter((p.code, p.severity) for p in problems if p.code)
    shown: Counter[tuple[str, str]] = Counter()
    result = []
    for p in problems:
        kind = (p.code, p.severity)
        limit = keep_errors if p.severity == "error" else keep
        if not p.code or counts[kind] <= limit + 1:  # one line of "and 1 more" saves nothing
            result.append(p)
            continue
        shown[kind] += 1
        if shown[kind] <= limit:
            result.append(p)
        elif shown[kind] == limit + 1:
            rest = counts[kind] - limit
            result.append(Problem(f"{p.code}", f"{rest} more like the {p.severity}s above",
                                  f"`orchestrator dataset check {where}` lists every one", p.severity, p.code))  # fmt: skip
    return result


def print_problems(problems: Iterable[Problem], stderr: bool = True, *, collapse: str | None = None) -> None:
    """One line per problem: `error: location: what is wrong. Fix`.

    `collapse`: the preset (or folder) the problems came from; long runs of one kind are then
    cut to a few lines and a count (see `collapse_repeats`).
    """
    out = console(stderr)
    if collapse is not None:
        problems = collapse_repeats(problems, where=collapse)
    for p in problems:
        out.print(f"[{_STYLE[p.severity]}]{p.severity}[/]: {escape(p.line())}")


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
