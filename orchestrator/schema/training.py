"""[training]: schedule, learning rates, optimiser, precision, saving and caption handling."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from orchestrator.schema.base import StrictModel

# sd-scripts' get_optimizer names (case-insensitive); dotted names import any class.
OPTIMIZERS = (
    "AdamW", "AdamW8bit", "PagedAdamW", "PagedAdamW8bit", "PagedAdamW32bit", "Lion", "Lion8bit",
    "PagedLion8bit", "SGDNesterov", "SGDNesterov8bit", "DAdaptation", "DAdaptAdaGrad", "DAdaptAdam",
    "DAdaptAdan", "DAdaptAdanIP", "DAdaptLion", "DAdaptSGD", "Prodigy", "Adafactor",
    "RAdamScheduleFree", "AdamWScheduleFree", "SGDScheduleFree",
)  # fmt: skip
ADAPTIVE_OPTIMIZERS = ("dadaptation", "dadaptadagrad", "dadaptadam", "dadaptadan", "dadaptadanip",
                       "dadaptlion", "dadaptsgd", "prodigy")  # fmt: skip
Scheduler = Literal[
    "constant", "constant_with_warmup", "linear", "cosine", "cosine_with_restarts", "polynomial",
    "inverse_sqrt", "cosine_with_min_lr", "warmup_stable_decay", "piecewise_constant",
]  # fmt: skip
OptimizerArg = str | int | float | bool | list[int | float]


class Training(StrictModel):
    resolution: int | tuple[int, int] = Field(
        512, description="Training area: 512 or [width, height]. → [[datasets]] resolution"
    )
    batch_size: int = Field(1, ge=1, description="Images per step per GPU. → [[datasets]] batch_size")
    epochs: int | None = Field(None, ge=1, description="Train this many epochs. → --max_train_epochs")
    max_steps: int | None = Field(
        None, ge=1, description="Train this many optimiser steps instead of epochs. → --max_train_steps"
    )
    learning_rate: float = Field(1e-4, gt=0, description="Base learning rate. → --learning_rate")
    unet_lr: float | None = Field(None, ge=0, description="U-Net learning rate (unset: learning_rate; 0 freezes). → --unet_lr")
    text_encoder_lr: float | None = Field(
        None, ge=0, description="Text-encoder learning rate (unset: learning_rate; 0 freezes). → --text_encoder_lr"
    )
    optimizer: str = Field("AdamW", description="Optimiser name as sd-scripts knows it, or a dotted class path. → --optimizer_type")
    optimizer_args: dict[str, OptimizerArg] = Field(
        default_factory=dict,
        description="Optimiser keyword arguments, e.g. { weight_decay = 0.01, betas = [0.9, 0.99] }. → --optimizer_args",
    )
    lr_scheduler: Scheduler = Field("cosine", description="Learning-rate schedule. → --lr_scheduler")
    lr_warmup_steps: int | float = Field(
        0, ge=0, description="Warm-up steps, or a fraction of all steps when below 1 (0.05 = 5 %). → --lr_warmup_steps"
    )
    lr_scheduler_num_cycles: int | None = Field(
        None, ge=1, description="Restarts of cosine_with_restarts. → --lr_scheduler_num_cycles"
    )
    mixed_precision: Literal["no", "fp16", "bf16"] = Field("fp16", description="Compute precision. → --mixed_precision")
    save_precision: Literal["float", "fp16", "bf16"] | None = Field(
        "fp16", description="Precision of the saved LoRA (unset: as trained). → --save_precision"
    )
    seed: int = Field(42, ge=0, description="Random seed; fixed so a run can be repeated. → --seed")
    gradient_accumulation_steps: int = Field(1, ge=1, description="Batches per optimiser step. → --gradient_accumulation_steps")
    gradient_checkpointing: bool = Field(False, description="Trade compute for memory. → --gradient_checkpointing")
    max_grad_norm: float = Field(1.0, ge=0, description="Gradient clipping (0 = off). → --max_grad_norm")
    save_every_n_epochs: int | None = Field(None, ge=1, description="Save a LoRA every N epochs. → --save_every_n_epochs")
    save_every_n_steps: int | None = Field(None, ge=1, description="Save a LoRA every N steps. → --save_every_n_steps")
    save_last_n_epochs: int | None = Field(None, ge=1, description="Keep only the newest N epoch files. → --save_last_n_epochs")
    save_state: bool = Field(False, description="Also save optimiser state at each save, so the run can be resumed. → --save_state")
    noise_offset: float | None = Field(None, ge=0, le=1, description="Helps very dark/bright images (0.05–0.1). → --noise_offset")
    min_snr_gamma: float | None = Field(None, gt=0, description="Min-SNR loss weighting (5 is usual). → --min_snr_gamma")
    prior_loss_weight: float = Field(1.0, ge=0, description="Loss weight of regularisation images. → --prior_loss_weight")
    shuffle_caption: bool = Field(False, description="Shuffle comma-separated tags each step. → [general] shuffle_caption")
    caption_dropout_rate: float = Field(0.0, ge=0, lt=1, description="Chance to train a step with an empty caption. → caption_dropout_rate")
    caption_tag_dropout_rate: float = Field(0.0, ge=0, lt=1, description="Chance to drop each tag. → caption_tag_dropout_rate")
    cache_latents: bool = Field(True, description="Encode images once before training (faster; no color_aug). → --cache_latents")
    cache_latents_to_disk: bool = Field(False, description="Keep cached latents on disk between runs. → --cache_latents_to_disk")
    attention: Literal["sdpa", "xformers", "none"] = Field(
        "sdpa", description="Attention kernel: sdpa (PyTorch), xformers (needs the package) or none. → --sdpa / --xformers"
    )
    max_token_length: Literal[75, 150, 225] = Field(
        75, description="Caption token budget (CLIP chunks of 75). → --max_token_length (omitted for 75)"
    )
    data_loader_workers: int = Field(2, ge=0, description="Data-loader worker processes. → --max_data_loader_n_workers")

    @field_validator("optimizer")
    @classmethod
    def _known_optimizer(cls, value: str) -> str:
        if "." in value:
            return value  # a dotted class path; the trainer imports it
        by_lower = {name.lower(): name for name in OPTIMIZERS}
        if value.lower() not in by_lower:
            from orchestrator.schema.suggest import did_you_mean

            raise ValueError(f"unknown optimizer {value!r}{did_you_mean(value, OPTIMIZERS)}")
        return by_lower[value.lower()]

    @field_validator("resolution")
    @classmethod
    def _positive(cls, value: Any) -> Any:
        sides = value if isinstance(value, tuple) else (value,)
        if any(side < 64 for side in sides):
            raise ValueError(f"sides must be at least 64 px (got {value})")
        return value

    @model_validator(mode="after")
    def _schedule(self) -> "Training":
        if self.epochs is not None and self.max_steps is not None:
            raise ValueError("set either epochs or max_steps, not both (sd-scripts lets epochs win silently)")
        if self.lr_warmup_steps and self.lr_scheduler == "constant":
            raise ValueError(
                "lr_warmup_steps is set but lr_scheduler 'constant' takes no warm-up (sd-scripts raises). "
                "Use 'constant_with_warmup' or set lr_warmup_steps = 0"
            )
        if isinstance(self.lr_warmup_steps, float) and self.lr_warmup_steps >= 1:
            raise ValueError("lr_warmup_steps as a float must be a fraction below 1 (0.05 = 5 %); write whole steps as an integer")
        if self.lr_scheduler_num_cycles is not None and self.lr_scheduler != "cosine_with_restarts":
            raise ValueError("lr_scheduler_num_cycles only applies to lr_scheduler 'cosine_with_restarts'")
        return self

    @property
    def width_height(self) -> tuple[int, int]:
        return self.resolution if isinstance(self.resolution, tuple) else (self.resolution, self.resolution)
