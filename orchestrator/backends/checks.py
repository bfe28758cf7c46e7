"""Check compiled options against the trainer that will read them, before anything launches."""

from __future__ import annotations

from orchestrator.compile.compiled import Compiled
from orchestrator.compile.launch import training_script
from orchestrator.problems import Problem
from orchestrator.schema.project import Project


def backend_problems(project: Project, compiled: Compiled) -> list[Problem]:
    flat = compiled.flat_config()
    if project.trainer.backend == "sd-scripts":
        from orchestrator.backends.sdscripts.options import check_config

        return check_config(flat, training_script(project))
    try:
        from orchestrator.backends.builtin.capabilities import check_options
    except ImportError:  # the embedded trainer is not part of this installation
        return [Problem("trainer.backend", "the builtin trainer is not available in this installation", "Reinstall orchestrator")]
    return check_options(flat)
