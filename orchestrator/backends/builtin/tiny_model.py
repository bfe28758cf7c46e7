"""`builtin:tiny-sd`: a seeded, randomly initialised, Stable-Diffusion-shaped model.

Same component types and wiring as SD 1.x (diffusers UNet2DConditionModel with
cross-attention Transformer2D blocks, an AutoencoderKL with a downscale factor of 8,
a CLIP text encoder over CLIP's 49,408-token vocabulary, SD's scaled-linear DDPM
schedule), only tiny, so a LoRA trains on any laptop with no download. Built once
into `$ORCHESTRATOR_CACHE/models/tiny-sd/` (default `~/.cache/orchestrator`):
written to a temporary folder, verified, then renamed into place; `COMPLETE.json`
lists every file's sha256 so a half-written or corrupted cache is rebuilt.

CLI: `python -m orchestrator.backends.builtin.tiny_model [--rebuild]` prints the folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from orchestrator.paths import cache_root

MODEL_NAME = "tiny-sd"
BUILD_SEED = 20240229
FORMAT_VERSION = 1  # bump when the configs below change: old caches are rebuilt
MARKER = "COMPLETE.json"

UNET_CONFIG: dict[str, Any] = {
    "sample_size": 8,  # latents of a 64 px image
    "in_channels": 4,
    "out_channels": 4,
    "layers_per_block": 1,
    "block_out_channels": (32, 64),
    "down_block_types": ("CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
    "up_block_types": ("CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
    "mid_block_type": "UNetMidBlock2DCrossAttn",
    "cross_attention_dim": 32,
    "attention_head_dim": 8,
    "norm_num_groups": 16,
}
VAE_CONFIG: dict[str, Any] = {
    "in_channels": 3,
    "out_channels": 3,
    "latent_channels": 4,
    "block_out_channels": (16, 16, 32, 32),  # four blocks → 8× downscale, like SD's VAE
    "down_block_types": ("DownEncoderBlock2D",) * 4,
    "up_block_types": ("UpDecoderBlock2D",) * 4,
    "layers_per_block": 1,
    "norm_num_groups": 8,
    "sample_size": 64,
    "scaling_factor": 0.18215,
}
TEXT_CONFIG: dict[str, Any] = {
    "vocab_size": 49408,
    "max_position_embeddings": 77,
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "hidden_act": "quick_gelu",
    "projection_dim": 32,
    "bos_token_id": 49406,
    "eos_token_id": 49407,
    "pad_token_id": 49407,
}
SCHEDULER_CONFIG: dict[str, Any] = {
    "num_train_timesteps": 1000,
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "clip_sample": False,
    "steps_offset": 1,
    "prediction_type": "epsilon",
}


def model_dir(root: Path | None = None) -> Path:
    return (root or cache_root()) / "models" / MODEL_NAME


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MARKER)


def is_complete(folder: Path) -> bool:
    """True when the marker exists, matches this format and every listed file hashes right."""
    marker = folder / MARKER
    try:
        info = json.loads(marker.read_text())
    except (OSError, ValueError):
        return False
    if info.get("format") != FORMAT_VERSION:
        return False
    listed = info.get("files", {})
    present = {str(p.relative_to(folder)) for p in _files(folder)}
    if set(listed) != present:
        return False
    return all(_sha256(folder / rel) == digest for rel, digest in listed.items())


def _quiet() -> None:
    """No library progress bars or chatter in the trainer's output grammar."""
    from diffusers.utils import logging as dlog
    from transformers.utils import logging as tlog

    tlog.disable_progress_bar()
    tlog.set_verbosity_error()
    dlog.disable_progress_bar()
    dlog.set_verbosity_error()


def _write_components(target: Path) -> None:
    import torch
    from diffusers import AutoencoderKL, DDPMScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    _quiet()
    with torch.random.fork_rng(devices=[]):  # a build inside a run must not move the run's RNG
        torch.manual_seed(BUILD_SEED)  # one fixed stream: the same weights on every machine
        unet = UNet2DConditionModel(**UNET_CONFIG)
        vae = AutoencoderKL(**VAE_CONFIG)
        text_encoder = CLIPTextModel(CLIPTextConfig(**TEXT_CONFIG))
    unet.save_pretrained(target / "unet")
    vae.save_pretrained(target / "vae")
    text_encoder.save_pretrained(target / "text_encoder")
    DDPMScheduler(**SCHEDULER_CONFIG).save_pretrained(target / "scheduler")
    index = {
        "_class_name": "StableDiffusionPipeline",
        "_diffusers_version": "0.42.0",
        "unet": ["diffusers", "UNet2DConditionModel"],
        "vae": ["diffusers", "AutoencoderKL"],
        "text_encoder": ["transformers", "CLIPTextModel"],
        "scheduler": ["diffusers", "DDPMScheduler"],
        "tokenizer": [None, None],  # the offline CLIP tokenizer (orchestrator.text) is used instead
        "safety_checker": [None, None],
        "feature_extractor": [None, None],
        "requires_safety_checker": False,
    }
    (target / "model_index.json").write_text(json.dumps(index, indent=2))


def build(root: Path | None = None, force: bool = False) -> Path:
    """Return the tiny model's folder, building (or rebuilding a broken one) when needed."""
    folder = model_dir(root)
    if not force and is_complete(folder):
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{MODEL_NAME}-", dir=folder.parent))
    try:
        _write_components(tmp)
        files = {str(p.relative_to(tmp)): _sha256(p) for p in _files(tmp)}
        (tmp / MARKER).write_text(json.dumps({"format": FORMAT_VERSION, "seed": BUILD_SEED, "files": files}, indent=1))
        if folder.exists():  # broken or outdated: move aside, then drop, so the swap stays atomic
            stale = Path(tempfile.mkdtemp(prefix=f".{MODEL_NAME}-stale-", dir=folder.parent))
            os.replace(folder, stale / MODEL_NAME)
            shutil.rmtree(stale, ignore_errors=True)
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def load(folder: Path) -> dict[str, Any]:
    """The four components, float32, ready to train (frozen by the caller)."""
    from diffusers import AutoencoderKL, DDPMScheduler, UNet2DConditionModel
    from transformers import CLIPTextModel

    _quiet()
    return {
        "unet": UNet2DConditionModel.from_pretrained(folder / "unet"),
        "vae": AutoencoderKL.from_pretrained(folder / "vae"),
        "text_encoder": CLIPTextModel.from_pretrained(folder / "text_encoder"),
        "scheduler": DDPMScheduler.from_pretrained(folder / "scheduler"),
    }


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Build the builtin trainer's tiny Stable-Diffusion-shaped model.")
    parser.add_argument("--rebuild", action="store_true", help="build again even when the cache is complete")
    parser.add_argument("--cache", type=Path, default=None, help="cache root (default $ORCHESTRATOR_CACHE)")
    args = parser.parse_args(argv)
    print(build(args.cache, force=args.rebuild))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
