"""What the trainer left in output/: the final LoRA and the newest checkpoint or state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

MODEL_SUFFIXES = (".safetensors", ".ckpt", ".pt")


def final_lora_path(flat_config: dict[str, Any], output_dir: Path) -> Path:
    """`<output_dir>/<output_name|"last">.<save_model_as>` (facts §6 file names)."""
    name = flat_config.get("output_name") or "last"
    ext = flat_config.get("save_model_as") or "safetensors"
    return Path(flat_config.get("output_dir") or output_dir) / f"{name}.{ext}"


def newest_checkpoint(output_dir: Path) -> Path | None:
    """The newest LoRA file on disk (what survives an interrupt; `newest_state` finds its state)."""
    if not output_dir.is_dir():
        return None
    found = [p for p in output_dir.iterdir() if p.is_file() and p.suffix in MODEL_SUFFIXES]
    return max(found, key=lambda p: p.stat().st_mtime_ns) if found else None


def newest_state(output_dir: Path) -> Path | None:
    """The newest resumable state folder (needs training.save_state)."""
    if not output_dir.is_dir():
        return None
    states = [p for p in output_dir.iterdir() if p.is_dir() and p.name.endswith("-state")]
    return max(states, key=lambda p: p.stat().st_mtime_ns) if states else None
