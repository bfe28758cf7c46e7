"""[samples]: preview images the trainer renders while it trains."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from orchestrator.schema.base import StrictModel

Sampler = Literal[
    "ddim", "pndm", "lms", "euler", "euler_a", "heun", "dpm_2", "dpm_2_a", "dpmsolver", "dpmsolver++",
    "dpmsingle", "k_lms", "k_euler", "k_euler_a", "k_dpm_2", "k_dpm_2_a",
]  # fmt: skip


class Samples(StrictModel):
    enabled: bool = Field(True, description="Render preview images while training (false: none, whatever else is set).")
    prompts: list[str] = Field(
        default_factory=list, description="Prompts to render; written to sample_prompts.txt. → --sample_prompts"
    )
    negative_prompt: str = Field("", description="Negative prompt for every sample. → `--n` in each prompt line")
    every_n_epochs: int | None = Field(None, ge=1, description="Render samples every N epochs. → --sample_every_n_epochs")
    every_n_steps: int | None = Field(None, ge=1, description="Render samples every N steps. → --sample_every_n_steps")
    at_first: bool = Field(False, description="Also render before training starts. → --sample_at_first")
    sampler: Sampler = Field("euler_a", description="Sampler. → --sample_sampler")
    steps: int = Field(28, ge=1, description="Sampling steps. → `--s` in each prompt line")
    cfg_scale: float = Field(7.0, gt=0, description="Classifier-free guidance scale. → `--l` in each prompt line")
    seed: int = Field(1234, ge=0, description="Sampling seed, the same for every prompt. → `--d` in each prompt line")
    width: int | None = Field(None, ge=64, description="Sample width (unset: training resolution). → `--w`")
    height: int | None = Field(None, ge=64, description="Sample height (unset: training resolution). → `--h`")

    @model_validator(mode="after")
    def _cadence_needs_prompts(self) -> "Samples":
        cadence = self.every_n_epochs or self.every_n_steps or self.at_first
        if self.enabled and cadence and not self.prompts:
            raise ValueError("a sample cadence is set but prompts is empty. Add prompts, or remove the cadence")
        return self

    @property
    def active(self) -> bool:
        """Prompts and a cadence, and not switched off."""
        cadence = self.every_n_epochs or self.every_n_steps or self.at_first
        return self.enabled and bool(self.prompts) and bool(cadence)
