"""kohya-style LoRA (and LoCon) modules, with sd-scripts' names, init and scaling.

Written for this project after networks/lora.py's documented behaviour (facts §7): the
LoRA hooks the original layer's `forward` instead of replacing the layer, so the base
model stays untouched; `lora_down` is kaiming-uniform (a=√5), `lora_up` zeros; the
output adds `up(dropout(down(x))) × alpha/dim × multiplier`. Targets: Linear and 1×1
Conv2d inside U-Net `Transformer2DModel` blocks and CLIP attention/MLP; with
`conv_dim`, also the 3×3 convs (and other layers) of ResnetBlock2D/Downsample2D/
Upsample2D. Key names: prefix + module path with "." → "_".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

UNET_PREFIX = "lora_unet"
TE_PREFIX = "lora_te"
UNET_TARGETS = ("Transformer2DModel",)
UNET_CONV_TARGETS = ("ResnetBlock2D", "Downsample2D", "Upsample2D")
TE_TARGETS = ("CLIPAttention", "CLIPSdpaAttention", "CLIPMLP")


@dataclass(frozen=True)
class NetworkSpec:
    dim: int = 4
    alpha: float = 1.0
    dropout: float | None = None
    rank_dropout: float | None = None
    module_dropout: float | None = None
    conv_dim: int | None = None
    conv_alpha: float | None = None

    @classmethod
    def from_args(cls, dim: int | None, alpha: float | None, dropout: float | None, net_args: dict[str, str]) -> "NetworkSpec":
        conv_dim = int(net_args["conv_dim"]) if "conv_dim" in net_args else None
        conv_alpha = float(net_args.get("conv_alpha", 1.0)) if conv_dim is not None else None
        opt = lambda k: float(net_args[k]) if k in net_args else None  # noqa: E731
        return cls(
            dim=4 if dim is None else int(dim),
            alpha=1.0 if alpha is None else float(alpha),
            dropout=dropout,
            rank_dropout=opt("rank_dropout"),
            module_dropout=opt("module_dropout"),
            conv_dim=conv_dim,
            conv_alpha=conv_alpha,
        )


class LoRAModule(nn.Module):
    def __init__(self, name: str, org: nn.Module, dim: int, alpha: float, spec: NetworkSpec):
        super().__init__()
        self.lora_name = name
        self.lora_dim = dim
        if isinstance(org, nn.Conv2d):
            self.lora_down = nn.Conv2d(org.in_channels, dim, org.kernel_size, org.stride, org.padding, bias=False)
            self.lora_up = nn.Conv2d(dim, org.out_channels, (1, 1), (1, 1), bias=False)
        else:
            self.lora_down = nn.Linear(org.in_features, dim, bias=False)
            self.lora_up = nn.Linear(dim, org.out_features, bias=False)
        alpha = dim if not alpha else alpha  # 0/None means "no scaling", as in sd-scripts
        self.scale = alpha / dim
        self.register_buffer("alpha", torch.tensor(float(alpha)))
        nn.init.kaiming_uniform_(self.lora_down.weight, a=math.sqrt(5))
        nn.init.zeros_(self.lora_up.weight)
        self.multiplier = 1.0
        self.dropout, self.rank_dropout, self.module_dropout = spec.dropout, spec.rank_dropout, spec.module_dropout
        self._org = [org]  # a list keeps the base layer out of this module's parameters and state dict
        self._org_forward = None

    def apply_to(self) -> None:
        org = self._org[0]
        self._org_forward = org.forward
        org.forward = self.forward  # hook: every call of the base layer goes through the LoRA

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self._org_forward(x)
        if self.multiplier == 0.0:
            return out
        if self.module_dropout and self.training and torch.rand(1) < self.module_dropout:
            return out
        lx = self.lora_down(x)
        if self.dropout and self.training:
            lx = torch.nn.functional.dropout(lx, p=self.dropout)
        scale = self.scale
        if self.rank_dropout and self.training:
            mask = torch.rand((lx.size(0), self.lora_dim), device=lx.device) > self.rank_dropout
            if lx.dim() == 3:
                mask = mask.unsqueeze(1)
            elif lx.dim() == 4:
                mask = mask.unsqueeze(-1).unsqueeze(-1)
            lx = lx * mask
            scale = self.scale / (1.0 - self.rank_dropout)
        return out + self.lora_up(lx) * self.multiplier * scale


def _create(root: nn.Module, prefix: str, targets: tuple[str, ...], spec: NetworkSpec, unet: bool) -> list[LoRAModule]:
    loras: list[LoRAModule] = []
    if not unet and not hasattr(root, "text_model"):
        # transformers ≥ 5 dropped CLIPTextModel's `text_model` level; the kohya names keep it
        prefix = f"{prefix}.text_model"
    for name, module in root.named_modules():
        if module.__class__.__name__ not in targets:
            continue
        for child_name, child in module.named_modules():
            is_linear = isinstance(child, nn.Linear)
            is_conv = isinstance(child, nn.Conv2d)
            if not (is_linear or is_conv):
                continue
            if is_linear or child.kernel_size == (1, 1):
                dim, alpha = spec.dim, spec.alpha
            elif unet and spec.conv_dim:
                dim, alpha = spec.conv_dim, spec.conv_alpha
            else:
                continue
            lora_name = f"{prefix}.{name}.{child_name}".replace(".", "_")
            loras.append(LoRAModule(lora_name, child, dim, alpha, spec))
    return loras


class LoRANetwork(nn.Module):
    def __init__(self, text_encoder: nn.Module, unet: nn.Module, spec: NetworkSpec,
                 train_text_encoder: bool = True, train_unet: bool = True):
        super().__init__()
        self.spec = spec
        unet_targets = UNET_TARGETS + (UNET_CONV_TARGETS if spec.conv_dim else ())
        self.text_encoder_loras = _create(text_encoder, TE_PREFIX, TE_TARGETS, spec, unet=False)
        self.unet_loras = _create(unet, UNET_PREFIX, unet_targets, spec, unet=True)
        self.created = (len(self.text_encoder_loras), len(self.unet_loras))
        if not train_text_encoder:
            self.text_encoder_loras = []
        if not train_unet:
            self.unet_loras = []
        for lora in self.text_encoder_loras + self.unet_loras:
            lora.apply_to()
            self.add_module(lora.lora_name, lora)

    def set_multiplier(self, multiplier: float) -> None:
        for lora in self.text_encoder_loras + self.unet_loras:
            lora.multiplier = multiplier

    def param_groups(self, text_encoder_lr: float | None, unet_lr: float | None, default_lr: float) -> tuple[list[dict], list[str]]:
        """Optimiser groups like sd-scripts: a group with lr 0 is dropped ("NO LR skipping!")."""
        groups, names = [], []
        for loras, lr, label in ((self.text_encoder_loras, text_encoder_lr, "textencoder"),
                                 (self.unet_loras, unet_lr, "unet")):
            if not loras:
                continue
            lr = default_lr if lr is None else lr
            if not lr:
                continue
            groups.append({"params": [p for lora in loras for p in lora.parameters()], "lr": lr})
            names.append(label)
        return groups, names

    def weights(self, dtype: torch.dtype | None = None) -> dict[str, torch.Tensor]:
        state = {k: v.detach().clone().cpu() for k, v in self.state_dict().items()}
        if dtype is not None:
            state = {k: v.to(dtype) for k, v in state.items()}
        return state
