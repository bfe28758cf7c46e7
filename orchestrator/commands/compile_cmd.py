"""`orchestrator compile PRESET -o DIR`: write what the trainer reads."""

from __future__ import annotations

import argparse
from pathlib import Path

from orchestrator.commands.common import console, print_problems
from orchestrator.compile.compiled import CompilePaths
from orchestrator.fsutil import write_atomic
from orchestrator.preflight import preflight


def run(args: argparse.Namespace) -> int:
    out = Path(args.output).resolve()
    pf = preflight(args.preset, args.overrides, paths=CompilePaths.flat(out), allow_pickle=args.allow_pickle)
    print_problems(pf.problems, stderr=False)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in pf.compiled.files().items():
        write_atomic(out / name, text, executable=name.endswith(".sh"))
        console().print(f"wrote {out / name}")
    return 0
