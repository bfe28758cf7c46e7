"""`orchestrator validate PRESET`: every pre-launch check, nothing launched."""

from __future__ import annotations

import argparse

from orchestrator.commands.common import console, print_json, print_problems
from orchestrator.preflight import preflight
from orchestrator.problems import ProjectInvalid


def run(args: argparse.Namespace) -> int:
    try:
        pf = preflight(args.preset, args.overrides, allow_pickle=args.allow_pickle)
    except ProjectInvalid as exc:
        if not args.json:
            raise
        print_json({"valid": False, "problems": [p.to_json() for p in exc.problems]})
        return 2
    images = sum(len(inv.images) for inv in pf.inventory)
    if args.json:
        print_json(
            {
                "valid": True,
                "project": pf.project.name,
                "images": images,
                "total_steps": pf.steps.total_steps,
                "problems": [p.to_json() for p in pf.problems],
            }
        )
        return 0
    print_problems(pf.problems, stderr=False, collapse=args.preset)
    console().print(
        f"[green]✓[/] {args.preset} is valid: {len(pf.project.subjects)} subjects, {images} images, "
        f"{pf.steps.total_steps} steps with the {pf.project.trainer.backend} trainer"
    )
    return 0
