"""Project → the two TOML documents sd-scripts reads (as Python data, not text).

`config.toml` (`--config_file`) is sectioned for people; sd-scripts flattens it one
level, so section names are free and every key is an argument of train_network.py
with the type its parser would have produced (the file is not type-converted:
`resolution` would have to be a string, floats stay floats, nargs options are lists).
`dataset_config.toml` follows sd-scripts' strict dataset schema. Only keys that the
project sets are written, except a few that are always explicit because the
trainer's defaults are traps (caption_extension, output_dir/name, network_module).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from orchestrator.schema.project import Project
from orchestrator.schema.subjects import Subject

NETWORK_MODULES = {"lora": "networks.lora", "locon": "networks.lora", "loha": "lycoris.kohya", "lokr": "lycoris.kohya"}


def python_literal(value: Any) -> str:
    """A value as sd-scripts' optimizer_args parser reads it (ast.literal_eval): lists become tuples."""
    if isinstance(value, list):
        inner = ", ".join(python_literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value)


def network_args(project: Project) -> list[str]:
    net = project.network
    args: list[str] = []
    if net.module in ("loha", "lokr"):
        args.append(f"algo={net.module}")
    if net.conv_dim is not None:
        args.append(f"conv_dim={net.conv_dim}")
        args.append(f"conv_alpha={net.conv_alpha if net.conv_alpha is not None else 1:g}")
    for key, value in net.args.items():
        text = ("True" if value else "False") if isinstance(value, bool) else str(value)
        args.append(f"{key}={text}")
    return args


def _drop_none(section: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in section.items() if v is not None and v is not False}


def training_config(
    project: Project,
    *,
    output_dir: Path,
    logging_dir: Path,
    sample_prompts: Path | None,
    model_paths: Mapping[str, str] | None = None,
) -> dict[str, dict[str, Any]]:
    """The `--config_file` document, section by section."""
    model_paths = model_paths or {}
    m, net, t, s = project.model, project.network, project.training, project.samples
    sections: dict[str, dict[str, Any]] = {}
    sections["model"] = _drop_none(
        {
            "pretrained_model_name_or_path": model_paths.get(m.base, m.base),
            "v2": m.family == "sd2",
            "v_parameterization": m.v_parameterization,
            "clip_skip": m.clip_skip,
            "vae": model_paths.get(m.vae, m.vae) if m.vae else None,
        }
    )
    sections["network"] = _drop_none(
        {
            "network_module": NETWORK_MODULES[net.module],
            "network_dim": net.dim,
            "network_alpha": float(net.alpha),
            "network_dropout": net.dropout,
            "network_args": network_args(project) or None,
            "network_train_unet_only": not net.train_text_encoder,
            "network_train_text_encoder_only": not net.train_unet,
        }
    )
    sections["optimizer"] = _drop_none(
        {
            "optimizer_type": t.optimizer,
            "learning_rate": float(t.learning_rate),
            "unet_lr": None if t.unet_lr is None else float(t.unet_lr),
            "text_encoder_lr": None if t.text_encoder_lr is None else [float(t.text_encoder_lr)],  # nargs=*
            "optimizer_args": [f"{k}={python_literal(v)}" for k, v in t.optimizer_args.items()] or None,
            "lr_scheduler": t.lr_scheduler,
            "lr_warmup_steps": t.lr_warmup_steps or None,
            "lr_scheduler_num_cycles": t.lr_scheduler_num_cycles,
            "max_grad_norm": float(t.max_grad_norm),
        }
    )
    sections["training"] = _drop_none(
        {
            "max_train_epochs": t.epochs,
            "max_train_steps": t.max_steps,
            "seed": t.seed,
            "mixed_precision": t.mixed_precision,
            "save_precision": t.save_precision,
            "gradient_accumulation_steps": t.gradient_accumulation_steps,
            "gradient_checkpointing": t.gradient_checkpointing,
            "noise_offset": t.noise_offset,
            "min_snr_gamma": t.min_snr_gamma,
            "prior_loss_weight": float(t.prior_loss_weight),
            "cache_latents": t.cache_latents,
            "cache_latents_to_disk": t.cache_latents_to_disk,
            "sdpa": t.attention == "sdpa",
            "xformers": t.attention == "xformers",
            "max_token_length": t.max_token_length if t.max_token_length != 75 else None,
            "max_data_loader_n_workers": t.data_loader_workers,
            "persistent_data_loader_workers": t.data_loader_workers > 0,
        }
    )
    sections["saving"] = _drop_none(
        {
            "output_dir": str(output_dir),
            "output_name": project.name,
            "save_model_as": "safetensors",
            "save_every_n_epochs": t.save_every_n_epochs,
            "save_every_n_steps": t.save_every_n_steps,
            "save_last_n_epochs": t.save_last_n_epochs,
            "save_state": t.save_state,
        }
    )
    sections["logging"] = {"logging_dir": str(logging_dir), "log_prefix": f"{project.name}-"}
    if sample_prompts is not None:
        sections["sampling"] = _drop_none(
            {
                "sample_prompts": str(sample_prompts),
                "sample_every_n_epochs": s.every_n_epochs,
                "sample_every_n_steps": s.every_n_steps,
                "sample_at_first": s.at_first,
                "sample_sampler": s.sampler,
            }
        )
    sections["metadata"] = _drop_none(
        {
            "training_comment": project.description or None,
            "metadata_title": project.name,
            "metadata_trigger_phrase": ", ".join(sub.trigger for sub in project.subjects),
        }
    )
    if project.trainer.extra_args:
        sections["extra"] = dict(project.trainer.extra_args)
    return sections


