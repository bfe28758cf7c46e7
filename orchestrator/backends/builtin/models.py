"""The loaded tiny model: text encoding (with clip_skip), latent encoding, noise schedule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from orchestrator.backends.builtin import tiny_model
from orchestrator.text.clip_tokenizer import load_clip_tokenizer


@dataclass
class Models:
    unet: Any
    vae: Any
    text_encoder: Any
    noise_scheduler: Any
    clip_skip: int | None = None

    @classmethod
    def load(cls, clip_skip: int | None, name: str = tiny_model.DEFAULT) -> "Models":
        parts = tiny_model.load(name)
        for name in ("unet", "vae", "text_encoder"):
            parts[name].requires_grad_(False)
            parts[name].eval()
        return cls(parts["unet"], parts["vae"], parts["text_encoder"], parts["scheduler"], clip_skip)

    def tokenize(self, texts: list[str]) -> torch.Tensor:
        return torch.tensor(load_clip_tokenizer().batch(texts, 77), dtype=torch.long)

    def encode_text(self, texts: list[str]) -> torch.Tensor:
        tokens = self.tokenize(texts)
        if self.clip_skip is None:
            return self.text_encoder(tokens)[0]
        out = self.text_encoder(tokens, output_hidden_states=True, return_dict=True)
        final_norm = getattr(self.text_encoder, "text_model", self.text_encoder).final_layer_norm
        return final_norm(out.hidden_states[-self.clip_skip])

    def encode_images(self, images: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            latents = self.vae.encode(images).latent_dist.sample()
        if torch.isnan(latents).any():
            print("NaN found in latents, replacing with zeros", flush=True)
            latents = torch.nan_to_num(latents, 0.0)
        return latents * self.vae.config.scaling_factor
