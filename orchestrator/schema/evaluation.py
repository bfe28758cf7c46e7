"""[eval]: how the finished LoRA is judged (the seed case's three qualities)."""

from __future__ import annotations

from pydantic import Field

from orchestrator.schema.base import StrictModel


class Eval(StrictModel):
    weights: list[float] = Field(
        default_factory=lambda: [0.0, 0.5, 0.8, 1.0], description="LoRA weights of the grid's columns."
    )
    prompts: list[str] = Field(
        default_factory=list,
        description="Extra prompts for the grid (with trigger, without, trigger plus other tags are generated).",
    )
    seeds: list[int] = Field(default_factory=lambda: [1, 2], description="Fixed seeds; every cell uses each.")
    steps: int = Field(20, ge=1, description="Sampling steps per grid image.")
