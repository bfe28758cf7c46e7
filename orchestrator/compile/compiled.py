"""Assemble everything the trainer gets from a project, and render it as files (pure)."""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from orchestrator.compile import configs, launch
from orchestrator.problems import Problem
from orchestrator.schema.base import HUB_PREFIX
from orchestrator.schema.project import Project

DATASET_CONFIG = "dataset_config.toml"
TRAINING_CONFIG = "config.toml"
SAMPLE_PROMPTS = "sample_prompts.txt"
ACCELERATE_CONFIG = "accelerate_config.json"
COMMAND_JSON = "command.json"
COMMAND_SH = "command.sh"


@dataclass(frozen=True)
class CompilePaths:
    compiled_dir: Path  # the TOMLs, prompts and command
    output_dir: Path  # LoRA files, states, samples
    logging_dir: Path  # TensorBoard logs

    @classmethod
    def flat(cls, directory: Path) -> "CompilePaths":
        """`compile -o DIR`: files in DIR, outputs and logs below it."""
        directory = Path(directory)
        return cls(directory, directory / "output", directory / "logs")


@dataclass(frozen=True)
class TrainerLocation:
    """Where the trainer lives: its Python, and for sd-scripts its checkout."""

    python: str = "python"
    checkout: Path | None = None


@dataclass
class Compiled:
    paths: CompilePaths
    dataset_config: dict[str, Any]
    config: dict[str, dict[str, Any]]
    sample_prompts: list[str]
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    accelerate_config: dict[str, Any] | None = None  # sd-scripts only
    warnings: list[Problem] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)

    def flat_config(self) -> dict[str, Any]:
        """The config as sd-scripts sees it after lifting every section's keys to the top."""
        flat: dict[str, Any] = {}
        for section in self.config.values():
            flat.update(section)
        return flat

    def files(self) -> dict[str, str]:
        header = "# Compiled by orchestrator: sd-scripts' {}. Edit the preset, not this file.\n"
        files = {
            DATASET_CONFIG: header.format("--dataset_config") + tomli_w.dumps(self.dataset_config),
            TRAINING_CONFIG: header.format("--config_file") + tomli_w.dumps(self.config),
        }
        if self.accelerate_config is not None:
            files[ACCELERATE_CONFIG] = json.dumps(self.accelerate_config, indent=2) + "\n"
        if self.sample_prompts:
            files[SAMPLE_PROMPTS] = "\n".join(self.sample_prompts) + "\n"
        files[COMMAND_JSON] = json.dumps({"argv": self.argv, "env": self.env}, indent=2, ensure_ascii=False) + "\n"
        files[COMMAND_SH] = render_shell(self.argv, self.env)
        return files


def render_shell(argv: list[str], env: Mapping[str, str]) -> str:
    lines = ["#!/bin/sh", "# The exact trainer command orchestrator launched (re-run it from any directory).", "set -e"]
    lines += [f"export {key}={shlex.quote(value)}" for key, value in sorted(env.items())]
    lines.append("exec " + shlex.join(argv))
    return "\n".join(lines) + "\n"


def _extra_args_problems(config: dict[str, dict[str, Any]]) -> list[Problem]:
    compiled = {key: name for name, section in config.items() if name != "extra" for key in section}
    return [
        Problem(
            f"trainer.extra_args.{key}",
            f"is compiled from the preset already (config.toml [{compiled[key]}] {key})",
            "Set it through the preset's own field instead (see `orchestrator schema`)",
        )
        for key in config.get("extra", {})
        if key in compiled
    ]


def compile_project(
    project: Project,
    paths: CompilePaths,
    trainer: TrainerLocation = TrainerLocation(),
    model_paths: Mapping[str, str] | None = None,
) -> Compiled:
    """Project → dataset_config, config, sample prompts and the launch argv. No I/O."""
    model_paths = dict(model_paths or {})
    prompts = configs.sample_prompt_lines(project) if project.samples.active else []
    prompts_path = paths.compiled_dir / SAMPLE_PROMPTS if prompts else None
    config = configs.training_config(
        project,
        output_dir=paths.output_dir,
        logging_dir=paths.logging_dir,
        sample_prompts=prompts_path,
        model_paths=model_paths,
    )
    config_path = paths.compiled_dir / TRAINING_CONFIG
    dataset_path = paths.compiled_dir / DATASET_CONFIG
    accelerate = None
    env: dict[str, str] = {}
    if project.trainer.backend == "builtin":
        argv = launch.builtin_argv(python=trainer.python, config_file=config_path, dataset_config=dataset_path)
        env["OMP_WAIT_POLICY"] = "PASSIVE"  # tiny kernels: spinning OpenMP threads stall under any other load
    else:
        checkout = trainer.checkout or Path("vendor/sd-scripts")
        accelerate = launch.accelerate_config(project.launch, project.training.mixed_precision)
        argv = launch.sd_scripts_argv(
            project, python=trainer.python, checkout=checkout, config_file=config_path, dataset_config=dataset_path,
            accelerate_config_file=paths.compiled_dir / ACCELERATE_CONFIG,
        )
    warnings = []
    for where, ref in (("model.base", project.model.base), ("model.vae", project.model.vae)):
        if ref and ref.startswith(HUB_PREFIX) and ref not in model_paths:
            warnings.append(
                Problem(where, f"{ref} is not downloaded yet", "`run` fetches it into the Hugging Face cache first", "info")
            )
    return Compiled(
        paths=paths,
        dataset_config=configs.dataset_config(project),
        config=config,
        sample_prompts=prompts,
        argv=argv,
        env=env,
        accelerate_config=accelerate,
        warnings=warnings,
        errors=_extra_args_problems(config),
    )
