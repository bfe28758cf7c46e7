"""[trainer]: which trainer runs the project and how to reach it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from orchestrator.schema.base import PresetPath, StrictModel

Backend = Literal["sd-scripts", "builtin"]
ExtraValue = str | int | float | bool | list[str | int | float]


class TrainerSpec(StrictModel):
    backend: Backend = Field(
        "sd-scripts",
        description="sd-scripts (the real trainer, GPU) or builtin (the embedded CPU trainer on builtin: models).",
    )
    path: PresetPath | None = Field(
        None, description="sd-scripts checkout (unset: $ORCHESTRATOR_SD_SCRIPTS, then vendor/sd-scripts)."
    )
    python: PresetPath | None = Field(None, description="Python of the trainer's environment (unset: a venv in the checkout).")
    extra_args: dict[str, ExtraValue] = Field(
        default_factory=dict,
        description="Further sd-scripts options written into config.toml as given, e.g. { scale_weight_norms = 1.0 }.",
    )
