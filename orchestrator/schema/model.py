"""[model]: what the LoRA is trained on and tested on."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from orchestrator.schema.base import ModelRef, StrictModel

Family = Literal["sd15", "sd2", "sdxl"]


class ModelSpec(StrictModel):
    base: ModelRef = Field(
        description=(
            "Base checkpoint to train on: a local .safetensors file or diffusers folder, "
            "`hf://owner/repo/file.safetensors` on the Hugging Face Hub, or `builtin:tiny-sd` "
            "(the embedded trainer's tiny model; `builtin:tiny-sd-photo` is its fine-tuned sibling). → --pretrained_model_name_or_path"
        )
    )
    family: Family = Field(
        "sd15",
        description="Model family: sd15 (SD 1.x), sd2 (SD 2.x, → --v2) or sdxl (→ sdxl_train_network.py).",
    )
    v_parameterization: bool = Field(
        False, description="The base predicts v (SD 2.x 768-v models). → --v_parameterization"
    )
    clip_skip: int | None = Field(
        None, ge=1, le=12, description="Use the output of the N-th last text-encoder layer (2 for anime models). → --clip_skip"
    )
    vae: ModelRef | None = Field(None, description="A separate VAE to use instead of the base's. → --vae")
    test_model: ModelRef | None = Field(
        None,
        description=(
            "A specialised checkpoint of the same family the LoRA is evaluated on (not trained on); "
            "`eval` renders its grid on it as well as on the base."
        ),
    )
