"""The builtin CPU trainer against a minimal hand-written diffusers + peft loop, same model and data.

Ours: `orchestrator.backends.builtin` training a rank-4 LoRA (U-Net Transformer2D blocks
and CLIP attention/MLP, alpha 4, AdamW 1e-4, batch 2, 64 px images loaded and VAE-encoded
every step, no latent cache) on the tiny model. Baseline: the loop a script would write
with diffusers and peft: the same tiny model, peft LoRA adapters on the same layers
(`to_q/k/v/out.0`, `proj_in/out`, `ff.net.*`; `q/k/v/out_proj`, `fc1/2`), the images
preloaded as tensors, then VAE encode, text encode, noise, U-Net, MSE, backward, AdamW.
Each runs in its own fresh process (so peak RSS is its own), steps/s over the steps after
a warm-up. The third row is the tiny model's start-up: the committed float16 file, sha256
checked (ours), against diffusers/transformers `from_pretrained` of the same components.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

from benchmarks._common import REPO, child_env, make_row, sig

STEPS, QUICK_STEPS = 24, 8
WARMUP = 3
IMAGES = 8

_COMMON = """
import json, os, resource, sys, time
from pathlib import Path
os.environ["ORCHESTRATOR_CACHE"] = sys.argv[1]
work = Path(sys.argv[2]); steps = int(sys.argv[3])
def report(times):
    rate = (len(times) - 1 - {warm}) / (times[-1] - times[{warm}])
    print(json.dumps({{"steps_per_s": rate, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
""".format(warm=WARMUP)

OURS = _COMMON + """
from orchestrator.backends.builtin import loop
from orchestrator.backends.builtin.train import preflight
args, configs, problems = preflight(["--config_file", str(work / "config.toml"), "--dataset_config", str(work / "dataset.toml"),
                                     "--max_train_steps", str(steps)])
assert not problems, problems
loop.configure_torch(); loop.seed_everything(0)
import io, contextlib
trainer = loop.Trainer(args, configs)
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    assert trainer.run() == 0
report(trainer.step_times)
"""

BASELINE = _COMMON + """
import numpy as np, torch
from PIL import Image
from diffusers import AutoencoderKL, DDPMScheduler, UNet2DConditionModel
from transformers import CLIPTextModel
from peft import LoraConfig, inject_adapter_in_model
from orchestrator.backends.builtin import tiny_model
from orchestrator.text.clip_tokenizer import load_clip_tokenizer
torch.set_num_threads(max(1, min(4, os.cpu_count() or 1))); torch.manual_seed(0)
parts = tiny_model.load()  # the same committed weights the trainer starts from
unet, vae, te, sched = parts["unet"], parts["vae"], parts["text_encoder"], parts["scheduler"]
for m in (unet, vae, te): m.requires_grad_(False)
unet = inject_adapter_in_model(LoraConfig(r=4, lora_alpha=4, init_lora_weights="gaussian",
    target_modules=["to_q", "to_k", "to_v", "to_out.0", "proj_in", "proj_out", "ff.net.0.proj", "ff.net.2"]), unet)
te = inject_adapter_in_model(LoraConfig(r=4, lora_alpha=4, init_lora_weights="gaussian",
    target_modules=["q_proj", "k_proj", "v_proj", "out_proj", "fc1", "fc2"]), te)
params = [p for m in (unet, te) for p in m.parameters() if p.requires_grad]
opt = torch.optim.AdamW(params, lr=1e-4)
paths = sorted((work / "img").glob("*.png"))
images = [torch.from_numpy(np.array(Image.open(p).convert("RGB"))).permute(2, 0, 1).float() / 127.5 - 1 for p in paths]
captions = [(p.with_suffix(".txt")).read_text().strip() for p in paths]
tok = load_clip_tokenizer()
times = []
for step in range(steps):
    idx = [(2 * step) % len(images), (2 * step + 1) % len(images)]
    with torch.no_grad():
        latents = vae.encode(torch.stack([images[i] for i in idx])).latent_dist.sample() * vae.config.scaling_factor
    ids = torch.tensor(tok.batch([captions[i] for i in idx], 77))
    cond = te(ids)[0]
    noise = torch.randn_like(latents); t = torch.randint(0, 1000, (2,))
    pred = unet(sched.add_noise(latents, noise, t), t, encoder_hidden_states=cond).sample
    loss = torch.nn.functional.mse_loss(pred, noise)
    loss.backward(); torch.nn.utils.clip_grad_norm_(params, 1.0); opt.step(); opt.zero_grad()
    times.append(time.perf_counter())
report(times)
"""

BUILD = """
import json, sys, time
from pathlib import Path
from orchestrator.backends.builtin import tiny_model
import torch, diffusers, transformers  # imports are paid by both measurements alike: time the work
from diffusers import AutoencoderKL, UNet2DConditionModel
from transformers import CLIPTextModel
folder = Path(sys.argv[1]) / "diffusers"
for name, module in tiny_model.load().items():
    if name != "scheduler":
        module.save_pretrained(folder / name)
t0 = time.perf_counter(); tiny_model.load(); ours = time.perf_counter() - t0
t0 = time.perf_counter()
UNet2DConditionModel.from_pretrained(folder / "unet"); AutoencoderKL.from_pretrained(folder / "vae")
CLIPTextModel.from_pretrained(folder / "text_encoder")
print(json.dumps({"ours_s": ours, "diffusers_s": time.perf_counter() - t0}))
"""


def _dataset(work: Path) -> None:
    from PIL import Image, ImageDraw

    (work / "img").mkdir(parents=True)
    for i in range(IMAGES):
        img = Image.new("RGB", (64, 64), (30 * i % 256, 80, 200 - 20 * i))
        ImageDraw.Draw(img).ellipse((8 + i, 8, 56, 56 - i), fill=(200, 30, 30))
        img.save(work / "img" / f"{i:02d}.png")
        (work / "img" / f"{i:02d}.txt").write_text(f"sks, red circle, tag{i}\n")
    (work / "config.toml").write_text(textwrap.dedent(f"""
        pretrained_model_name_or_path = "builtin:tiny-sd"
        network_module = "networks.lora"
        network_dim = 4
        network_alpha = 4.0
        learning_rate = 1e-4
        optimizer_type = "AdamW"
        seed = 0
        max_data_loader_n_workers = 0
        output_dir = "{work / 'out'}"
        output_name = "bench"
        """))
    (work / "dataset.toml").write_text(textwrap.dedent(f"""
        [general]
        caption_extension = ".txt"
        [[datasets]]
        resolution = 64
        batch_size = 2
        [[datasets.subsets]]
        image_dir = "{work / 'img'}"
        num_repeats = 10
        """))


def _child(code: str, *argv: str) -> dict[str, Any]:
    # both loops get what the trainer sets for itself: sleeping, not spinning, OpenMP threads
    env = {**child_env(), "OMP_WAIT_POLICY": "PASSIVE"}
    done = subprocess.run([sys.executable, "-c", code, *argv], cwd=REPO, env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "child failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(quick: bool = False, runs: int | None = None) -> list[dict[str, Any]]:
    steps = (QUICK_STEPS if quick else STEPS) + WARMUP + 1
    with tempfile.TemporaryDirectory(prefix="bench-builtin-") as tmp:
        work, cache = Path(tmp) / "work", Path(tmp) / "cache"
        _dataset(work)
        build = _child(BUILD, str(cache))
        ours = _child(OURS, str(cache), str(work), str(steps))
        base = _child(BASELINE, str(cache), str(work), str(steps))
    note = f"tiny-sd, rank-4 LoRA on U-Net + text encoder, batch 2, 64 px, {steps - WARMUP - 1} timed steps"
    return [
        make_row("builtin.train_steps_per_s", ours["steps_per_s"], base["steps_per_s"], "steps/s", "higher",
                 note=note + "; baseline: diffusers + peft hand-written loop"),
        make_row("builtin.peak_rss", ours["peak_rss_mb"], base["peak_rss_mb"], "MB", "lower",
                 note="peak resident memory of the whole training process"),
        make_row("builtin.model_start", build["ours_s"], build["diffusers_s"], "s", "lower",
                 note="tiny_model.load() (one float16 file, sha256-checked) vs diffusers/transformers "
                      "from_pretrained of the same three components saved in their standard folders"),
    ]
