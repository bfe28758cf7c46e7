"""`builtin:tiny-sd` and `builtin:tiny-sd-photo`: small Stable-Diffusion-shaped models that draw.

Same component types and wiring as SD 1.x (diffusers UNet2DConditionModel with
cross-attention Transformer2D blocks, an AutoencoderKL with a downscale factor of 8,
a CLIP text encoder over CLIP's 49,408-token vocabulary, SD's scaled-linear DDPM
schedule), only tiny, so a LoRA trains on any laptop with no download.

The weights are committed in `weights/` (float16, one safetensors file per model with
`unet.`, `vae.` and `text_encoder.` keys); `pretrain.py` trained them from scratch on
procedural pictures and regenerates them. `weights/MANIFEST.json` holds each file's
sha256, checked on load, so a damaged install fails with a message instead of drawing noise.

CLI: `python -m orchestrator.backends.builtin.tiny_model` lists the models and checks them.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

MODELS = {
    "tiny-sd": "the base model: shapes, colours and backgrounds (plays SD 1.5)",
    "tiny-sd-photo": "tiny-sd fine-tuned to a muted, grainy 'photo' look (plays the specialised test model)",
}
DEFAULT = "tiny-sd"
WEIGHTS_DIR = Path(__file__).with_name("weights")
MANIFEST = "MANIFEST.json"

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


def weights_file(name: str) -> str:
    return f"{name}.safetensors"


class WeightsMissing(RuntimeError):
    """The committed weights are absent or damaged: the install is broken."""


def model_name(ref: str) -> str:
    """`builtin:tiny-sd-photo` → `tiny-sd-photo`; unknown names are a clear error."""
    name = ref.removeprefix("builtin:")
    if name not in MODELS:
        raise WeightsMissing(f"unknown builtin model {ref!r}; the builtin models are "
                             + ", ".join(f"builtin:{n}" for n in MODELS))
    return name


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verified_path(name: str, folder: Path | None = None) -> Path:
    """The weights file of `name`, after checking it against the manifest."""
    folder = folder or WEIGHTS_DIR
    path = folder / weights_file(model_name(name))
    fix = "reinstall orchestrator, or regenerate them: python -m orchestrator.backends.builtin.pretrain"
    try:
        expected = json.loads((folder / MANIFEST).read_text())[path.name]
    except (OSError, ValueError, KeyError):
        raise WeightsMissing(f"{folder / MANIFEST} does not list {path.name}; {fix}") from None
    if not path.is_file():
        raise WeightsMissing(f"{path} is missing; {fix}")
    if _sha256(path) != expected:
        raise WeightsMissing(f"{path} is damaged (its sha256 differs from {MANIFEST}); {fix}")
    return path


def quiet() -> None:
    """No library progress bars or chatter in the trainer's output grammar."""
    from diffusers.utils import logging as dlog
    from transformers.utils import logging as tlog

    tlog.disable_progress_bar()
    tlog.set_verbosity_error()
    dlog.disable_progress_bar()
    dlog.set_verbosity_error()


def save_weights(path: Path, unet: Any, vae: Any, text_encoder: Any) -> None:
    """One float16 file per model, and its sha256 in the folder's manifest."""
    import torch
    from safetensors.torch import save_file

    tensors = {}
    for prefix, module in (("unet", unet), ("vae", vae), ("text_encoder", text_encoder)):
        for key, value in module.state_dict().items():
            tensors[f"{prefix}.{key}"] = value.detach().to(torch.float16).contiguous()
    metadata = {"vae_scaling_factor": str(vae.config.scaling_factor), "format": "orchestrator-tiny-sd/1"}
    save_file(tensors, str(path), metadata=metadata)
    manifest_path = path.parent / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError):
        manifest = {}
    manifest[path.name] = _sha256(path)
    manifest_path.write_text(json.dumps(dict(sorted(manifest.items())), indent=1) + "\n")


def load(name: str = DEFAULT, folder: Path | None = None) -> dict[str, Any]:
    """The four components of a builtin model, float32, in eval mode."""
    import torch
    from diffusers import AutoencoderKL, DDPMScheduler, UNet2DConditionModel
    from safetensors import safe_open
    from transformers import CLIPTextConfig, CLIPTextModel

    quiet()
    path = verified_path(name, folder)
    with safe_open(str(path), framework="pt") as fh:
        scaling = float(fh.metadata()["vae_scaling_factor"])
        state = {key: fh.get_tensor(key).to(torch.float32) for key in fh.keys()}
    with torch.random.fork_rng(devices=[]):  # the throw-away initialisation must not move a run's RNG
        parts = {
            "unet": UNet2DConditionModel(**UNET_CONFIG),
            "vae": AutoencoderKL(**dict(VAE_CONFIG, scaling_factor=scaling)),
            "text_encoder": CLIPTextModel(CLIPTextConfig(**TEXT_CONFIG)),
        }
    for prefix, module in parts.items():
        own = {k[len(prefix) + 1:]: v for k, v in state.items() if k.startswith(prefix + ".")}
        module.load_state_dict(own, strict=True)
        module.eval()
    parts["scheduler"] = DDPMScheduler(**SCHEDULER_CONFIG)
    return parts


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Check the builtin trainer's committed tiny models.")
    parser.parse_args(argv)
    for name, about in MODELS.items():
        try:
            path = verified_path(name)
        except WeightsMissing as exc:
            print(f"builtin:{name}: {exc}")
            return 1
        print(f"builtin:{name}: {path} ({path.stat().st_size / 1e6:.1f} MB) - {about}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
