"""Cross-field rules of sd-scripts that it checks late (after loading) or never.

Each rule gets the project and the flattened compiled config (what the trainer will
see, extra_args included) and returns Problems with the rule and the fix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from orchestrator.problems import Problem
from orchestrator.schema.project import Project
from orchestrator.schema.suggest import did_you_mean

Flat = dict[str, Any]
Rule = Callable[[Project, Flat], Iterator[Problem]]
RULES: list[Rule] = []

# Keys networks/lora.py reads from --network_args (v0.10.1); anything else is ignored silently.
LORA_NETWORK_ARGS = (
    "conv_dim", "conv_alpha", "block_dims", "block_alphas", "conv_block_dims", "conv_block_alphas",
    "down_lr_weight", "mid_lr_weight", "up_lr_weight", "block_lr_zero_threshold", "rank_dropout",
    "module_dropout", "loraplus_lr_ratio", "loraplus_unet_lr_ratio", "loraplus_text_encoder_lr_ratio",
)  # fmt: skip
KNOWN_MULTI_NODE = (
    "one machine with several GPUs (accelerate --multi_gpu) is what the pinned sd-scripts handles; "
    "several machines are launched correctly but sd-scripts' own multi-node support has known hangs "
    "(upstream PR #1246 is still open)"
)


def rule(fn: Rule) -> Rule:
    RULES.append(fn)
    return fn


def check(project: Project, flat: Flat) -> list[Problem]:
    return [problem for fn in RULES for problem in fn(project, flat)]


def _extra(key: str) -> str:
    return f"trainer.extra_args.{key}"


@rule
def text_encoder_output_cache(p: Project, flat: Flat) -> Iterator[Problem]:
    if not (flat.get("cache_text_encoder_outputs") or flat.get("cache_text_encoder_outputs_to_disk")):
        return
    if p.model.family != "sdxl":
        yield Problem(_extra("cache_text_encoder_outputs"), "exists only in sdxl_train_network.py", "Remove it for SD 1.x/2.x")
    if p.network.train_text_encoder:
        yield Problem(_extra("cache_text_encoder_outputs"), "cached text-encoder outputs cannot train a text-encoder LoRA "
                      "(sd-scripts asserts this after loading)", "Set network.train_text_encoder = false")
    shuffled = p.training.shuffle_caption or any(s.shuffle_caption for s in p.subjects)
    if shuffled or p.training.caption_dropout_rate or p.training.caption_tag_dropout_rate:
        yield Problem(_extra("cache_text_encoder_outputs"), "caches each caption once, so shuffle_caption and caption "
                      "dropout would have no effect", "Turn off caption shuffling/dropout, or don't cache text-encoder outputs")


@rule
def sdxl_vae_precision(p: Project, flat: Flat) -> Iterator[Problem]:
    if p.model.family == "sdxl" and p.training.mixed_precision == "fp16" and not flat.get("no_half_vae"):
        yield Problem("training.mixed_precision", "SDXL's VAE overflows in fp16 and produces NaN latents",
                      "Add trainer.extra_args.no_half_vae = true, or use mixed_precision = \"bf16\"", "warning")


@rule
def full_precision_flags(p: Project, flat: Flat) -> Iterator[Problem]:
    for flag, needs in (("full_fp16", "fp16"), ("full_bf16", "bf16")):
        if flat.get(flag) and p.training.mixed_precision != needs:
            yield Problem(_extra(flag), f"requires training.mixed_precision = {needs!r} (sd-scripts asserts this)",
                          f"Set training.mixed_precision = {needs!r} or remove {flag}")
    if flat.get("fp8_base") and p.training.mixed_precision == "no":
        yield Problem(_extra("fp8_base"), "requires mixed precision fp16 or bf16", "Set training.mixed_precision")


@rule
def attention_kernels(p: Project, flat: Flat) -> Iterator[Problem]:
    chosen = [k for k in ("mem_eff_attn", "xformers", "sdpa") if flat.get(k)]
    if len(chosen) > 1:
        yield Problem("training.attention", f"several attention kernels are on ({', '.join(chosen)}); sd-scripts "
                      "silently uses the first of mem_eff_attn > xformers > sdpa", "Choose one with training.attention only")


@rule
def network_args_are_read(p: Project, flat: Flat) -> Iterator[Problem]:
    if flat.get("network_module") != "networks.lora":
        return
    for item in flat.get("network_args", []):
        key = item.split("=", 1)[0]
        if key not in LORA_NETWORK_ARGS:
            hint = did_you_mean(key, LORA_NETWORK_ARGS).lstrip("; ")
            yield Problem(f"network.args.{key}", "networks.lora does not read this key and would ignore it silently",
                          (hint[0].upper() + hint[1:]) if hint else f"It reads: {', '.join(LORA_NETWORK_ARGS)}")


@rule
def network_options_in_the_right_place(p: Project, flat: Flat) -> Iterator[Problem]:
    for key in p.trainer.extra_args:
        if key in LORA_NETWORK_ARGS:
            yield Problem(_extra(key), "is a network option: as a trainer option it is ignored silently "
                          "(kohya_ss once shipped LoRA+ switched off this way)", f"Move it to [network] args = {{ {key} = … }}")


@rule
def lycoris_needs_its_package(p: Project, flat: Flat) -> Iterator[Problem]:
    if p.network.module in ("loha", "lokr"):
        yield Problem("network.module", f"{p.network.module} uses LyCORIS (network_module lycoris.kohya)",
                      "Install it in the trainer's venv: `pip install lycoris-lora`", "info")


@rule
def multi_node(p: Project, flat: Flat) -> Iterator[Problem]:
    if p.launch.num_machines > 1:
        yield Problem("launch.num_machines", f"{p.launch.num_machines} machines: {KNOWN_MULTI_NODE}",
                      "Prefer one machine with several GPUs; test a short multi-node run before a long one", "warning")


@rule
def v_prediction_family(p: Project, flat: Flat) -> Iterator[Problem]:
    if p.model.v_parameterization and p.model.family == "sd15":
        yield Problem("model.v_parameterization", "SD 1.x checkpoints predict noise, not v; a wrong setting trains "
                      "silently into a broken LoRA", "Remove it unless the checkpoint is a v-prediction fine-tune", "warning")
