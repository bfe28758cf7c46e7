"""`orchestrator run PRESET`: check, create the run folder, train under supervision, explain the end."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from orchestrator.commands.common import console, print_json, print_problems
from orchestrator.runs.store import PreparedRun, prepare


def make_sinks(json_mode: bool) -> list:
    if json_mode:
        from orchestrator.dashboard.jsonl import JsonSink

        return [JsonSink(sys.stdout)]
    if sys.stdout.isatty():
        from orchestrator.dashboard.live import LiveSink

        return [LiveSink(console())]
    from orchestrator.dashboard.plain import PlainSink

    return [PlainSink(sys.stdout)]


def dry_run(prepared: PreparedRun, json_mode: bool) -> int:
    shown = prepared.redactor.argv(prepared.launch.argv)
    if json_mode:
        print_json({"run": str(prepared.folder.path), "backend": prepared.backend.name, "argv": shown,
                    "total_steps": prepared.preflight.steps.total_steps, "final_lora": str(prepared.final_lora)})  # fmt: skip
        return 0
    out = console()
    out.print(f"would create {prepared.folder.path}")
    out.print(f"backend {prepared.backend.name}: {prepared.preflight.steps.total_steps} steps")
    out.print("command: " + " ".join(shown))
    return 0


def launch(prepared: PreparedRun, json_mode: bool, source: str = "PRESET") -> int:
    """Train; `source` (the preset) is named where repeated dataset findings are counted, not listed."""
    from orchestrator.runs.execute import execute

    if not json_mode:
        print_problems(prepared.notes, stderr=False, collapse=source)
    outcome, _ = execute(prepared, make_sinks(json_mode))
    return outcome.exit_code


def run(args: argparse.Namespace) -> int:
    prepared = prepare(
        Path(args.preset),
        args.overrides,
        backend=args.backend,
        name=args.name,
        allow_pickle=args.allow_pickle,
        force=args.force,
    )
    if args.dry_run:
        return dry_run(prepared, args.json)
    return launch(prepared, args.json, args.preset)
