"""`orchestrator compile PRESET -o DIR [--target slurm]`: write what the trainer reads."""

from __future__ import annotations

import argparse
from pathlib import Path

from orchestrator.commands.common import console, print_problems
from orchestrator.compile.compiled import CompilePaths, TrainerLocation
from orchestrator.fsutil import write_atomic
from orchestrator.preflight import preflight


def trainer_location(project) -> TrainerLocation:
    """Where the trainer will be: the preset's settings, else the usual places (never fails)."""
    import sys

    if project.trainer.backend == "builtin":
        return TrainerLocation(python=sys.executable)
    from orchestrator.backends.sdscripts.locate import VENDORED, locate

    install, _ = locate(project.trainer.path, project.trainer.python)
    if install is not None:
        return TrainerLocation(str(install.python), install.checkout)
    return TrainerLocation(str(project.trainer.python or "python"), project.trainer.path or VENDORED)


def run(args: argparse.Namespace) -> int:
    from orchestrator.schema.loader import load_project

    out = Path(args.output).resolve()
    trainer = trainer_location(load_project(args.preset, args.overrides).project)
    pf = preflight(args.preset, args.overrides, paths=CompilePaths.flat(out), trainer=trainer, allow_pickle=args.allow_pickle)
    print_problems(pf.problems, stderr=False, collapse=args.preset)
    files = pf.compiled.files()
    if args.target == "slurm":
        from orchestrator.compile.slurm import SBATCH, sbatch_script

        files[SBATCH] = sbatch_script(pf.project, pf.compiled, python=trainer.python, checkout=Path(trainer.checkout or "."))
    out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        write_atomic(out / name, text, executable=name.endswith((".sh", ".sbatch")))
        console().print(f"wrote {out / name}")
    return 0
