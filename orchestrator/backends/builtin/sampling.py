"""Sample images during training, with sd-scripts' prompt syntax, timing and file names.

Prompt lines: `prompt --n negative --w 512 --h 512 --d seed --s steps --l cfg --ss sampler`
(defaults 512×512, 30 steps, cfg 7.5, facts §9). Files go to
`<output_dir>/sample/[<output_name>_]{e%06d|%06d}_%02d_%Y%m%d%H%M%S[_seed].png`.
Sampling saves and restores torch's RNG, so it never changes the training result.
"""

from __future__ import annotations

import json
import logging
import re
import time
from pathlib import Path
from typing import Any

import toml

log = logging.getLogger("orchestrator.builtin")

_OPTIONS = [  # (pattern after " --", key, converter)
    (r"w (\d+)", "width", int), (r"h (\d+)", "height", int), (r"d (\d+)", "seed", int),
    (r"s (\d+)", "sample_steps", lambda v: max(1, min(1000, int(v)))), (r"l ([\d\.]+)", "scale", float),
    (r"n (.+)", "negative_prompt", str), (r"ss (.+)", "sample_sampler", str),
]


def parse_prompt_line(line: str) -> dict[str, Any]:
    parts = line.split(" --")
    result: dict[str, Any] = {"prompt": parts[0]}
    for part in parts[1:]:
        for pattern, key, conv in _OPTIONS:
            match = re.match(pattern, part, re.IGNORECASE)
            if match:
                try:
                    result[key] = conv(match.group(1))
                except ValueError:
                    log.error(f"Exception in parsing / 解析エラー: {part}")
                break
    return result


def load_prompts(path: str) -> list[dict[str, Any]]:
    text = Path(path).read_text(encoding="utf-8")
    if path.endswith(".txt"):
        prompts: list[Any] = [ln.strip() for ln in text.splitlines() if ln.strip() and ln[0] != "#"]
    elif path.endswith(".toml"):
        data = toml.loads(text)
        prompts = [dict(**{k: v for k, v in data["prompt"].items() if k != "subset"}, **sub)
                   for sub in data["prompt"]["subset"]]
    else:
        prompts = json.loads(text)
    out = []
    for i, item in enumerate(prompts):
        entry = parse_prompt_line(item) if isinstance(item, str) else dict(item)
        entry["enum"] = i
        out.append(entry)
    return out


def due(args: dict[str, Any], epoch: int | None, steps: int) -> bool:
    """sd-scripts' rule: at step 0 only with sample_at_first; epochs win over steps."""
    if not args.get("sample_prompts"):
        return False
    if steps == 0:
        return bool(args.get("sample_at_first"))
    every_epochs, every_steps = args.get("sample_every_n_epochs"), args.get("sample_every_n_steps")
    if every_epochs is None and every_steps is None:
        return False
    if every_epochs is not None:
        return epoch is not None and epoch % every_epochs == 0
    return epoch is None and steps % every_steps == 0


def file_name(args: dict[str, Any], epoch: int | None, steps: int, index: int, seed: int | None) -> str:
    prefix = "" if args.get("output_name") is None else args["output_name"] + "_"
    number = f"e{epoch:06d}" if epoch is not None else f"{steps:06d}"
    suffix = "" if seed is None else f"_{seed}"
    return f"{prefix}{number}_{index:02d}_{time.strftime('%Y%m%d%H%M%S', time.localtime())}{suffix}.png"


