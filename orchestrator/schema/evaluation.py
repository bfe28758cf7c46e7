"""[eval]: how the finished LoRA is judged (the seed case's three qualities)."""

from __future__ import annotations

from pydantic import Field, field_validator

from orchestrator.schema.base import StrictModel
from orchestrator.schema.samples import Sampler


class Eval(StrictModel):
    weights: list[float] = Field(
        default_factory=lambda: [0.0, 0.5, 0.8, 1.0],
        description="LoRA weights of the grid's columns (0 is always drawn: every effect is measured against it).",
    )
    prompts: list[str] = Field(
        default_factory=list,
        description="Extra prompts for the grid (with trigger, without, trigger plus other tags are generated).",
    )
    seeds: list[int] = Field(default_factory=lambda: [1, 2], description="Fixed seeds; every cell uses each.")
    steps: int = Field(20, ge=1, description="Sampling steps per grid image.")
    cfg_scale: float | None = Field(None, gt=0, description="Guidance scale of the grid (unset: samples.cfg_scale).")
    sampler: Sampler = Field("ddim", description="Sampler of the grid; ddim is deterministic for a fixed seed.")
    embedding: str = Field(
        "auto",
        description="Image embedding of the scorecard: \"clip\" or \"clip:<hub id or folder>\" (CLIP, downloaded "
        "once), \"pixel\" (offline, colours and layout only), \"auto\" (CLIP when already cached, else pixel).",
    )

    @field_validator("weights")
    @classmethod
    def _weights_in_range(cls, v: list[float]) -> list[float]:
        if not v or any(w < 0 or w > 2 for w in v):
            raise ValueError(f"weights must be between 0 and 2, at least one (got {v})")
        return v

    @field_validator("seeds")
    @classmethod
    def _some_seeds(cls, v: list[int]) -> list[int]:
        if not v:
            raise ValueError("give at least one seed, e.g. [1, 2]")
        return v

    @field_validator("embedding")
    @classmethod
    def _known_embedding(cls, v: str) -> str:
        if v in ("auto", "pixel", "clip") or v.startswith("clip:"):
            return v
        raise ValueError(f"unknown embedding {v!r}; use \"auto\", \"pixel\", \"clip\" or \"clip:<hub id or folder>\"")
