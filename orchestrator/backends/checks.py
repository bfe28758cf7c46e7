"""Check compiled options against the trainer that will read them, before anything launches."""

from __future__ import annotations

from pathlib import Path

from orchestrator.compile.compiled import Compiled
from orchestrator.compile.launch import training_script
from orchestrator.problems import Problem
from orchestrator.schema.base import is_local_ref
from orchestrator.schema.project import Project


def sd_scripts_problems(project: Project, compiled: Compiled) -> list[Problem]:
    from orchestrator.backends.sdscripts import options, rules
    from orchestrator.backends.sdscripts.models import family_problems

    flat = compiled.flat_config()
    script = training_script(project)
    table, source = options.table_for(script, project.trainer.path, project.trainer.python)
    found = rules.check(project, flat)
    covered = {p.location.rsplit(".", 1)[-1] for p in found}
    problems = [p for p in options.check_config(flat, script, table=table) if p.location.split(": ", 1)[-1] not in covered]
    problems += found
    if source:
        problems.append(Problem("trainer", source, severity="info", code="options-source"))
    base = project.model.base
    if is_local_ref(base) and Path(base).exists():
        problems += family_problems(project.model.family, Path(base))
    return problems


def builtin_model_problems(project: Project) -> list[Problem]:
    """The committed weights of the builtin models the project names are present and intact."""
    from orchestrator.backends.builtin import tiny_model

    problems = []
    for where, ref in (("model.base", project.model.base), ("model.test_model", project.model.test_model)):
        if ref and ref.startswith("builtin:") and ref.removeprefix("builtin:") in tiny_model.MODELS:
            try:
                tiny_model.verified_path(ref)
            except tiny_model.WeightsMissing as exc:
                problems.append(Problem(where, str(exc), severity="error" if where == "model.base" else "warning",
                                        code="weights-missing"))
    return problems


def backend_problems(project: Project, compiled: Compiled) -> list[Problem]:
    if project.trainer.backend == "sd-scripts":
        return sd_scripts_problems(project, compiled)
    try:
        from orchestrator.backends.builtin.capabilities import check_options
    except ImportError:  # the embedded trainer is not part of this installation
        return [Problem("trainer.backend", "the builtin trainer is not available in this installation", "Reinstall orchestrator")]
    return check_options(compiled.flat_config()) + builtin_model_problems(project)
