"""Put a saved kohya LoRA file back onto the tiny model (for evaluation and generation).

The network is rebuilt from the file's own `ss_network_*` metadata, so LoCon files
(`conv_dim`) come back with their 3×3 modules; a file whose keys do not match the
model is refused with the keys named, never silently half-applied.
"""

from __future__ import annotations

import json
from pathlib import Path

from safetensors import safe_open
from torch import nn

from orchestrator.backends.builtin.network import LoRANetwork, NetworkSpec


class LoraMismatch(ValueError):
    """The LoRA file was not trained on this model."""


def _spec(metadata: dict[str, str]) -> NetworkSpec:
    try:
        net_args = json.loads(metadata.get("ss_network_args") or "{}")
    except ValueError:
        net_args = {}
    dim = metadata.get("ss_network_dim")
    alpha = metadata.get("ss_network_alpha")
    return NetworkSpec.from_args(int(dim) if dim and dim != "None" else None,
                                 float(alpha) if alpha and alpha != "None" else None, None, net_args)


def attach(path: Path, text_encoder: nn.Module, unet: nn.Module, multiplier: float = 1.0) -> LoRANetwork:
    """Hook the LoRA in `path` onto the models; stacking works by attaching several."""
    import torch

    with safe_open(str(path), framework="pt") as fh:
        metadata = fh.metadata() or {}
        state = {key: fh.get_tensor(key).to(torch.float32) for key in fh.keys()}
    network = LoRANetwork(text_encoder, unet, _spec(metadata),
                          train_text_encoder=any(k.startswith("lora_te") for k in state),
                          train_unet=any(k.startswith("lora_unet") for k in state))
    missing, unexpected = network.load_state_dict(state, strict=False)
    if unexpected or missing:
        names = (unexpected or missing)[:3]
        raise LoraMismatch(f"{path.name} does not fit this model ({len(unexpected)} unknown, {len(missing)} missing "
                           f"keys, e.g. {', '.join(names)})")
    network.set_multiplier(multiplier)
    network.requires_grad_(False)
    network.eval()
    return network
