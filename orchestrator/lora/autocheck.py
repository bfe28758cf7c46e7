"""The health check run right after a successful training, so "my LoRA does nothing" shows at once.

It never fails the run: findings go to a few warning lines on stderr (after the end
report, and out of the way of `--json` on stdout) and to `health` in status.json
(metrics.jsonl stays the trainer's events, ending with `exit`).
"""

from __future__ import annotations

from pathlib import Path

from orchestrator.lora.health import HealthReport, check
from orchestrator.lora.reader import read_lora
from orchestrator.problems import Problem, ProjectInvalid
from orchestrator.runs.layout import RunFolder
from orchestrator.runs.status import read_status, write_status


def health_of(path: Path) -> HealthReport:
    try:
        return check(read_lora(path))
    except ProjectInvalid as exc:
        return HealthReport(str(path), 0, 0, list(exc.problems))
    except Exception as exc:  # noqa: BLE001 - a bug in the check must not turn a finished run into a crash
        return HealthReport(str(path), 0, 0, [Problem(str(path), f"the health check itself failed ({exc!r})",
                                                      "Run `orchestrator lora inspect` on the file and report the bug", "warning", "health-crashed")])  # fmt: skip


def record(folder: RunFolder, report: HealthReport) -> None:
    """`health` in status.json, the rest of the status as written."""
    status = read_status(folder.status)
    if status is not None:
        status.health = report.to_json()
        write_status(folder.status, status)


def announce(report: HealthReport) -> None:
    from rich.markup import escape

    from orchestrator.commands.common import console

    out = console(stderr=True)
    if report.state == "ok":
        out.print(f"LoRA health: ok ({report.modules} modules, {report.tensors} tensors)")
        return
    # Warnings, whatever the finding's severity: the run itself succeeded.
    for p in [p for p in report.problems if p.severity != "info"] or report.problems:
        out.print(f"[yellow]warning[/]: LoRA health {report.state}: {escape(p.line())}")
    out.print(f"[dim]  details: orchestrator lora inspect {escape(report.file)}[/]")


def after_training(folder: RunFolder, final_lora: str | None, *, quiet: bool = False) -> HealthReport | None:
    if not final_lora:
        return None
    report = health_of(Path(final_lora))
    record(folder, report)
    if not quiet:
        announce(report)
    return report