def make_scheduler(name: str, v_parameterization: bool):
    import diffusers as d

    classes = {
        "ddim": d.DDIMScheduler, "pndm": d.PNDMScheduler, "euler": d.EulerDiscreteScheduler,
        "k_euler": d.EulerDiscreteScheduler, "euler_a": d.EulerAncestralDiscreteScheduler,
        "k_euler_a": d.EulerAncestralDiscreteScheduler, "dpmsolver": d.DPMSolverMultistepScheduler,
        "dpmsolver++": d.DPMSolverMultistepScheduler, "dpmsingle": d.DPMSolverSinglestepScheduler,
        "heun": d.HeunDiscreteScheduler, "dpm_2": d.KDPM2DiscreteScheduler, "k_dpm_2": d.KDPM2DiscreteScheduler,
        "dpm_2_a": d.KDPM2AncestralDiscreteScheduler, "k_dpm_2_a": d.KDPM2AncestralDiscreteScheduler,
    }
    kwargs: dict[str, Any] = {"num_train_timesteps": 1000, "beta_start": 0.00085, "beta_end": 0.012,
                              "beta_schedule": "scaled_linear"}
    if name in ("dpmsolver", "dpmsolver++"):
        kwargs["algorithm_type"] = name
    if v_parameterization:
        kwargs["prediction_type"] = "v_prediction"
    scheduler = classes.get(name, d.DDIMScheduler)(**kwargs)
    if getattr(scheduler.config, "clip_sample", None) is False:
        scheduler.register_to_config(clip_sample=True)  # sd-scripts samples with clip_sample on
    return scheduler


def generate(models: Any, prompt: dict[str, Any], default_sampler: str, v_parameterization: bool):
    """One image for one prompt dict (classifier-free guidance over the LoRA-patched models)."""
    import numpy as np
    import torch
    from PIL import Image

    width = max(64, prompt.get("width", 512) // 8 * 8)
    height = max(64, prompt.get("height", 512) // 8 * 8)
    steps, scale = prompt.get("sample_steps", 30), prompt.get("scale", 7.5)
    scheduler = make_scheduler(prompt.get("sample_sampler", default_sampler), v_parameterization)
    cond = models.encode_text([prompt.get("prompt", ""), prompt.get("negative_prompt") or ""])
    generator = torch.Generator().manual_seed(prompt["seed"]) if prompt.get("seed") is not None else None
    latents = torch.randn((1, 4, height // 8, width // 8), generator=generator) * scheduler.init_noise_sigma
    scheduler.set_timesteps(steps)
    for t in scheduler.timesteps:
        model_in = scheduler.scale_model_input(torch.cat([latents, latents]), t)
        pred = models.unet(model_in, t, encoder_hidden_states=cond).sample
        pred_text, pred_neg = pred.chunk(2)
        pred = pred_neg + scale * (pred_text - pred_neg)
        latents = scheduler.step(pred, t, latents, generator=generator).prev_sample
    image = models.vae.decode(latents / models.vae.config.scaling_factor).sample
    array = ((image[0].clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).numpy()
    return Image.fromarray(np.ascontiguousarray(array))


def sample_images(models: Any, network: Any, args: dict[str, Any], epoch: int | None, steps: int) -> list[Path]:
    if not due(args, epoch, steps):
        return []
    import torch

    log.info("")
    log.info(f"generating sample images at step / サンプル画像生成 ステップ: {steps}")
    path = args["sample_prompts"]
    if not Path(path).is_file():
        log.error(f"No prompt file / プロンプトファイルがありません: {path}")
        return []
    save_dir = Path(args["output_dir"]) / "sample"
    save_dir.mkdir(parents=True, exist_ok=True)
    rng_state = torch.get_rng_state()
    was_training = network.training
    network.eval()
    written = []
    try:
        with torch.no_grad():
            for prompt in load_prompts(path):
                sampler = prompt.get("sample_sampler", args.get("sample_sampler") or "ddim")
                for key in ("prompt", "negative_prompt"):
                    log.info(f"{key}: {prompt.get(key)}")
                log.info(f"height: {max(64, prompt.get('height', 512) // 8 * 8)}")
                log.info(f"width: {max(64, prompt.get('width', 512) // 8 * 8)}")
                log.info(f"sample_steps: {prompt.get('sample_steps', 30)}")
                log.info(f"scale: {prompt.get('scale', 7.5)}")
                log.info(f"sample_sampler: {sampler}")
                if prompt.get("seed") is not None:
                    log.info(f"seed: {prompt['seed']}")
                image = generate(models, prompt, sampler, bool(args.get("v_parameterization")))
                target = save_dir / file_name(args, epoch, steps, prompt["enum"], prompt.get("seed"))
                image.save(target)
                written.append(target)
    finally:
        torch.set_rng_state(rng_state)
        network.train(was_training)
    return written
