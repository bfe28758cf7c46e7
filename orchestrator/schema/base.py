"""Shared building blocks of the project schema: strict models and path fields."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationInfo

HUB_PREFIX = "hf://"
BUILTIN_PREFIX = "builtin:"
_VAR = re.compile(r"\$(\w+)|\$\{([^}]*)\}")


class StrictModel(BaseModel):
    """Unknown keys are errors and a validated project never changes."""

    # allow_inf_nan=False: `learning_rate = inf` is a typo to catch, not a value to compile
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, allow_inf_nan=False)


def expand(text: str) -> str:
    """Expand `~` and `$VAR`/`${VAR}`; an unset variable is an error, not a silent literal."""

    def sub(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name not in os.environ:
            raise ValueError(f"environment variable ${name} is not set. Set it or write the path out")
        return os.environ[name]

    return os.path.expanduser(_VAR.sub(sub, text))


def _base_dir(info: ValidationInfo) -> Path:
    context = info.context or {}
    return Path(context.get("base_dir", "."))


def _resolve_path(value: Path, info: ValidationInfo) -> Path:
    if not str(value).strip() or str(value) == ".":  # Path("") is "."; an empty setting is a mistake, not the preset's folder
        raise ValueError("is empty: write the path (relative to the preset file, or absolute)")
    path = Path(expand(str(value)))
    if not path.is_absolute():
        path = _base_dir(info) / path
    return Path(os.path.normpath(path))


def _resolve_model_ref(value: str, info: ValidationInfo) -> str:
    """A model reference is `hf://owner/repo/file`, `builtin:<name>` or a local path."""
    if not value.strip():
        raise ValueError("is empty: give a .safetensors file, a diffusers folder, hf://owner/repo/file.safetensors or builtin:<name>")
    if value.startswith(HUB_PREFIX):
        parts = value[len(HUB_PREFIX) :].split("/")
        if len(parts) < 2 or not all(parts):
            raise ValueError(
                f"hub reference {value!r} must be hf://owner/repo/file.safetensors or hf://owner/repo"
            )
        return value
    if value.startswith(BUILTIN_PREFIX):
        return value
    return str(_resolve_path(Path(value), info))


# A filesystem path in a preset: `~` and `$VARS` expanded, relative to the preset file.
PresetPath = Annotated[Path, AfterValidator(_resolve_path)]
# A model: local file/folder (resolved like PresetPath), `hf://…` or `builtin:…`.
ModelRef = Annotated[str, AfterValidator(_resolve_model_ref)]


def is_local_ref(ref: str) -> bool:
    return not ref.startswith((HUB_PREFIX, BUILTIN_PREFIX))


def plain(value: Any) -> Any:
    """Paths to strings, tuples to lists: a value as it would be written back to TOML."""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value
