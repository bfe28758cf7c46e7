"""`orchestrator trainer doctor`: check the sd-scripts installation and say how to fix it."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from orchestrator.commands.common import console, print_json

_STYLE = {"ok": "green", "warn": "yellow", "fail": "bold red", "info": "cyan"}


def run(args: argparse.Namespace) -> int:
    from orchestrator.backends.sdscripts.doctor import diagnose

    report = diagnose(Path(args.path) if args.path else None, Path(args.python) if args.python else None)
    if args.json:
        print_json(report.to_json())
        return 0 if report.ok else 1
    table = Table(title="sd-scripts installation", title_justify="left")
    for column in ("check", "", "detail", "fix"):
        table.add_column(column)
    for check in report.checks:
        table.add_row(check.name, f"[{_STYLE[check.status]}]{check.status}[/]", escape(check.detail), escape(check.fix))
    console().print(table)
    console().print("[green]ready to train[/]" if report.ok else "[bold red]not ready:[/] fix the failed checks above")
    return 0 if report.ok else 1
