"""`orchestrator plan PRESET`: subjects, buckets and the exact steps sd-scripts will print."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.table import Table

from orchestrator.commands.common import console, print_json, print_problems
from orchestrator.preflight import Preflight, preflight


def _display_path(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def plan_report(pf: Preflight) -> dict[str, Any]:
    p, s = pf.project, pf.steps
    subjects = [
        {
            "subject": inv.subject,
            "trigger": p.subjects[inv.subject_index].trigger,
            "folder": _display_path(inv.folder),
            "regularisation": inv.is_reg,
            "images": len(inv.images),
            "repeats": inv.repeats,
            "images_x_repeats": len(inv.images) * inv.repeats,
        }
        for inv in pf.inventory
    ]
    buckets = [
        {"resolution": list(b.resolution), "count": b.count, "batches": b.batches}
        for dataset in s.buckets
        for b in dataset
    ]
    t = p.training
    return {
        "project": p.name,
        "backend": p.trainer.backend,
        "subjects": subjects,
        "buckets": buckets,
        "num_train_images": s.num_train_images,
        "num_reg_images": s.num_reg_images,
        "batches_per_epoch": s.batches_per_epoch,
        "epochs": s.epochs,
        "total_steps": s.total_steps,
        "steps_from": s.steps_source,
        "batch_size": t.batch_size,
        "gradient_accumulation_steps": t.gradient_accumulation_steps,
        "num_processes": p.launch.num_processes,
        "effective_batch_size": t.batch_size * t.gradient_accumulation_steps * p.launch.num_processes,
        "problems": [problem.to_json() for problem in pf.problems],
        "dataset": pf.doctor.to_json() if pf.doctor else None,
    }


def render(report: dict[str, Any]) -> None:
    out = console()
    subjects = Table(title=f"{report['project']} — subjects", title_justify="left")
    for column in ("subject", "trigger", "images", "repeats", "images × repeats", "folder"):
        subjects.add_column(column, justify="right" if column in ("images", "repeats", "images × repeats") else "left")
    for row in report["subjects"]:
        name = row["subject"] + (" (reg)" if row["regularisation"] else "")
        subjects.add_row(name, row["trigger"], str(row["images"]), str(row["repeats"]), str(row["images_x_repeats"]), row["folder"])
    out.print(subjects)

    buckets = Table(title="buckets", title_justify="left")
    for column in ("resolution", "images × repeats", "batches", ""):
        buckets.add_column(column, justify="left" if column in ("resolution", "") else "right")
    widest = max((b["count"] for b in report["buckets"]), default=1)
    for b in report["buckets"]:
        bar = "█" * max(1, round(30 * b["count"] / widest))
        buckets.add_row(f"{b['resolution'][0]}×{b['resolution'][1]}", str(b["count"]), str(b["batches"]), bar)
    out.print(buckets)

    steps = Table(title="steps (as sd-scripts will print them)", title_justify="left", show_header=False)
    steps.add_column("what")
    steps.add_column("value", justify="right")
    rows = [
        ("num train images * repeats", report["num_train_images"]),
        ("num reg images", report["num_reg_images"]),
        ("num batches per epoch", report["batches_per_epoch"]),
        ("num epochs", report["epochs"]),
        ("effective batch (batch × accumulation × processes)", report["effective_batch_size"]),
        ("total optimization steps", report["total_steps"]),
    ]
    for what, value in rows:
        steps.add_row(what, f"[bold]{value}[/]" if what.startswith("total") else str(value))
    out.print(steps)


def run(args: argparse.Namespace) -> int:
    pf = preflight(args.preset, args.overrides, allow_pickle=args.allow_pickle)
    report = plan_report(pf)
    if args.json:
        print_json(report)
        return 0
    render(report)
    if pf.doctor is not None:
        from orchestrator.dataset.report_view import render_summary

        render_summary(pf.doctor, console(), details=False)  # its findings are among the lines below
        triggers = [p for p in pf.doctor.problems if p.code == "trigger-tokens"]
        print_problems(triggers, stderr=False)
    print_problems([p for p in pf.problems if p.code != "trigger-tokens"], stderr=False, collapse=args.preset)
    return 0
