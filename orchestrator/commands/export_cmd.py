"""`orchestrator export a1111|comfyui RUN|FILE`: the prompt snippet or a ComfyUI workflow for a LoRA."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.markup import escape

from orchestrator.commands.common import console, print_json, print_problems
from orchestrator.problems import Problem, ProjectInvalid


def _extra(values: list[str]):
    from orchestrator.export.comfyui import ExtraLora

    extra = []
    for value in values:
        name, sep, weight = value.rpartition(":")
        try:
            extra.append(ExtraLora(Path(name).name, float(weight)) if sep else ExtraLora(Path(value).name, 0.8))
        except ValueError:
            raise ProjectInvalid([Problem("--with", f"{value!r}: the weight after ':' is not a number", "Write FILE.safetensors:0.6")]) from None
    return extra


def cmd_a1111(args: argparse.Namespace) -> int:
    from orchestrator.export.prompt import snippet
    from orchestrator.export.source import resolve_source

    data = snippet(resolve_source(args.target), args.weight)
    if args.json:
        print_json(data)
        return 0
    out = console()
    out.print(escape(data["snippet"]))
    out.print(f"[dim]example:[/] {escape(data['example'])}")
    if data["negative"]:
        out.print(f"[dim]negative:[/] {escape(data['negative'])}")
    out.print(f"[dim]{escape(data['install'])}[/]")
    return 0


def cmd_comfyui(args: argparse.Namespace) -> int:
    from orchestrator.export import comfyui
    from orchestrator.export.source import resolve_source
    from orchestrator.fsutil import write_atomic

    src = resolve_source(args.target)
    workflow, notes = comfyui.build(src, weight=args.weight, extra=_extra(args.with_lora), checkpoint=args.checkpoint,
                                    prompt=args.prompt, negative=args.negative, seed=args.seed, steps=args.steps)  # fmt: skip
    errors = comfyui.validate(workflow)
    if errors:  # never hand out a workflow ComfyUI would reject
        raise AssertionError("invalid ComfyUI workflow built: " + "; ".join(errors))
    text = json.dumps(workflow, indent=2, ensure_ascii=False) + "\n"
    if args.output in (None, "-"):
        sys.stdout.write(text)
    else:
        write_atomic(Path(args.output), text)
        console(stderr=True).print(f"wrote {escape(args.output)} (ComfyUI API format: Workflow → Open, or POST to /prompt)")
    print_problems([Problem("ckpt_name", n, severity="info") for n in notes])
    return 0


def run(args: argparse.Namespace) -> int:
    return {"a1111": cmd_a1111, "comfyui": cmd_comfyui}[args.action](args)
