"""The kohya LoRA key grammar (sd-scripts networks/lora.py) and the block a module belongs to.

A key is `<module>.<role>`: module = `lora_unet_…` / `lora_te_…` (SDXL `lora_te1_…`,
`lora_te2_…`) + the layer path with "." → "_"; role = `lora_down.weight`,
`lora_up.weight` or `alpha`. A1111, Forge, ComfyUI and Civitai all read this shape.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PREFIXES = ("lora_unet_", "lora_te1_", "lora_te2_", "lora_te_")
ROLES = ("lora_down.weight", "lora_up.weight", "alpha")
_BLOCK = re.compile(r"^lora_unet_(down_blocks|up_blocks|input_blocks|output_blocks)_(\d+)_")
_MID = re.compile(r"^lora_unet_(mid_block|middle_block)_")
# Other LoRA families, named so a foreign file gets a useful message.
_LYCORIS = ("hada_w1_a", "hada_w1_b", "hada_w2_a", "hada_w2_b", "lokr_w1", "lokr_w2", "lora_mid.weight",
            "dora_scale", "oft_blocks", "diff", "diff_b", "on_input")  # fmt: skip
_PEFT = re.compile(r"(lora_A|lora_B|lora\.down|lora\.up|lora_linear_layer)")


@dataclass(frozen=True)
class Key:
    module: str
    role: str  # one of ROLES, or "" for a key this grammar does not know


def split(key: str) -> Key:
    for role in ROLES:
        if key.endswith("." + role) and key.startswith(PREFIXES):
            return Key(key[: -len(role) - 1], role)
    return Key(key, "")


def foreign_kind(key: str) -> str:
    """What an unknown key most likely is, for the message."""
    role = key.split(".", 1)[1] if "." in key else ""
    if any(role == r or role.startswith(r + ".") for r in _LYCORIS):  # whole names: "diff" is not "diffusion_model"
        return "LyCORIS (LoHa/LoKr/DoRA)"
    if _PEFT.search(key):
        return "diffusers/PEFT"
    return "unknown"


def block_of(module: str) -> str:
    """Group for per-block norms: te / te1 / te2, down_blocks_N, mid_block, up_blocks_N (SDXL: input/middle/output)."""
    for prefix in ("lora_te1_", "lora_te2_", "lora_te_"):
        if module.startswith(prefix):
            return prefix[len("lora_") : -1]
    match = _BLOCK.match(module)
    if match:
        return f"{match.group(1)}_{match.group(2)}"
    match = _MID.match(module)
    if match:
        return match.group(1)
    return "unet_other" if module.startswith("lora_unet_") else "other"


def block_order(block: str) -> tuple[int, int, str]:
    """Text encoders first, then the U-Net from input to output, as the data flows."""
    rank = {"te": 0, "te1": 0, "te2": 1, "down_blocks": 2, "input_blocks": 2, "mid_block": 3, "middle_block": 3,
            "up_blocks": 4, "output_blocks": 4, "unet_other": 5}  # fmt: skip
    head, _, number = block.rpartition("_")
    if number.isdigit():
        return rank.get(head, 6), int(number), block
    return rank.get(block, 6), 0, block


def is_text_encoder(block: str) -> bool:
    return block.startswith("te")