def _subset(subject: Subject, *, reg: bool) -> dict[str, Any]:
    subset: dict[str, Any] = {
        "image_dir": str(subject.reg_images if reg else subject.images),
        "num_repeats": subject.reg_repeats if reg else subject.repeats,
        "caption_extension": subject.caption_extension,
    }
    if reg:
        subset["is_reg"] = True
        if subject.class_word:
            subset["class_tokens"] = subject.class_word
        return subset
    subset["class_tokens"] = subject.class_tokens
    subset["keep_tokens"] = subject.keep_tokens
    if subject.shuffle_caption is not None:
        subset["shuffle_caption"] = subject.shuffle_caption
    if subject.flip_aug:
        subset["flip_aug"] = True
    if subject.color_aug:
        subset["color_aug"] = True
    return subset


def dataset_config(project: Project) -> dict[str, Any]:
    """The `--dataset_config` document: one dataset, a subset per subject (+ its reg images)."""
    t, b = project.training, project.buckets
    general: dict[str, Any] = {
        "shuffle_caption": t.shuffle_caption,
        "caption_dropout_rate": float(t.caption_dropout_rate),
        "caption_tag_dropout_rate": float(t.caption_tag_dropout_rate),
    }
    dataset: dict[str, Any] = {
        "resolution": list(t.resolution) if isinstance(t.resolution, tuple) else t.resolution,
        "batch_size": t.batch_size,
        "enable_bucket": b.enabled,
    }
    if b.enabled:
        dataset.update(
            min_bucket_reso=b.min_resolution,
            max_bucket_reso=b.max_resolution,
            bucket_reso_steps=b.step,
            bucket_no_upscale=b.no_upscale,
        )
    subsets = []
    for subject in project.subjects:
        subsets.append(_subset(subject, reg=False))
        if subject.reg_images is not None:
            subsets.append(_subset(subject, reg=True))
    dataset["subsets"] = subsets
    return {"general": general, "datasets": [dataset]}


def sample_prompt_lines(project: Project) -> list[str]:
    """sd-scripts' prompt-file syntax: `prompt --n neg --w W --h H --d seed --s steps --l cfg`."""
    s = project.samples
    width, height = project.training.width_height
    lines = []
    for prompt in s.prompts:
        line = prompt.replace("\n", " ").strip()
        if s.negative_prompt:
            line += f" --n {s.negative_prompt}"
        line += f" --w {s.width or width} --h {s.height or height} --d {s.seed} --s {s.steps} --l {s.cfg_scale:g}"
        lines.append(line)
    return lines
