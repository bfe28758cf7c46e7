"""`orchestrator runs list|show|diff|rerun|resume|rm`: the run history."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
from typing import Any

from rich.markup import escape
from rich.table import Table

from orchestrator.commands.common import console, print_json, print_problems
from orchestrator.runs.index import RunInfo, all_runs, final_loss, metrics_summary, resolve
from orchestrator.runs.status import pid_alive


def _when(timestamp: float | None) -> str:
    return dt.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M") if timestamp else "-"


def _duration(seconds: float | None) -> str:
    from orchestrator.dashboard.view import duration

    return duration(seconds) if seconds is not None else "-"


def _row(run: RunInfo) -> dict[str, Any]:
    s = run.status
    total = f"/{s.total_steps}" if s.total_steps else ""
    return {
        "name": run.name,
        "status": s.state,
        "started": s.started or s.created,
        "duration": s.duration,
        "steps": f"{s.step}{total}",
        "final_loss": final_loss(run.folder) if s.loss is None else s.loss,
        "output": s.final_lora or s.last_checkpoint,
        "backend": s.backend,
        "path": str(run.folder.path),
    }


def cmd_list(args: argparse.Namespace) -> int:
    rows = [_row(r) for r in all_runs()]
    if getattr(args, "json", False):
        print_json(rows)
        return 0
    if not rows:
        console().print("no runs yet: start one with `orchestrator run PRESET`")
        return 0
    table = Table(box=None, pad_edge=False)
    for column in ("run", "status", "start", "duration", "steps", "loss"):
        table.add_column(column, no_wrap=True)
    table.add_column("output", overflow="fold", min_width=12)
    style = {"succeeded": "green", "failed": "red", "interrupted": "yellow", "orphaned": "magenta", "running": "cyan", "unreadable": "red"}
    for row in rows:
        loss = f"{row['final_loss']:.4f}" if row["final_loss"] is not None else "-"
        output = row["output"].rsplit("/", 1)[-1] if row["output"] else "-"
        state = f"[{style.get(row['status'], '')}]{row['status']}[/]" if row["status"] in style else row["status"]
        table.add_row(escape(row["name"]), state, _when(row["started"])[5:], _duration(row["duration"]), row["steps"], loss, escape(output))
    out = console()
    if not out.is_terminal:
        out.width = 160  # piped into a file or grep: keep every column
    out.print(table)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from orchestrator.runs.manifest import read_manifest

    run = resolve(args.run)
    manifest = read_manifest(run.folder.manifest)
    metrics = metrics_summary(run.folder)
    if args.json:
        print_json({"name": run.name, "path": str(run.folder.path), "status": run.status.to_json(), "metrics": metrics, "manifest": manifest})
        return 0
    out = console()
    s = run.status
    out.print(f"[bold]{escape(run.name)}[/]  {s.state}  ({escape(s.reason) or '-'})")
    out.print(f"folder    {escape(str(run.folder.path))}")
    out.print(f"backend   {s.backend} · trainer {escape(str(manifest.get('trainer', {}).get('version') or '-'))}")
    out.print(f"started   {_when(s.started)} · duration {_duration(s.duration)}")
    total = f"/{s.total_steps}" if s.total_steps else ""
    out.print(f"steps     {s.step}{total} · epoch {s.epoch}/{s.epochs or '?'} · exit code {s.exit_code}")
    loss = metrics.get("final_loss")
    out.print(f"loss      final {loss if loss is None else f'{loss:.4f}'} · min {metrics.get('min_loss')} · {metrics.get('it_per_s') or '-'} it/s")
    out.print(f"LoRA      {escape(s.final_lora or '-')}")
    if s.last_checkpoint and s.last_checkpoint != s.final_lora:
        out.print(f"last checkpoint {escape(s.last_checkpoint)}")
    if s.resumed_from:
        out.print(f"resumed from {escape(s.resumed_from)}")
    if s.diagnosis:
        d = s.diagnosis
        out.print(f"[bold]cause[/]     {escape(d.get('cause', ''))}")
        if d.get("evidence"):
            out.print(f"[dim]from      {escape(d['evidence'][:300])}[/]")
        out.print(f"[bold]fix[/]       {escape(d.get('fix', ''))}")
        for line in d.get("tail") or []:
            out.print(f"[dim]  {escape(line)}[/]")
    dataset = manifest.get("dataset", {})
    files = sum(len(sub.get("files", [])) for sub in dataset.get("subsets", []))
    out.print(f"dataset   {files} files · sha256 {str(dataset.get('sha256', '-'))[:16]}…")
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from orchestrator.runs.diff import project_diff, read_project

    a, b = resolve(args.run), resolve(args.other)
    rows = project_diff(read_project(a.folder.project_toml), read_project(b.folder.project_toml))
    ma, mb = metrics_summary(a.folder), metrics_summary(b.folder)
    metric_rows = [("status", a.status.state, b.status.state), ("duration_s", a.status.duration, b.status.duration)]
    metric_rows += [(key, ma[key], mb[key]) for key in ma]
    if args.json:
        print_json({"a": a.name, "b": b.name, "project": [{"key": k, "a": x, "b": y} for k, x, y in rows],
                    "metrics": [{"key": k, "a": x, "b": y} for k, x, y in metric_rows]})  # fmt: skip
        return 0
    out = console()
    table = Table(title="project", box=None, title_justify="left")
    for column in ("key", a.name, b.name):
        table.add_column(escape(column), overflow="fold")
    for key, x, y in rows:
        table.add_row(escape(key), escape(json.dumps(x, default=str)), escape(json.dumps(y, default=str)))
    if rows:
        out.print(table)
    else:
        out.print("project: identical")
    metrics = Table(title="metrics", box=None, title_justify="left")
    for column in ("metric", a.name, b.name):
        metrics.add_column(escape(column))
    for key, x, y in metric_rows:
        fmt = (lambda v: f"{v:.4g}" if isinstance(v, float) else str(v if v is not None else "-"))
        metrics.add_row(key, fmt(x), fmt(y))
    out.print(metrics)
    return 0


def _again(args: argparse.Namespace, resume: bool) -> int:
    from orchestrator.commands.run_cmd import launch
    from orchestrator.runs.diff import read_project
    from orchestrator.runs.store import prepare

    run = resolve(args.run)
    extra: list[str] = []
    if resume:
        from orchestrator.runs.resume import resume_overrides

        extra = resume_overrides(run, force=args.force)
    name = read_project(run.folder.project_toml).get("name")
    prepared = prepare(run.folder.project_toml, [], backend=args.backend or run.status.backend or None, name=name,
                       extra_overrides=extra, resumed_from=run.name if resume else None)  # fmt: skip
    if not args.json:
        console().print(f"{'resuming' if resume else 'rerunning'} {escape(run.name)} → {escape(prepared.folder.name)}")
    return launch(prepared, args.json, str(run.folder.project_toml))


def cmd_rm(args: argparse.Namespace) -> int:
    from orchestrator.problems import Problem

    runs = [resolve(ref) for ref in args.run]
    for run in runs:
        s = run.status
        if s.state in ("created", "running") and s.supervisor_pid and pid_alive(s.supervisor_pid, s.supervisor_started) and not args.force:
            print_problems([Problem(run.name, "is still running", "Stop it first (Ctrl-C in its terminal), or pass --force")])
            return 2
    for run in runs:
        shutil.rmtree(run.folder.path)
        console().print(f"removed {escape(str(run.folder.path))}")
    return 0


def run(args: argparse.Namespace) -> int:
    action = args.action or "list"
    if action == "list":
        return cmd_list(args)
    if action == "show":
        return cmd_show(args)
    if action == "diff":
        return cmd_diff(args)
    if action in ("rerun", "resume"):
        return _again(args, resume=action == "resume")
    return cmd_rm(args)
