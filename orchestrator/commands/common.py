"""Output helpers shared by the commands: problem lines and consoles."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import Any

from rich.console import Console
from rich.markup import escape

from orchestrator.problems import Problem

_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def print_problems(problems: Iterable[Problem], stderr: bool = True) -> None:
    """One line per problem: `error: location: what is wrong. Fix`."""
    out = console(stderr)
    for p in problems:
        out.print(f"[{_STYLE[p.severity]}]{p.severity}[/]: {escape(p.line())}")


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
