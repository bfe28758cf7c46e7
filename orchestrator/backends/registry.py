"""Trainer backends by name: what `run --backend NAME` launches and records.

A backend turns a compiled project into a process to start (argv, env) and says
which trainer it is for the manifest. `sd-scripts` and `builtin` are built in;
others (the tests' fake trainer, a user's wrapper) register through the
`orchestrator.backends` entry-point group or `$ORCHESTRATOR_BACKENDS`, a
comma-separated list of `module:attribute` or `/path/file.py:attribute`.

Each backend names the schema value it `compiles_as`, so the preset checks and the
compiled TOMLs are those of the trainer whose grammar it speaks.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from orchestrator.compile.compiled import Compiled, TrainerLocation
from orchestrator.problems import Problem, ProjectInvalid
from orchestrator.schema.project import Project

PLUGINS_ENV = "ORCHESTRATOR_BACKENDS"
SD_SCRIPTS_ENV = "ORCHESTRATOR_SD_SCRIPTS"


@dataclass(frozen=True)
class Launch:
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)  # added to the supervisor's environment
    cwd: Path | None = None


@runtime_checkable
class Backend(Protocol):
    name: str
    compiles_as: str  # the `trainer.backend` value whose checks and compile output this backend runs

    def locate(self, project: Project) -> TrainerLocation: ...

    def problems(self, project: Project, location: TrainerLocation) -> list[Problem]: ...

    def launch(self, project: Project, compiled: Compiled, location: TrainerLocation) -> Launch: ...

    def describe(self, project: Project, location: TrainerLocation) -> dict[str, Any]: ...


class SdScripts:
    name = "sd-scripts"
    compiles_as = "sd-scripts"

    def locate(self, project: Project) -> TrainerLocation:
        from orchestrator.backends.sdscripts.locate import VENDORED, locate

        install, _ = locate(project.trainer.path, project.trainer.python)
        if install is None:  # problems() says what is missing; never a silent switch to another trainer
            return TrainerLocation(python=str(project.trainer.python or "python"), checkout=project.trainer.path or VENDORED)
        return TrainerLocation(python=str(install.python), checkout=install.checkout)

    def problems(self, project: Project, location: TrainerLocation) -> list[Problem]:
        from orchestrator.backends.sdscripts.locate import locate

        problems = locate(project.trainer.path, project.trainer.python)[1]
        if not project.launch.cpu and project.training.mixed_precision != "no" and shutil.which("nvidia-smi") is None:
            problems.append(Problem(
                "training.mixed_precision",
                f"{project.training.mixed_precision} needs a GPU, and no NVIDIA GPU is visible here (no nvidia-smi)",
                "Run on a GPU machine (check with `orchestrator trainer doctor`); for a CPU test set launch.cpu = true "
                "and training.mixed_precision = \"no\", or train presets/demo.toml with the embedded trainer",
                "warning", "no-gpu"))  # fmt: skip
        return problems

    def resolve_models(self, project: Project) -> dict[str, str]:
        """Local paths of `hf://` models, downloaded into the Hugging Face cache if needed."""
        from orchestrator.backends.sdscripts.models import ModelUnavailable, fetch

        paths = {}
        for where, ref in (("model.base", project.model.base), ("model.vae", project.model.vae)):
            if ref and ref.startswith("hf://"):
                try:
                    paths[ref] = str(fetch(ref, where))
                except ModelUnavailable as exc:
                    raise ProjectInvalid([exc.problem]) from None
        return paths

    def launch(self, project: Project, compiled: Compiled, location: TrainerLocation) -> Launch:
        return Launch(list(compiled.argv), dict(compiled.env))

    def describe(self, project: Project, location: TrainerLocation) -> dict[str, Any]:
        from orchestrator.runs.manifest import git_info

        info = git_info(Path(location.checkout or "."))
        return {"name": "sd-scripts", "path": str(location.checkout), "version": info.get("describe"), **info}


class Builtin:
    name = "builtin"
    compiles_as = "builtin"

    def locate(self, project: Project) -> TrainerLocation:
        return TrainerLocation(python=sys.executable)  # the embedded trainer runs in our own environment

    def problems(self, project: Project, location: TrainerLocation) -> list[Problem]:
        if importlib.util.find_spec("torch") is None:  # find_spec does not import it
            return [Problem("trainer.backend", "the builtin trainer needs torch, which is not installed",
                            "pip install 'orchestrator[train]' (CPU torch first on machines without a GPU)")]  # fmt: skip
        return []  # the weights are checked with the options, by preflight (backends.checks)

    def launch(self, project: Project, compiled: Compiled, location: TrainerLocation) -> Launch:
        return Launch(list(compiled.argv), dict(compiled.env))

    def describe(self, project: Project, location: TrainerLocation) -> dict[str, Any]:
        from orchestrator import __version__

        return {"name": "orchestrator-builtin", "version": __version__}


_REGISTRY: dict[str, Backend] = {}
_PLUGINS_LOADED: set[str] = set()


def register(backend: Backend) -> Backend:
    _REGISTRY[backend.name] = backend
    return backend


register(SdScripts())
register(Builtin())


def _load_spec(spec: str) -> Any:
    target, _, attr = spec.rpartition(":") if ":" in spec else (spec, "", "BACKEND")
    attr = attr or "BACKEND"
    if target.endswith(".py"):
        module_name = "orchestrator_backend_" + Path(target).stem
        module = sys.modules.get(module_name)
        if module is None:
            loader = importlib.util.spec_from_file_location(module_name, target)
            if loader is None or loader.loader is None:
                raise ImportError(f"cannot load backend file {target}")
            module = importlib.util.module_from_spec(loader)
            sys.modules[module_name] = module
            loader.loader.exec_module(module)
    else:
        module = importlib.import_module(target)
    return getattr(module, attr)


def _load_plugins() -> None:
    specs = [s.strip() for s in os.environ.get(PLUGINS_ENV, "").split(",") if s.strip()]
    for spec in specs:
        if spec not in _PLUGINS_LOADED:
            _PLUGINS_LOADED.add(spec)
            register(_load_spec(spec))
    if "entry-points" not in _PLUGINS_LOADED:
        _PLUGINS_LOADED.add("entry-points")
        for ep in metadata.entry_points(group="orchestrator.backends"):
            register(ep.load())


def names() -> list[str]:
    _load_plugins()
    return sorted(_REGISTRY)


def get(name: str) -> Backend:
    _load_plugins()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(name) from None


def unknown_backend(name: str) -> Problem:
    return Problem("--backend", f"unknown trainer backend {name!r}", f"Choose one of: {', '.join(names())}", code="unknown-backend")
