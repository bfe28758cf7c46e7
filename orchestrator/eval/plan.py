"""What an evaluation renders: models × saved epochs × weights × prompts × seeds.

Pure: the plan names every image file before anything is drawn, so the renderer,
the contact sheet and the scorecard agree on one layout. Weight 0 is the model
without the LoRA, the same for every epoch, so it is drawn once per model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.eval.prompts import EvalPrompt


@dataclass(frozen=True)
class EpochFile:
    epoch: int
    path: Path


@dataclass(frozen=True)
class ModelRole:
    role: str  # "base" (trained on) or "test" (the specialised model it is judged on)
    ref: str   # as the preset names it


@dataclass
class EvalPlan:
    root: Path  # <run>/eval
    models: list[ModelRole]
    epochs: list[EpochFile]
    weights: list[float]
    prompts: list[EvalPrompt]
    seeds: list[int]
    width: int
    height: int
    steps: int
    scale: float
    negative: str = ""
    sampler: str = "ddim"
    notes: list[str] = field(default_factory=list)

    @property
    def lora_weights(self) -> list[float]:
        return [w for w in self.weights if w != 0]

    def image(self, role: str, epoch: int | None, weight: float, prompt_id: str, seed: int) -> Path:
        if weight == 0:
            return self.root / "images" / role / "w0" / f"{prompt_id}_s{seed}.png"
        return self.root / "images" / role / f"e{epoch:03d}" / f"w{weight:g}" / f"{prompt_id}_s{seed}.png"

    def cells(self):
        """(role, epoch or None, weight, prompt, seed) for every image, weight 0 once per model."""
        for model in self.models:
            if 0 in self.weights or 0.0 in self.weights:
                for prompt in self.prompts:
                    for seed in self.seeds:
                        yield model.role, None, 0.0, prompt, seed
            for ep in self.epochs:
                for weight in self.lora_weights:
                    for prompt in self.prompts:
                        for seed in self.seeds:
                            yield model.role, ep.epoch, weight, prompt, seed

    def image_count(self) -> int:
        return sum(1 for _ in self.cells())


def weights_with_zero(weights: list[float]) -> list[float]:
    """The scorecard measures every effect against weight 0, so it is always drawn."""
    ordered = sorted(dict.fromkeys(float(w) for w in weights))
    return ordered if 0.0 in ordered else [0.0] + ordered
