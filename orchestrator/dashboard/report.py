"""The end of a run in words: how it ended, why, what to do, where the files are."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.markup import escape

from orchestrator.dashboard.view import loss_text
from orchestrator.supervise.supervisor import Outcome
from orchestrator.supervise.tracker import Tracker

_STYLE = {"succeeded": "bold green", "failed": "bold red", "interrupted": "bold yellow"}


def report_lines(outcome: Outcome, tracker: Tracker, info: Mapping[str, Any]) -> list[str]:
    """Rich-markup lines (escape()d where text comes from outside)."""
    style = _STYLE.get(outcome.state, "bold")
    lines = [f"[{style}]{outcome.state}[/]: {escape(outcome.reason)}"]
    total = f"/{tracker.total_steps}" if tracker.total_steps else ""
    lines.append(f"steps {tracker.step}{total} · loss {loss_text(tracker.loss)}")
    if outcome.final_lora:
        lines.append(f"LoRA: {escape(outcome.final_lora)}")
    elif outcome.last_checkpoint:
        lines.append(f"last checkpoint: {escape(outcome.last_checkpoint)}")
    d = outcome.diagnosis
    if d is not None:
        lines.append(f"[bold]cause:[/] {escape(d.cause)}")
        if d.evidence:
            lines.append(f"[dim]  from: {escape(d.evidence[:300])}[/]")
        lines.append(f"[bold]fix:[/] {escape(d.fix)}")
        if d.tail:
            lines.append(f"[dim]last {len(d.tail)} lines of the trainer:[/]")
            lines += [f"[dim]  {escape(line)}[/]" for line in d.tail]
    if info.get("run"):
        lines.append(f"run folder: {escape(str(info['run']))}")
    return lines


def print_report(console: Console, outcome: Outcome, tracker: Tracker, info: Mapping[str, Any]) -> None:
    for line in report_lines(outcome, tracker, info):
        console.print(line, highlight=False, soft_wrap=True)
