"""The A1111 / Forge prompt snippet: `<lora:NAME:WEIGHT>` plus the trigger words.

NAME is the file name without extension, as the WebUI lists files in models/Lora/.
"""

from __future__ import annotations

from typing import Any

from orchestrator.export.source import ExportSource


def lora_tag(name: str, weight: float) -> str:
    return f"<lora:{name}:{weight:g}>"


def with_triggers(prompt: str, triggers: list[str]) -> str:
    """The prompt with every trigger word in it (missing ones put first, where keep_tokens kept them)."""
    tags = [t.strip() for t in prompt.split(",") if t.strip()]
    missing = [t for t in triggers if t not in tags]
    return ", ".join(missing + tags)


def snippet(src: ExportSource, weight: float = 0.8) -> dict[str, Any]:
    tag = lora_tag(src.name, weight)
    triggers = ", ".join(src.triggers)
    return {
        "lora": str(src.lora),
        "name": src.name,
        "weight": weight,
        "triggers": src.triggers,
        "snippet": f"{tag}, {triggers}" if triggers else tag,
        "example": ", ".join(part for part in (with_triggers(src.prompt, src.triggers), tag) if part),
        "negative": src.negative,
        "install": f"copy {src.lora.name} into stable-diffusion-webui/models/Lora/ (Forge: models/Lora/)",
    }
