"""The doctor's report on a terminal: folders, buckets and steps, triggers, findings by kind.

Findings are grouped by code, errors first, each group with its count and (when every
finding in it shares one) its fix once; long groups are cut with a pointer to `--json`.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from orchestrator.dataset.doctor import DoctorReport
from orchestrator.problems import Problem

STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
MARK = {"error": "✗", "warning": "!", "info": "·"}
SHOWN_PER_GROUP = 8
_TRIGGER_CODES = frozenset(("trigger-tokens",))


def short(path: str) -> str:
    """A path relative to the working directory when it lies below it."""
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return path


def _folders_table(report: DoctorReport) -> Table:
    table = Table(title="folders", title_justify="left")
    for col, right in (("subject / folder", False), ("images", True), ("captioned", True), ("repeats", True),
                       ("× repeats", True), ("formats", False)):  # fmt: skip
        table.add_column(col, justify="right" if right else "left")
    for f in report.folders:
        t = f.target
        name = escape(t.subject + (" (reg)" if t.is_reg else ""))
        if t.folder.name != t.subject:
            name += f"\n[dim]{escape(short(str(t.folder)))}[/]"
        formats = ", ".join(f"{v} {k.lstrip('.')}" for k, v in f.formats.items())
        formats += f"\n[yellow]{f.skipped} skipped[/]" if f.skipped else ""
        table.add_row(name, str(f.images), f"{f.captioned}/{f.images}", str(t.repeats), str(f.images * t.repeats), formats)
    return table


def _buckets_table(report: DoctorReport) -> Table | None:
    b = report.buckets
    if not b:
        return None
    table = Table(title="buckets (as sd-scripts assigns them)", title_justify="left")
    for col in ("resolution", "images", "× repeats", "batches/epoch", ""):
        table.add_column(col, justify="left" if col in ("resolution", "") else "right")
    for row in b["buckets"]:
        w, h = row["resolution"]
        table.add_row(f"{w}×{h}", str(row["images"]), str(row["images_x_repeats"]), str(row["batches_per_epoch"]), row["bar"])
    return table


def _steps_line(report: DoctorReport) -> str:
    b = report.buckets
    if not b:
        return ""
    source = {"epochs": f"{b['epochs']} epochs", "max_train_steps": "max_steps", "default": "sd-scripts' default"}[b["steps_from"]]
    return (f"{b['num_train_images']} images × repeats, {b['batches_per_epoch']} batches per epoch, "
            f"[bold]{b['total_steps']}[/] total steps ({source}); mean aspect error {b['mean_ar_error']:.3f}")  # fmt: skip


def _group_lines(code: str, items: list[Problem]) -> list[str]:
    severity = items[0].severity
    fixes = {p.fix for p in items}
    head = f"[{STYLE[severity]}]{MARK[severity]} {code}[/] ({severity}, {len(items)})"
    if len(fixes) == 1 and len(items) > 1 and items[0].fix:
        head += f" — {escape(items[0].fix)}"
    lines = [head]
    for p in items[:SHOWN_PER_GROUP]:
        text = f"{short(p.location)}: {p.message}" if p.location else p.message
        if p.fix and (len(fixes) > 1 or len(items) == 1):
            text += f". {p.fix}"
        lines.append("    " + escape(text))
    if len(items) > SHOWN_PER_GROUP:
        lines.append(f"    … and {len(items) - SHOWN_PER_GROUP} more (all of them with --json)")
    return lines


def finding_lines(problems: list[Problem]) -> list[str]:
    groups: dict[str, list[Problem]] = defaultdict(list)
    for p in problems:
        if p.code not in _TRIGGER_CODES:
            groups[p.code or "other"].append(p)
    lines: list[str] = []
    for code, items in groups.items():  # problems arrive sorted by severity
        lines += _group_lines(code, items)
    return lines


def render_report(report: DoctorReport, out: Console) -> None:
    out.print(_folders_table(report))
    table = _buckets_table(report)
    if table is not None:
        out.print(table)
        out.print(_steps_line(report))
    triggers = [p for p in report.problems if p.code in _TRIGGER_CODES]
    if triggers:
        out.print("[bold]triggers[/]")
        for p in triggers:
            out.print(f"    {escape(p.line())}")
    lines = finding_lines(report.problems)
    if lines:
        out.print("[bold]findings[/]")
        for line in lines:
            out.print(line)
    out.print(render_summary_text(report))


def render_summary_text(report: DoctorReport) -> str:
    style = "bold red" if report.errors else ("yellow" if report.count("warning") else "green")
    mark = "✗" if report.errors else ("!" if report.count("warning") else "✓")
    return f"[{style}]{mark}[/] {escape(report.summary())}"


def render_summary(report: DoctorReport, out: Console, *, details: bool = True) -> None:
    """Compact form for `plan`: the summary line and the findings, without the tables."""
    out.print(render_summary_text(report))
    if details:
        for line in finding_lines([p for p in report.problems if p.severity != "info"]):
            out.print(line)
