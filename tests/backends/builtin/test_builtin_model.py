"""The tiny base model's cache, and the trained LoRA through diffusers' own kohya loader."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrator.backends.builtin import tiny_model

pytestmark = pytest.mark.slow


def test_cache_is_built_once_and_a_broken_one_is_rebuilt(tmp_path: Path):
    folder = tiny_model.build(tmp_path)
    assert tiny_model.is_complete(folder)
    marker = json.loads((folder / tiny_model.MARKER).read_text())
    assert "unet/diffusion_pytorch_model.safetensors" in marker["files"]
    stamp = (folder / tiny_model.MARKER).stat().st_mtime_ns
    assert tiny_model.build(tmp_path) == folder and (folder / tiny_model.MARKER).stat().st_mtime_ns == stamp

    weights = folder / "unet" / "diffusion_pytorch_model.safetensors"
    good = weights.read_bytes()
    weights.write_bytes(good[: len(good) // 2])  # half-written file
    assert not tiny_model.is_complete(folder)
    tiny_model.build(tmp_path)
    assert tiny_model.is_complete(folder) and weights.read_bytes() == good  # seeded: the same weights again

    (folder / tiny_model.MARKER).unlink()  # interrupted before the marker
    assert not tiny_model.is_complete(folder)
    assert tiny_model.is_complete(tiny_model.build(tmp_path))
    assert not [p for p in tmp_path.rglob(".tiny-sd-*")]  # no temp folders left behind


def test_diffusers_loads_the_lora_and_it_changes_the_output(trained):
    import numpy as np
    import torch
    from diffusers import DDIMScheduler, StableDiffusionPipeline

    from orchestrator.text.clip_tokenizer import load_clip_tokenizer

    tmp = trained[0]
    parts = tiny_model.load(tiny_model.build())
    pipe = StableDiffusionPipeline(
        vae=parts["vae"], text_encoder=parts["text_encoder"], tokenizer=None, unet=parts["unet"],
        scheduler=DDIMScheduler.from_config(parts["scheduler"].config), safety_checker=None,
        feature_extractor=None, requires_safety_checker=False)
    pipe.set_progress_bar_config(disable=True)
    ids = torch.tensor(load_clip_tokenizer().batch(["sks, red circle"], 77))

    def generate() -> np.ndarray:
        with torch.no_grad():  # prompt embeddings through the (LoRA-patched) text encoder
            embeds = pipe.text_encoder(ids)[0]
            return pipe(prompt_embeds=embeds, negative_prompt_embeds=torch.zeros_like(embeds), height=64, width=64,
                        num_inference_steps=2, generator=torch.Generator().manual_seed(0), output_type="np").images

    base = generate()
    pipe.load_lora_weights(str(tmp / "out" / "tiny.safetensors"), adapter_name="tiny")  # kohya keys, converted
    assert pipe.get_list_adapters() == {"unet": ["tiny"], "text_encoder": ["tiny"]}
    pipe.set_adapters(["tiny"], [1.0])
    with_lora = generate()
    pipe.set_adapters(["tiny"], [0.0])
    without = generate()
    assert np.abs(with_lora - base).max() > 1e-4
    assert np.array_equal(without, base)
