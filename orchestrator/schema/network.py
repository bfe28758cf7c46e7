"""[network]: the LoRA's shape and which parts of the model it trains."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from orchestrator.schema.base import StrictModel

NetworkModule = Literal["lora", "locon", "loha", "lokr"]
ArgValue = str | int | float | bool


class Network(StrictModel):
    module: NetworkModule = Field(
        "lora",
        description=(
            "lora and locon use sd-scripts' networks.lora (locon adds the 3×3 convolutions via conv_dim); "
            "loha and lokr use LyCORIS (lycoris.kohya, installed separately). → --network_module"
        ),
    )
    dim: int = Field(16, ge=1, description="Rank of the LoRA matrices. → --network_dim")
    alpha: float = Field(8.0, gt=0, description="Scale: the update is multiplied by alpha/dim. → --network_alpha")
    conv_dim: int | None = Field(None, ge=1, description="Rank for convolution layers (LoCon). → --network_args conv_dim=")
    conv_alpha: float | None = Field(None, gt=0, description="Alpha for convolution layers. → --network_args conv_alpha=")
    dropout: float | None = Field(None, ge=0, lt=1, description="Neuron dropout on the LoRA output. → --network_dropout")
    train_unet: bool = Field(True, description="Train the U-Net part. false → --network_train_text_encoder_only")
    train_text_encoder: bool = Field(True, description="Train the text-encoder part. false → --network_train_unet_only")
    args: dict[str, ArgValue] = Field(
        default_factory=dict,
        description="Other network options, e.g. loraplus_lr_ratio = 16. → --network_args key=value",
    )

    @model_validator(mode="after")
    def _checks(self) -> "Network":
        if not (self.train_unet or self.train_text_encoder):
            raise ValueError("train_unet and train_text_encoder are both false: nothing would train. Enable at least one")
        if self.module == "locon" and self.conv_dim is None:
            raise ValueError("module 'locon' needs conv_dim (the rank of the convolution layers), e.g. conv_dim = 8")
        if self.conv_alpha is not None and self.conv_dim is None:
            raise ValueError("conv_alpha is set without conv_dim. Set conv_dim too, or remove conv_alpha")
        reserved = {"conv_dim", "conv_alpha", "algo"} & set(self.args)
        if reserved:
            raise ValueError(
                f"args sets {', '.join(sorted(reserved))}: use network.conv_dim / conv_alpha / module instead"
            )
        return self
