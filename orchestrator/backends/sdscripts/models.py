"""Base models for the real trainer: fetch `hf://` references, detect the family from headers.

A wrong-family checkpoint fails only after minutes of loading (a strict state-dict
load error), and a wrong `v_parameterization` never fails at all. The family is read
from the safetensors header (tensor names only, no weights) or a diffusers folder's
configs, and checked against the preset before anything launches.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from orchestrator.problems import Problem
from orchestrator.schema.base import HUB_PREFIX

# Tensor-name prefixes that tell the families apart (facts doc §8).
_FAMILY_MARKERS = (
    ("sdxl", "conditioner.embedders.1.model."),
    ("sd2", "cond_stage_model.model."),
    ("sd15", "cond_stage_model.transformer."),
)
_CROSS_ATTENTION_DIM = {768: "sd15", 1024: "sd2", 2048: "sdxl"}
FAMILY_NAMES = {"sd15": "SD 1.x", "sd2": "SD 2.x", "sdxl": "SDXL"}


class ModelUnavailable(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(problem.line())


@dataclass(frozen=True)
class HubRef:
    repo_id: str
    filename: str | None  # None: the whole repository (a diffusers model)

    @classmethod
    def parse(cls, ref: str) -> "HubRef":
        parts = ref[len(HUB_PREFIX) :].split("/")
        return cls("/".join(parts[:2]), "/".join(parts[2:]) or None)


def cached_path(ref: str) -> Path | None:
    """The local file of an `hf://owner/repo/file` already in the Hugging Face cache, else None."""
    from huggingface_hub import try_to_load_from_cache

    hub = HubRef.parse(ref)
    if hub.filename is None:
        return None
    found = try_to_load_from_cache(hub.repo_id, hub.filename)
    return Path(found) if isinstance(found, str) else None


def fetch(ref: str, where: str = "model.base") -> Path:
    """Download (or reuse) a hub reference into the Hugging Face cache, with a progress bar."""
    from huggingface_hub import hf_hub_download, snapshot_download
    from huggingface_hub.errors import EntryNotFoundError, LocalEntryNotFoundError, RepositoryNotFoundError

    from orchestrator.hub import cache_only

    hub = HubRef.parse(ref)
    local_only, why = cache_only()  # offline: straight to the cache, not 25 s of retries first
    try:
        if hub.filename is None:
            return Path(snapshot_download(hub.repo_id, local_files_only=local_only))
        return Path(hf_hub_download(hub.repo_id, hub.filename, local_files_only=local_only))
    except LocalEntryNotFoundError:
        raise ModelUnavailable(
            Problem(
                where,
                f"{ref} is not in the Hugging Face cache and {why or 'the Hub cannot be reached (offline)'}",
                f"Download {hub.filename or 'the repository'} from https://huggingface.co/{hub.repo_id} while online "
                f"(`huggingface-cli download {hub.repo_id} {hub.filename or ''}`), or set {where} to a local file. "
                "Without downloads, `orchestrator run presets/demo.toml` trains the embedded tiny model",
                code="model-offline",
            )
        ) from None
    except (RepositoryNotFoundError, EntryNotFoundError):
        raise ModelUnavailable(
            Problem(where, f"{ref} does not exist on the Hugging Face Hub (or needs a token)",
                    "Check the repository and file name; for gated models run `huggingface-cli login`",
                    code="model-missing")
        ) from None


def detect_family(path: Path) -> str | None:
    """sd15 / sd2 / sdxl from a single-file checkpoint's tensor names or a diffusers folder."""
    if path.is_dir():
        config = path / "unet" / "config.json"
        if not config.exists():
            return None
        dim = json.loads(config.read_text(encoding="utf-8")).get("cross_attention_dim")
        return _CROSS_ATTENTION_DIM.get(dim if isinstance(dim, int) else -1)
    if path.suffix.lower() != ".safetensors":
        return None  # a pickle cannot be inspected without loading (and running) it
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="numpy") as handle:  # reads the header only
            keys = list(handle.keys())
    except (SafetensorError, OSError) as exc:
        raise ModelUnavailable(
            Problem("model.base", f"{path.name} is not a readable .safetensors file ({exc})",
                    "Re-download it; a half-finished download looks like this", code="model-corrupt")
        ) from None
    for family, prefix in _FAMILY_MARKERS:
        if any(k.startswith(prefix) for k in keys):
            return family
    return None


def family_problems(expected: str, path: Path, where: str = "model.base") -> list[Problem]:
    try:
        found = detect_family(path)
    except ModelUnavailable as exc:
        return [exc.problem]
    if found is None or found == expected:
        return []
    script = "sdxl_train_network.py" if found == "sdxl" else "train_network.py"
    return [
        Problem(
            where,
            f"{path.name} is an {FAMILY_NAMES[found]} checkpoint but model.family is {expected!r}",
            f"Set model.family = {found!r} (it trains with {script}); the wrong script fails after loading with a size mismatch",
            code="model-family",
        )
    ]
