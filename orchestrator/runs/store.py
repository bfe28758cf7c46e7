"""Make a run: check the project, pick the backend, allocate the folder, write what it records.

`prepare` does everything that can fail before anything is written (a ProjectInvalid
leaves no folder behind); `materialize` writes project.toml, compiled/, manifest.json
and status.json. Secrets in the compiled options move to the trainer's environment
and never reach a file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
import tomli_w

from orchestrator.backends import registry
from orchestrator.backends.registry import Backend, Launch
from orchestrator.compile.compiled import Compiled, TrainerLocation
from orchestrator.fsutil import write_atomic
from orchestrator.preflight import Preflight, preflight
from orchestrator.problems import Problem, ProjectInvalid
from orchestrator.runs import layout
from orchestrator.runs.layout import RunFolder
from orchestrator.runs.manifest import build_manifest, write_manifest
from orchestrator.runs.redact import Redactor, is_secret_name
from orchestrator.runs.status import Status, process_start_time, write_status
from orchestrator.schema.loader import load_project
from orchestrator.supervise.outputs import final_lora_path

# sd-scripts options that carry secrets, and the variables their libraries read instead
SECRET_OPTIONS = {"wandb_api_key": "WANDB_API_KEY", "huggingface_token": "HF_TOKEN"}


@dataclass
class PreparedRun:
    folder: RunFolder
    preflight: Preflight
    backend: Backend
    location: TrainerLocation
    launch: Launch
    compiled: Compiled  # secrets removed: what the files show
    redactor: Redactor
    final_lora: Path
    resumed_from: str | None = None
    notes: list[Problem] = field(default_factory=list)


def _split_secrets(compiled: Compiled) -> tuple[Compiled, dict[str, str], list[Problem]]:
    config = {section: dict(values) for section, values in compiled.config.items()}
    env: dict[str, str] = {}
    problems = []
    for section, values in config.items():
        for key in [k for k in values if is_secret_name(k)]:
            value = str(values.pop(key))
            if key in SECRET_OPTIONS:
                env[SECRET_OPTIONS[key]] = value
            else:
                problems.append(Problem(f"trainer.extra_args.{key}", "looks like a secret and would be written to config.toml",
                                        "Pass it to the trainer through an environment variable instead"))  # fmt: skip
    return replace(compiled, config=config), env, problems


def choose_backend(project_backend: str, requested: str | None) -> tuple[Backend, list[str]]:
    """The backend to launch and the `--set` overrides that make the project compile for it."""
    name = requested or project_backend
    try:
        backend = registry.get(name)
    except KeyError:
        raise ProjectInvalid([registry.unknown_backend(name)]) from None
    overrides = [] if backend.compiles_as == project_backend else [f"trainer.backend={backend.compiles_as}"]
    return backend, overrides


def prepare(
    preset: Path | str,
    overrides: list[str] | None = None,
    *,
    backend: str | None = None,
    name: str | None = None,
    allow_pickle: bool = False,
    force: bool = False,
    extra_overrides: list[str] | None = None,
    resumed_from: str | None = None,
) -> PreparedRun:
    overrides = list(overrides or []) + list(extra_overrides or [])
    loaded = load_project(preset, overrides)  # cheap; gives the name and backend before paths exist
    chosen, backend_overrides = choose_backend(loaded.project.trainer.backend, backend)
    overrides += backend_overrides
    if backend_overrides:
        loaded = load_project(preset, overrides)
    folder = layout.plan_folder(name or loaded.project.name)
    location = chosen.locate(loaded.project)
    problems = chosen.problems(loaded.project, location)
    if [p for p in problems if p.severity == "error"]:  # before any download or compile
        raise ProjectInvalid([p for p in problems if p.severity == "error"])
    resolve = getattr(chosen, "resolve_models", None)  # optional: only real trainers fetch hub models
    model_paths = resolve(loaded.project) if resolve else {}
    pf = preflight(preset, overrides, paths=folder.compile_paths(), trainer=location, allow_pickle=allow_pickle, force=force,
                   model_paths=model_paths)
    compiled, secret_env, secret_problems = _split_secrets(pf.compiled)
    problems += secret_problems
    if [p for p in problems if p.severity == "error"]:
        raise ProjectInvalid([p for p in problems if p.severity == "error"])
    launch = chosen.launch(pf.project, replace(pf.compiled, config=compiled.config), location)
    launch = replace(launch, env={**launch.env, **secret_env})
    redactor = Redactor.from_env({**os.environ, **launch.env}, secret_env.values())
    final = final_lora_path(compiled.flat_config(), folder.output_dir)
    return PreparedRun(folder, pf, chosen, location, launch, compiled, redactor, final, resumed_from, pf.problems + problems)


def _project_toml(prepared: PreparedRun, source: Path) -> str:
    raw = prepared.redactor.data(prepared.preflight.loaded.raw)
    header = (
        f"# The fully resolved project of run {prepared.folder.name} (from {source}).\n"
        f"# Re-run it as is: orchestrator run {prepared.folder.project_toml}\n"
    )
    return header + tomli_w.dumps(raw)


def materialize(prepared: PreparedRun) -> Status:
    """Create the folder and write everything a run records before the trainer starts."""
    folder = layout.create(prepared.folder)
    redactor = prepared.redactor
    pf = prepared.preflight
    write_atomic(folder.project_toml, _project_toml(prepared, pf.loaded.source))
    shown = replace(prepared.compiled, argv=redactor.argv(prepared.launch.argv), env=redactor.env(prepared.launch.env))
    for file_name, text in shown.files().items():
        write_atomic(folder.compiled_dir / file_name, redactor.text(text), executable=file_name.endswith(".sh"))
    manifest = build_manifest(
        pf.project,
        redactor.data(pf.loaded.raw),
        backend=prepared.backend.name,
        trainer=prepared.backend.describe(pf.project, prepared.location),
        trainer_python=prepared.location.python,
        argv=shown.argv,
    )
    manifest["source"] = str(pf.loaded.source)
    manifest["steps"] = {"total": pf.steps.total_steps}
    if prepared.resumed_from:
        manifest["resumed_from"] = prepared.resumed_from
    write_manifest(folder.manifest, redactor.data(manifest))
    status = Status(
        state="created",
        backend=prepared.backend.name,
        supervisor_pid=os.getpid(),
        supervisor_started=process_start_time(os.getpid()),
        total_steps=pf.steps.total_steps,
        epochs=getattr(pf.project.training, "epochs", None),
        resumed_from=prepared.resumed_from,
    )
    write_status(folder.status, status)
    return status


def mark_times(folder: RunFolder, **times: float | None) -> None:
    from orchestrator.runs.manifest import read_manifest

    manifest = read_manifest(folder.manifest)
    manifest.setdefault("times", {}).update({k: v for k, v in times.items() if v is not None})
    write_manifest(folder.manifest, manifest)
