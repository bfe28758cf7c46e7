"""Everything checked before a trainer starts, shared by validate, plan, compile and run.

Load and validate the preset, read the dataset folders, compile, check the compiled
options against the chosen trainer, and compute the exact step plan. Errors of every
stage are collected and raised together (`ProjectInvalid`); warnings travel along.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.backends.checks import backend_problems
from orchestrator.compile.compiled import Compiled, CompilePaths, TrainerLocation, compile_project
from orchestrator.compile.steps import StepPlan, plan_steps
from orchestrator.dataset.doctor import DoctorReport, check_dataset
from orchestrator.dataset.inventory import SubsetInventory, dataset_spec, schedule, take_inventory
from orchestrator.problems import Problem, ProjectInvalid, errors
from orchestrator.schema.base import is_local_ref
from orchestrator.schema.loader import LoadedProject, load_project
from orchestrator.schema.project import Project

PICKLE_SUFFIXES = (".ckpt", ".pt", ".pth", ".bin")


@dataclass
class Preflight:
    loaded: LoadedProject
    inventory: list[SubsetInventory]
    steps: StepPlan
    compiled: Compiled
    problems: list[Problem] = field(default_factory=list)  # warnings and notes; errors were raised
    doctor: DoctorReport | None = None  # the dataset doctor's findings (images, captions, triggers)

    @property
    def project(self) -> Project:
        return self.loaded.project


def model_problems(project: Project, allow_pickle: bool = False) -> list[Problem]:
    problems = []
    for where, ref, required in (
        ("model.base", project.model.base, True),
        ("model.vae", project.model.vae, True),
        ("model.test_model", project.model.test_model, False),
    ):
        if not ref or not is_local_ref(ref):
            continue
        path = Path(ref)
        if not path.exists():
            severity = "error" if required else "warning"
            fix = "Download it there or fix the path (or use hf://owner/repo/file.safetensors)"
            if not required:
                fix = "Only `eval` needs it. " + fix
            problems.append(Problem(where, f"not found: {path}", fix, severity, "model-missing"))
        elif path.suffix.lower() in PICKLE_SUFFIXES and not allow_pickle:
            problems.append(
                Problem(
                    where,
                    f"{path.name} is a pickle checkpoint, which can run arbitrary code when loaded",
                    "Convert it to .safetensors, or pass --allow-pickle if you trust its source",
                    code="pickle-refused",
                )
            )
    return problems


def preflight(
    preset: Path | str,
    overrides: list[str] | None = None,
    *,
    paths: CompilePaths | None = None,
    trainer: TrainerLocation = TrainerLocation(),
    model_paths: dict[str, str] | None = None,
    allow_pickle: bool = False,
    force: bool = False,
) -> Preflight:
    """`force`: dataset errors become warnings (the trainer may still fail on them)."""
    loaded = load_project(preset, overrides)
    project = loaded.project
    inventory, _ = take_inventory(project)  # the doctor reports missing folders and unreadable images
    doctor = check_dataset(project)
    dataset = [_downgraded(p) for p in doctor.problems] if force else doctor.problems
    problems = loaded.warnings + dataset + model_problems(project, allow_pickle)
    paths = paths or CompilePaths.flat(Path("runs") / project.name)
    compiled = compile_project(project, paths, trainer, model_paths)
    problems += compiled.errors + compiled.warnings + backend_problems(project, compiled)
    if errors(problems):
        raise ProjectInvalid(errors(problems))
    steps = doctor.steps if doctor.steps is not None else plan_steps([dataset_spec(project, inventory)], schedule(project))
    if steps.no_data:
        problems.append(
            Problem("subjects", "no training images: sd-scripts would log 'No data found' and exit 0 having trained nothing")
        )
    problems += [Problem("training", w, severity="warning", code="steps") for w in steps.warnings if "1600" not in w]
    if errors(problems):
        raise ProjectInvalid(errors(problems))
    return Preflight(loaded, inventory, steps, compiled, problems, doctor)


def _downgraded(problem: Problem) -> Problem:
    if problem.severity != "error":
        return problem
    return Problem(problem.location, problem.message, problem.fix + " (ignored: --force)", "warning", problem.code)
