"""Render evaluation images on a builtin model, in a child process (torch lives here).

    python -m orchestrator.backends.builtin.render SPEC.json

SPEC: {"jobs": [{"model": "builtin:tiny-sd", "loras": ["a.safetensors", ...],
                 "weights": [0.0, 0.5, ...],
                 "images": [{"prompt": ..., "negative": ..., "seed": 1, "out": {"0.5": "path.png"}}]}],
       "steps": 20, "scale": 7.5, "width": 64, "height": 64, "sampler": "ddim"}

Each job loads its model once, hooks its LoRA files on (stacked, every one at the
column's weight) and renders all of its images per weight in one batch. Fixed seeds:
each image's starting noise comes from its own generator, so a cell is the same
picture whatever else is in the batch. One JSON line per finished weight goes to
stdout so the supervisor can show progress.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def render_batch(models: Any, prompts: list[str], negatives: list[str], seeds: list[int], *, steps: int,
                 scale: float, width: int, height: int, sampler: str = "ddim"):
    """Images for (prompt, seed) pairs with classifier-free guidance; deterministic per seed."""
    import numpy as np
    import torch
    from PIL import Image

    from orchestrator.backends.builtin.sampling import make_scheduler

    scheduler = make_scheduler(sampler, False)
    if getattr(scheduler.config, "clip_sample", None):
        scheduler.register_to_config(clip_sample=False)  # latents are not bounded to [-1, 1]
    cond = models.encode_text(prompts + negatives)
    shape = (4, height // 8, width // 8)
    latents = torch.stack([torch.randn(shape, generator=torch.Generator().manual_seed(s)) for s in seeds])
    latents = latents * scheduler.init_noise_sigma
    scheduler.set_timesteps(steps)
    for t in scheduler.timesteps:
        model_in = scheduler.scale_model_input(torch.cat([latents, latents]), t)
        pred = models.unet(model_in, t, encoder_hidden_states=cond).sample
        pred_text, pred_neg = pred.chunk(2)
        latents = scheduler.step(pred_neg + scale * (pred_text - pred_neg), t, latents).prev_sample
    decoded = models.vae.decode(latents / models.vae.config.scaling_factor).sample
    arrays = ((decoded.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy()
    return [Image.fromarray(np.ascontiguousarray(a)) for a in arrays]


def run(spec: dict[str, Any]) -> int:
    import torch

    from orchestrator.backends.builtin import lora_file
    from orchestrator.backends.builtin.loop import configure_torch
    from orchestrator.backends.builtin.models import Models

    configure_torch()
    done = 0
    for job in spec["jobs"]:
        models = Models.load(None, job["model"].removeprefix("builtin:"))
        networks = [lora_file.attach(Path(p), models.text_encoder, models.unet) for p in job.get("loras", [])]
        images = job["images"]
        for weight in job["weights"]:
            for network in networks:
                network.set_multiplier(float(weight))
            with torch.no_grad():
                pictures = render_batch(models, [i["prompt"] for i in images], [i.get("negative", "") for i in images],
                                        [int(i["seed"]) for i in images], steps=int(spec["steps"]),
                                        scale=float(spec["scale"]), width=int(spec["width"]),
                                        height=int(spec["height"]), sampler=spec.get("sampler", "ddim"))
            for item, picture in zip(images, pictures):
                out = Path(item["out"][str(weight)])
                out.parent.mkdir(parents=True, exist_ok=True)
                picture.save(out)
            done += len(images)
            print(json.dumps({"event": "rendered", "model": job["model"], "epoch": job.get("epoch"), "weight": weight,
                              "images": done}), flush=True)  # fmt: skip
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m orchestrator.backends.builtin.render SPEC.json", file=sys.stderr)
        return 2
    return run(json.loads(Path(args[0]).read_text(encoding="utf-8")))


if __name__ == "__main__":
    raise SystemExit(main())
