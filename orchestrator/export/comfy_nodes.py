"""The ComfyUI core nodes our workflow uses: required inputs (with their types) and outputs.

Copied as data from ComfyUI's nodes.py `INPUT_TYPES()["required"]` / `RETURN_TYPES`, so
the structural check tests the workflow against the contract ComfyUI enforces when it
validates a prompt: every required input present, every link to an existing node and
to an output slot of the right type.
"""

from __future__ import annotations

from dataclasses import dataclass

# Value types: INT, FLOAT, STRING, COMBO (a string from a fixed list); the rest are link types.
VALUE_TYPES = ("INT", "FLOAT", "STRING", "COMBO")


@dataclass(frozen=True)
class NodeSpec:
    inputs: dict[str, str]
    outputs: tuple[str, ...]
    output_node: bool = False


NODES: dict[str, NodeSpec] = {
    "CheckpointLoaderSimple": NodeSpec({"ckpt_name": "STRING"}, ("MODEL", "CLIP", "VAE")),
    "LoraLoader": NodeSpec(
        {"model": "MODEL", "clip": "CLIP", "lora_name": "STRING", "strength_model": "FLOAT", "strength_clip": "FLOAT"},
        ("MODEL", "CLIP"),
    ),
    "CLIPTextEncode": NodeSpec({"text": "STRING", "clip": "CLIP"}, ("CONDITIONING",)),
    "EmptyLatentImage": NodeSpec({"width": "INT", "height": "INT", "batch_size": "INT"}, ("LATENT",)),
    "KSampler": NodeSpec(
        {"model": "MODEL", "seed": "INT", "steps": "INT", "cfg": "FLOAT", "sampler_name": "COMBO", "scheduler": "COMBO",
         "positive": "CONDITIONING", "negative": "CONDITIONING", "latent_image": "LATENT", "denoise": "FLOAT"},  # fmt: skip
        ("LATENT",),
    ),
    "VAEDecode": NodeSpec({"samples": "LATENT", "vae": "VAE"}, ("IMAGE",)),
    "SaveImage": NodeSpec({"images": "IMAGE", "filename_prefix": "STRING"}, (), output_node=True),
}

# comfy/samplers.py KSampler.SAMPLERS / SCHEDULERS (the stable core of the lists)
SAMPLERS = (
    "euler", "euler_cfg_pp", "euler_ancestral", "euler_ancestral_cfg_pp", "heun", "heunpp2", "dpm_2", "dpm_2_ancestral",
    "lms", "dpm_fast", "dpm_adaptive", "dpmpp_2s_ancestral", "dpmpp_sde", "dpmpp_sde_gpu", "dpmpp_2m", "dpmpp_2m_sde",
    "dpmpp_2m_sde_gpu", "dpmpp_3m_sde", "dpmpp_3m_sde_gpu", "ddpm", "lcm", "ipndm", "ipndm_v", "deis", "ddim", "uni_pc",
    "uni_pc_bh2",
)  # fmt: skip
SCHEDULERS = ("normal", "karras", "exponential", "sgm_uniform", "simple", "ddim_uniform", "beta")
COMBOS = {"sampler_name": SAMPLERS, "scheduler": SCHEDULERS}

# sd-scripts sample sampler names (the preset's samples.sampler) → ComfyUI sampler_name.
FROM_SD_SCRIPTS = {
    "ddim": "ddim", "pndm": "ipndm", "lms": "lms", "k_lms": "lms", "euler": "euler", "k_euler": "euler",
    "euler_a": "euler_ancestral", "k_euler_a": "euler_ancestral", "heun": "heun", "dpm_2": "dpm_2", "k_dpm_2": "dpm_2",
    "dpm_2_a": "dpm_2_ancestral", "k_dpm_2_a": "dpm_2_ancestral", "dpmsolver": "dpmpp_2m", "dpmsolver++": "dpmpp_2m",
    "dpmsingle": "dpmpp_2m",
}  # fmt: skip
