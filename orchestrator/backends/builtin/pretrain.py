"""Train the committed tiny base models from scratch (the script behind `weights/`).

`builtin:tiny-sd` is trained here on procedural pictures (`pretrain_data`) so that it
draws recognisable shapes, colours and backgrounds; `builtin:tiny-sd-photo` is the
same model fine-tuned on the same pictures in a "photo" style, the demo's stand-in for
the specialised checkpoint a LoRA is tested on in the reference case.

Recipe (2 CPU cores): the VAE first (MSE + a small KL term), its latent scale set from
the data like SD's 0.18215; then the U-Net and the CLIP text encoder together on cached
latents (epsilon prediction, min-SNR-5 weighting, 10 % caption dropout so
classifier-free guidance works, AdamW with warm-up and cosine decay, an EMA of the
weights is what is saved); then the U-Net alone on photo-styled latents. Weights are
stored as float16 (the two files stay under 20 MB together) with their recipe and run
time in `weights/TRAINING.json`.

    python -m orchestrator.backends.builtin.pretrain            # about an hour on 2 cores
    python -m orchestrator.backends.builtin.pretrain --quick --out /tmp/w   # seconds: checks the script
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from orchestrator.backends.builtin import pretrain_data as data
from orchestrator.backends.builtin import tiny_model
from orchestrator.text.clip_tokenizer import load_clip_tokenizer

SEED = 20261125


@dataclass
class Recipe:
    images: int = 16384
    vae_images: int = 8192
    vae_steps: int = 1000
    vae_batch: int = 32
    vae_lr: float = 2e-3
    kl_weight: float = 1e-5
    base_minutes: float = 38.0
    base_batch: int = 64
    base_lr: float = 1e-3
    warmup_steps: int = 200
    photo_minutes: float = 6.0
    base_steps: int | None = None  # exact step counts instead of time budgets (to repeat a recorded run)
    photo_steps: int | None = None
    photo_lr: float = 3e-4
    caption_dropout: float = 0.1
    min_snr_gamma: float = 5.0
    ema_decay: float = 0.999
    threads: int = 2

    @classmethod
    def quick(cls) -> "Recipe":
        return cls(images=64, vae_images=64, vae_steps=3, vae_batch=8, base_batch=8, warmup_steps=2,
                   base_steps=4, photo_steps=3)


def _images_to_tensor(images) -> torch.Tensor:
    array = np.stack([np.asarray(im, dtype=np.float32) for im in images]) / 127.5 - 1.0
    return torch.from_numpy(array).permute(0, 3, 1, 2).contiguous()


def train_vae(recipe: Recipe, log) -> tuple[torch.nn.Module, float]:
    from diffusers import AutoencoderKL

    vae = AutoencoderKL(**tiny_model.VAE_CONFIG)
    pixels = _images_to_tensor([data.vae_scene(SEED + i) for i in range(recipe.vae_images)])
    opt = torch.optim.AdamW(vae.parameters(), lr=recipe.vae_lr, weight_decay=0.0)
    schedule = torch.optim.lr_scheduler.OneCycleLR(opt, recipe.vae_lr, total_steps=recipe.vae_steps, pct_start=0.05)
    gen = torch.Generator().manual_seed(SEED)
    for step in range(recipe.vae_steps):
        batch = pixels[torch.randint(0, len(pixels), (recipe.vae_batch,), generator=gen)]
        if random.random() < 0.5:
            batch = batch.flip(3)
        dist = vae.encode(batch).latent_dist
        recon = vae.decode(dist.sample(generator=gen)).sample
        loss = F.mse_loss(recon, batch) + recipe.kl_weight * dist.kl().mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(vae.parameters(), 1.0)
        opt.step()
        schedule.step()
        if step % 100 == 0 or step == recipe.vae_steps - 1:
            log(f"vae step {step}/{recipe.vae_steps} loss {loss.item():.5f}")
    vae.eval().requires_grad_(False)
    with torch.no_grad():
        latents = torch.cat([vae.encode(pixels[i:i + 256]).latent_dist.mean for i in range(0, len(pixels), 256)])
    scale = float(1.0 / latents.std())
    vae.register_to_config(scaling_factor=round(scale, 5))
    return vae, scale


def encode_dataset(vae, images, batch: int = 256) -> tuple[torch.Tensor, torch.Tensor]:
    """Latent means and standard deviations of every picture (sampled afresh each step)."""
    means, stds = [], []
    with torch.no_grad():
        for i in range(0, len(images), batch):
            dist = vae.encode(_images_to_tensor(images[i:i + batch])).latent_dist
            means.append(dist.mean)
            stds.append(dist.std)
    return torch.cat(means), torch.cat(stds)


class Ema:
    def __init__(self, modules: list[torch.nn.Module], decay: float):
        self.decay = decay
        self.params = [p for m in modules for p in m.parameters() if p.requires_grad]
        self.shadow = [p.detach().clone() for p in self.params]

    @torch.no_grad()
    def update(self, step: int) -> None:
        decay = min(self.decay, (1 + step) / (10 + step))
        for s, p in zip(self.shadow, self.params):
            s.lerp_(p, 1 - decay)

    @torch.no_grad()
    def copy_to_model(self) -> None:
        for s, p in zip(self.shadow, self.params):
            p.copy_(s)


def train_denoiser(unet, text_encoder, scheduler, latents: tuple[torch.Tensor, torch.Tensor], tokens: torch.Tensor,
                   empty: torch.Tensor, scale: float, minutes: float, lr: float, recipe: Recipe, log,
                   warmup: int, steps: int | None = None) -> dict:
    """Train `steps` steps, or until the time budget is spent; returns the step count and final loss."""
    trained = [m for m in (unet, text_encoder) if m is not None and any(p.requires_grad for p in m.parameters())]
    params = [p for m in trained for p in m.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    ema = Ema(trained, recipe.ema_decay)
    alphas = scheduler.alphas_cumprod
    snr = alphas / (1 - alphas)
    gen = torch.Generator().manual_seed(SEED + 1)
    means, stds = latents
    budget, start = minutes * 60.0, time.monotonic()
    # The cosine decay needs a step count: estimate it from the first 20 steps' pace.
    total, step, recent = steps, 0, []
    while True:
        elapsed = time.monotonic() - start
        if total is None and step == 20:
            total = max(step + 1, int(budget / (elapsed / step)))
            log(f"about {total} steps in {minutes:g} min")
        if (total is not None and step >= total) or (steps is None and step > 0 and elapsed > budget * 1.1):
            break
        horizon = total or 10 ** 6
        rate = lr * min(1.0, (step + 1) / warmup) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, step / horizon))))
        for group in opt.param_groups:
            group["lr"] = rate
        idx = torch.randint(0, len(means), (recipe.base_batch,), generator=gen)
        lat = (means[idx] + stds[idx] * torch.randn(means[idx].shape, generator=gen)) * scale
        ids = tokens[idx].clone()
        drop = torch.rand(len(idx), generator=gen) < recipe.caption_dropout
        ids[drop] = empty
        noise = torch.randn(lat.shape, generator=gen)
        t = torch.randint(0, scheduler.config.num_train_timesteps, (len(idx),), generator=gen)
        noisy = scheduler.add_noise(lat, noise, t)
        cond = text_encoder(ids)[0]
        pred = unet(noisy, t, encoder_hidden_states=cond).sample
        weight = torch.clamp(recipe.min_snr_gamma / snr[t], max=1.0)
        loss = (F.mse_loss(pred, noise, reduction="none").mean(dim=(1, 2, 3)) * weight).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        ema.update(step)
        recent = (recent + [loss.item()])[-200:]
        if step % 250 == 0:
            log(f"step {step} loss {sum(recent) / len(recent):.4f} lr {rate:.2e} {elapsed / 60:.1f} min")
        step += 1
    ema.copy_to_model()
    return {"steps": step, "final_loss": round(sum(recent) / max(1, len(recent)), 5),
            "minutes": round((time.monotonic() - start) / 60, 2)}


def _adherence(unet, vae, text_encoder, scheduler) -> dict:
    from orchestrator.backends.builtin.adherence import measure
    from orchestrator.backends.builtin.models import Models

    for module in (unet, vae, text_encoder):
        module.eval()
    result = measure(Models(unet, vae, text_encoder, scheduler))
    unet.train()
    text_encoder.train()
    return result


def run(out: Path, recipe: Recipe) -> dict:
    from diffusers import DDPMScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    tiny_model.quiet()
    torch.set_num_threads(recipe.threads)
    torch.manual_seed(SEED)
    random.seed(SEED)
    started = time.monotonic()

    def log(message: str) -> None:
        print(f"[{(time.monotonic() - started) / 60:5.1f} min] {message}", flush=True)

    log(f"training the VAE on {recipe.vae_images} pictures")
    vae, scale = train_vae(recipe, log)
    log(f"latent scale {scale:.5f}; drawing {recipe.images} captioned pictures")
    scenes = [data.shape_scene(SEED + 10 ** 6 + i) for i in range(recipe.images)]
    images = [im for im, _ in scenes]
    tokenizer = load_clip_tokenizer()
    tokens = torch.tensor(tokenizer.batch([data.caption(tags) for _, tags in scenes], 77), dtype=torch.long)
    empty = torch.tensor(tokenizer.batch([""], 77)[0], dtype=torch.long)
    latents = encode_dataset(vae, images)

    unet = UNet2DConditionModel(**tiny_model.UNET_CONFIG)
    text_encoder = CLIPTextModel(CLIPTextConfig(**tiny_model.TEXT_CONFIG))
    scheduler = DDPMScheduler(**tiny_model.SCHEDULER_CONFIG)
    log("training the U-Net and the text encoder")
    base = train_denoiser(unet, text_encoder, scheduler, latents, tokens, empty, scale, recipe.base_minutes,
                          recipe.base_lr, recipe, log, recipe.warmup_steps, recipe.base_steps)
    out.mkdir(parents=True, exist_ok=True)
    tiny_model.save_weights(out / tiny_model.weights_file("tiny-sd"), unet, vae, text_encoder)
    base["adherence"] = _adherence(unet, vae, text_encoder, scheduler)
    log(f"prompt adherence of tiny-sd: {base['adherence']}")

    log("fine-tuning the U-Net on photo-styled pictures (the test model)")
    photo_latents = encode_dataset(vae, [data.photo_style(im, i) for i, im in enumerate(images)])
    text_encoder.requires_grad_(False)
    photo = train_denoiser(unet, text_encoder, scheduler, photo_latents, tokens, empty, scale, recipe.photo_minutes,
                           recipe.photo_lr, recipe, log, warmup=20, steps=recipe.photo_steps)
    tiny_model.save_weights(out / tiny_model.weights_file("tiny-sd-photo"), unet, vae, text_encoder)
    photo["adherence"] = _adherence(unet, vae, text_encoder, scheduler)
    log(f"prompt adherence of tiny-sd-photo: {photo['adherence']}")

    record = {
        "command": "python -m orchestrator.backends.builtin.pretrain",
        "recipe": asdict(recipe), "seed": SEED, "latent_scale": round(scale, 5),
        "base": base, "photo": photo, "total_minutes": round((time.monotonic() - started) / 60, 1),
        "machine": f"{platform.processor() or platform.machine()}, {recipe.threads} threads, torch {torch.__version__}",
    }
    (out / "TRAINING.json").write_text(json.dumps(record, indent=2) + "\n")
    log(f"done: {json.dumps(record)}")
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=tiny_model.WEIGHTS_DIR, help="where the weights go")
    parser.add_argument("--quick", action="store_true", help="a few steps only: checks the script, not a model")
    parser.add_argument("--base-minutes", type=float, help="time budget of the base model's training")
    parser.add_argument("--photo-minutes", type=float, help="time budget of the test model's fine-tuning")
    parser.add_argument("--base-steps", type=int, help="exact steps instead of a time budget (see TRAINING.json)")
    parser.add_argument("--photo-steps", type=int, help="exact fine-tuning steps instead of a time budget")
    args = parser.parse_args(argv)
    recipe = Recipe.quick() if args.quick else Recipe()
    if args.base_minutes is not None:
        recipe.base_minutes = args.base_minutes
    if args.photo_minutes is not None:
        recipe.photo_minutes = args.photo_minutes
    recipe.base_steps = args.base_steps if args.base_steps is not None else recipe.base_steps
    recipe.photo_steps = args.photo_steps if args.photo_steps is not None else recipe.photo_steps
    run(args.out, recipe)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
