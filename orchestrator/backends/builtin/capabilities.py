"""What the builtin CPU trainer supports, and a check that lists everything it does not.

Torch-free: the CLI's `validate` imports this before any launch. The trainer calls
`check_options` too and exits 2 with the full list, so an option is never silently
ignored. Every sd-scripts `train_network.py` option (see `sd_options.py`) is in one of
three states here:

* supported - implemented with sd-scripts' meaning (some with restricted values);
* no-op     - accepted and documented as having no effect on this CPU trainer (they only
              change speed or memory on GPUs, or multi-process behaviour);
* anything else is unsupported: fine at its sd-scripts default, an error otherwise.

Keys that are not sd-scripts options at all are errors too (sd-scripts would silently
ignore a typo; the wrapper does not).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any, Callable, Literal

from orchestrator.backends.builtin.sd_options import SD_OPTIONS
from orchestrator.problems import Problem

BASE_MODEL = "builtin:tiny-sd"
OPTIMIZERS = ("AdamW", "SGDNesterov")  # case-insensitive, "" means AdamW (sd-scripts' default)
SCHEDULERS = ("constant", "constant_with_warmup", "linear", "cosine", "cosine_with_restarts", "polynomial")
WARMUP_SCHEDULERS = frozenset(SCHEDULERS) - {"constant"}
SAMPLERS = (
    "ddim", "pndm", "euler", "euler_a", "k_euler", "k_euler_a", "heun",
    "dpm_2", "dpm_2_a", "k_dpm_2", "k_dpm_2_a", "dpmsolver", "dpmsolver++", "dpmsingle",
)
NETWORK_ARGS = ("conv_dim", "conv_alpha", "rank_dropout", "module_dropout")
LOSS_TYPES = ("l2", "l1")
TINY_TEXT_LAYERS = 2  # clip_skip can select at most this many layers back

Status = Literal["supported", "noop"]
Checker = Callable[[Any], "str | None"]


@dataclass(frozen=True)
class Capability:
    status: Status
    note: str
    check: Checker | None = None


# --- value checkers: return what is wrong, or None -------------------------------------

def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _opt(check: Checker) -> Checker:
    return lambda v: None if v is None else check(v)


def _int(lo: int | None = None) -> Checker:
    def check(v: Any) -> str | None:
        if not _is_int(v):
            return f"must be an integer (got {v!r})"
        if lo is not None and v < lo:
            return f"must be ≥ {lo} (got {v})"
        return None

    return _opt(check)


def _multiple_of(step: int) -> Checker:
    def check(v: Any) -> str | None:
        if not _is_int(v) or v <= 0 or v % step:
            return f"must be a positive multiple of {step} (got {v!r})"
        return None

    return _opt(check)


def _num(lo: float | None = None, hi: float | None = None) -> Checker:
    def check(v: Any) -> str | None:
        if not _is_num(v):
            return f"must be a number (got {v!r})"
        if lo is not None and v < lo or hi is not None and v > hi:
            return f"must be in [{lo}, {hi}] (got {v})"
        return None

    return _opt(check)


def _bool(v: Any) -> str | None:
    return None if isinstance(v, bool) else f"must be true or false (got {v!r})"


def _str(v: Any) -> str | None:
    return None if v is None or isinstance(v, str) else f"must be a string (got {v!r})"


def _one_of(*allowed: Any, fold: bool = False) -> Checker:
    def check(v: Any) -> str | None:
        key = v.lower() if fold and isinstance(v, str) else v
        pool = [a.lower() for a in allowed] if fold else list(allowed)
        return None if key in pool else f"must be one of {', '.join(map(repr, allowed))} (got {v!r})"

    return check


def _base_model(v: Any) -> str | None:
    from orchestrator.backends.builtin.tiny_model import MODELS

    if isinstance(v, str) and v.startswith("builtin:") and v.removeprefix("builtin:") in MODELS:
        return None
    known = ", ".join(f"builtin:{name}" for name in MODELS)
    return f"the builtin trainer only trains its own tiny models (got {v!r}); use one of {known}"


def _resolution(v: Any) -> str | None:
    # sd-scripts crashes on a non-string resolution in the training config (facts §3)
    if v is None:
        return None
    if not isinstance(v, str):
        return f'must be a string like "512" or "768,512" (got {v!r})'
    parts = v.split(",")
    if len(parts) not in (1, 2) or not all(p.strip().isdigit() for p in parts):
        return f"must be 'size' or 'width,height' (got {v!r})"
    return None


def _lr_list(v: Any) -> str | None:
    if v is None or _is_num(v):
        return None
    if isinstance(v, list) and all(_is_num(x) for x in v):
        return None if len(v) <= 1 else "the tiny model has one text encoder: give one value"
    return f"must be a number or a list of numbers (got {v!r})"


def _kv_list(parse_value: bool, allowed: tuple[str, ...] | None = None) -> Checker:
    def check(v: Any) -> str | None:
        if v is None:
            return None
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            return f'must be a list of "key=value" strings (got {v!r})'
        for item in v:
            if "=" not in item:
                return f'{item!r} is not "key=value"'
            key, value = item.split("=", 1)
            if allowed is not None and key not in allowed:
                return f"{key!r} is not supported (supported: {', '.join(allowed)})"
            if parse_value:
                try:
                    ast.literal_eval(value)
                except (ValueError, SyntaxError):
                    return f"{item!r}: value is not a Python literal (sd-scripts reads it with literal_eval)"
        return None

    return check


def _warmup(v: Any) -> str | None:
    if v is None or _is_int(v) and v >= 0:
        return None
    if isinstance(v, float) and v >= 0:
        return None  # from TOML any float is a fraction of the total steps, as in sd-scripts
    return f"must be a step count or a fraction (got {v!r})"


def _path_ext(*exts: str) -> Checker:
    def check(v: Any) -> str | None:
        if v is None:
            return None
        if not isinstance(v, str):
            return f"must be a path string (got {v!r})"
        return None if v.endswith(exts) else f"must end with {' or '.join(exts)} (got {v!r})"

    return check


def _max_token_length(v: Any) -> str | None:
    return None if v is None else "only 75 tokens (unset) are supported by the builtin trainer"


def _clip_skip(v: Any) -> str | None:
    if v is None:
        return None
    if not _is_int(v) or not 1 <= v <= TINY_TEXT_LAYERS:
        return f"must be 1..{TINY_TEXT_LAYERS} for the tiny text encoder (got {v!r})"
    return None


S, N = "supported", "noop"
CAPABILITIES: dict[str, Capability] = {
    # model
    "pretrained_model_name_or_path": Capability(S, f"a builtin model, e.g. {BASE_MODEL!r} (committed weights)", _base_model),
    "v2": Capability(S, "false only: the tiny model is SD 1.x-shaped", _one_of(False)),
    "v_parameterization": Capability(S, "v-prediction loss and sampling", _bool),
    "clip_skip": Capability(S, f"1..{TINY_TEXT_LAYERS} (the tiny text encoder has {TINY_TEXT_LAYERS} layers)", _clip_skip),
    "max_token_length": Capability(S, "unset only (75 tokens)", _max_token_length),
    "tokenizer_cache_dir": Capability(N, "the offline CLIP tokenizer is always used", _str),
    # network
    "network_module": Capability(S, "'networks.lora' (LoRA, LoCon with conv_dim)", _one_of("networks.lora")),
    "network_dim": Capability(S, "rank, default 4", _int(1)),
    "network_alpha": Capability(S, "default 1", _num(0)),
    "network_dropout": Capability(S, "neuron dropout on the LoRA down output", _num(0, 1)),
    "network_args": Capability(S, f"keys {', '.join(NETWORK_ARGS)}", _kv_list(False, NETWORK_ARGS)),
    "network_train_unet_only": Capability(S, "", _bool),
    "network_train_text_encoder_only": Capability(S, "", _bool),
    "training_comment": Capability(S, "stored in ss_training_comment", _str),
    # optimiser and schedule
    "optimizer_type": Capability(S, f"{', '.join(OPTIMIZERS)} ('' = AdamW)", _one_of("", *OPTIMIZERS, fold=True)),
    "optimizer_args": Capability(S, '"key=value" with literal_eval values', _kv_list(True)),
    "learning_rate": Capability(S, "", _num(0)),
    "unet_lr": Capability(S, "0 drops the U-Net group", _num(0)),
    "text_encoder_lr": Capability(S, "number or one-element list; 0 drops the group", _lr_list),
    "lr_scheduler": Capability(S, ", ".join(SCHEDULERS), _one_of(*SCHEDULERS)),
    "lr_warmup_steps": Capability(S, "int steps, or float < 1 = fraction of total steps", _warmup),
    "lr_scheduler_num_cycles": Capability(S, "cosine_with_restarts cycles", _int(1)),
    "lr_scheduler_power": Capability(S, "polynomial power", _num()),
    "max_grad_norm": Capability(S, "0 = no clipping", _num(0)),
    "max_train_epochs": Capability(S, "wins over max_train_steps", _int(1)),
    "max_train_steps": Capability(S, "default 1600 like sd-scripts", _int(1)),
    "seed": Capability(S, "same seed → identical LoRA tensors on the same machine", _int(0)),
    "gradient_accumulation_steps": Capability(S, "", _int(1)),
    "train_batch_size": Capability(S, "fallback for the dataset batch_size", _int(1)),
    "mixed_precision": Capability(S, "'no' only (CPU float32)", _one_of("no")),
    "save_precision": Capability(S, "float, fp16 or bf16 (cast at save)", _opt(_one_of("float", "fp16", "bf16"))),
    # loss and noise
    "noise_offset": Capability(S, "", _num(0)),
    "min_snr_gamma": Capability(S, "", _num(0)),
    "prior_loss_weight": Capability(S, "loss weight of regularisation images", _num(0)),
    "loss_type": Capability(S, "l2 or l1", _one_of(*LOSS_TYPES)),
    # dataset fallbacks (used when dataset_config leaves them out, facts §4)
    "dataset_config": Capability(S, "required: sd-scripts' dataset TOML", _path_ext(".toml", ".json")),
    "config_file": Capability(S, "the training TOML", _str),
    "resolution": Capability(S, 'string "512" or "W,H"', _resolution),
    "enable_bucket": Capability(S, "", _bool),
    "min_bucket_reso": Capability(S, "", _int(1)),
    "max_bucket_reso": Capability(S, "", _int(1)),
    "bucket_reso_steps": Capability(S, "must be divisible by 64 (SD)", _multiple_of(64)),
    "bucket_no_upscale": Capability(S, "", _bool),
    "dataset_repeats": Capability(S, "fallback for num_repeats", _int(1)),
    "caption_extension": Capability(S, "default .caption", _str),
    "caption_separator": Capability(S, "", _str),
    "caption_prefix": Capability(S, "", _str),
    "caption_suffix": Capability(S, "", _str),
    "shuffle_caption": Capability(S, "", _bool),
    "keep_tokens": Capability(S, "", _int(0)),
    "keep_tokens_separator": Capability(S, "", _str),
    "secondary_separator": Capability(S, "", _str),
    "enable_wildcard": Capability(S, "{a|b} and random caption line", _bool),
    "flip_aug": Capability(S, "", _bool),
    "random_crop": Capability(S, "", _bool),
    "caption_dropout_rate": Capability(S, "", _num(0, 1)),
    "caption_dropout_every_n_epochs": Capability(S, "", _int(0)),
    "caption_tag_dropout_rate": Capability(S, "", _num(0, 1)),
    "cache_latents": Capability(S, "latents encoded once, in memory (not with random_crop)", _bool),
    "vae_batch_size": Capability(N, "latents are encoded per batch on the CPU", _int(1)),
    # output
    "output_dir": Capability(S, "required", _str),
    "logging_dir": Capability(S, "loss and learning-rate scalars as JSON lines (scalars.jsonl), not TensorBoard files", _opt(_str)),
    "log_prefix": Capability(S, "prefix of the logging folder, as in sd-scripts", _opt(_str)),
    "output_name": Capability(S, "", _str),
    "save_model_as": Capability(S, "safetensors (with metadata), pt or ckpt", _opt(_one_of("safetensors", "pt", "ckpt"))),
    "save_every_n_epochs": Capability(S, "", _int(1)),
    "save_every_n_steps": Capability(S, "", _int(1)),
    "save_n_epoch_ratio": Capability(S, "", _int(1)),
    "save_last_n_epochs": Capability(S, "older epoch files are removed", _int(1)),
    "save_last_n_epochs_state": Capability(S, "", _int(1)),
    "save_state": Capability(S, "state folders <name>-NNNNNN-state with train_state.json", _bool),
    "save_state_on_train_end": Capability(S, "", _bool),
    "resume": Capability(S, "a state folder written by this trainer", _str),
    "no_metadata": Capability(S, "", _bool),
    **{
        f"metadata_{k}": Capability(S, f"modelspec.{k}", _str)
        for k in ("title", "author", "description", "license", "tags", "trigger_phrase", "usage_hint",
                  "merged_from", "preprocessor", "is_negative_embedding")
    },
    # samples
    "sample_prompts": Capability(S, ".txt/.toml/.json in sd-scripts' prompt syntax", _path_ext(".txt", ".toml", ".json")),
    "sample_every_n_epochs": Capability(S, "", _int(1)),
    "sample_every_n_steps": Capability(S, "", _int(1)),
    "sample_at_first": Capability(S, "", _bool),
    "sample_sampler": Capability(S, ", ".join(SAMPLERS), _one_of(*SAMPLERS)),
    # console
    "console_log_simple": Capability(S, "log lines as bare messages on stdout", _bool),
    "console_log_level": Capability(S, "", _opt(_one_of("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"))),
    # GPU-only performance and multi-process knobs: accepted, no effect on this CPU trainer
    "sdpa": Capability(N, "attention kernel choice; the CPU uses torch's default", _bool),
    "xformers": Capability(N, "GPU attention kernel", _bool),
    "mem_eff_attn": Capability(N, "GPU attention kernel", _bool),
    "gradient_checkpointing": Capability(N, "memory saving only; results are identical", _bool),
    "max_data_loader_n_workers": Capability(N, "images load in-process (fast start on small data)", _int(0)),
    "persistent_data_loader_workers": Capability(N, "no loader workers", _bool),
    "cache_latents_to_disk": Capability(N, "latents are cached in memory only (when cache_latents)", _bool),
    "lowram": Capability(N, "", _bool),
    "highvram": Capability(N, "", _bool),
    "no_half_vae": Capability(N, "the VAE always runs in float32", _bool),
    "ddp_timeout": Capability(N, "single process", _int(0)),
    "ddp_gradient_as_bucket_view": Capability(N, "single process", _bool),
    "ddp_static_graph": Capability(N, "single process", _bool),
}


def option_table() -> list[tuple[str, str, str]]:
    """(option, status, note) for docs and `orchestrator backends show builtin`."""
    return sorted((k, c.status, c.note) for k, c in CAPABILITIES.items())


def _is_default(key: str, value: Any) -> bool:
    default = SD_OPTIONS[key][1]
    return value is None or value == default or value in (False, [], "")


def check_options(flat_config: dict[str, Any]) -> list[Problem]:
    """Every option or value in a flattened training config this trainer cannot honour."""
    problems: list[Problem] = []
    for key, value in flat_config.items():
        cap = CAPABILITIES.get(key)
        if key not in SD_OPTIONS:
            problems.append(Problem(
                key, "unknown option (sd-scripts would silently ignore it)",
                "Check the spelling against train_network.py's options.", code="unknown-option"))
        elif cap is None:
            if not _is_default(key, value):
                problems.append(Problem(
                    key, f"not supported by the builtin trainer (got {value!r})",
                    "Remove it, or train with the sd-scripts backend.", code="unsupported-option"))
        elif cap.check is not None:
            wrong = cap.check(value)
            if wrong:
                problems.append(Problem(key, wrong, cap.note and f"Builtin: {cap.note}.", code="unsupported-value"))
    problems.extend(_cross_field(flat_config))
    return problems


def _cross_field(cfg: dict[str, Any]) -> list[Problem]:
    out: list[Problem] = []
    if not cfg.get("network_module"):
        out.append(Problem("network_module", "is required", "Set network_module = \"networks.lora\".", code="required"))
    if not cfg.get("output_dir"):
        out.append(Problem("output_dir", "is required (sd-scripts fails only at the first save)",
                           "Set output_dir.", code="required"))
    warmup = cfg.get("lr_warmup_steps") or 0
    if cfg.get("lr_scheduler", "constant") == "constant" and warmup:
        out.append(Problem("lr_warmup_steps", f"constant does not require `num_warmup_steps` (got {warmup})",
                           "Set it to 0, or use constant_with_warmup.", code="conflict"))
    if cfg.get("network_train_unet_only") and cfg.get("network_train_text_encoder_only"):
        out.append(Problem("network_train_unet_only", "conflicts with network_train_text_encoder_only",
                           "Choose one.", code="conflict"))
    if cfg.get("cache_latents") and cfg.get("random_crop"):
        out.append(Problem("cache_latents", "when caching latents, random_crop cannot be used",
                           "Turn one of them off.", code="conflict"))
    if cfg.get("resume") and not cfg.get("seed") and cfg.get("seed") != 0:
        out.append(Problem("resume", "needs a fixed seed to continue the same run", "Set seed.",
                           severity="warning", code="resume-seed"))
    return out
