"""The LoRA file's metadata: sd-scripts' `ss_*` keys, `modelspec.*` and the `sshs_*` hashes.

Same keys and value shapes as train_network.py writes with `--dataset_config` (facts
§7), every value a string (`str()` of the Python value: "None", "True"), filled with
what this trainer actually did. `ss_sd_scripts_commit_hash` names this trainer
(`orchestrator-builtin/<version>`), as does `modelspec.implementation_version`.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
from io import BytesIO
from typing import Any

from orchestrator import __version__
from orchestrator.backends.builtin.data import LoadedDataset

IMPLEMENTATION = f"orchestrator-builtin/{__version__}"
MINIMUM_KEYS = ("ss_v2", "ss_base_model_version", "ss_network_module", "ss_network_dim",
                "ss_network_alpha", "ss_network_args")


def base_model_version(args: dict[str, Any]) -> str:
    if args.get("v2"):
        return "sd_v2_v" if args.get("v_parameterization") else "sd_v2"
    return "sd_v1_v" if args.get("v_parameterization") else "sd_v1"


def dataset_metadata(datasets: list[LoadedDataset]) -> dict[str, str]:
    """ss_datasets / ss_tag_frequency / ss_dataset_dirs in the dataset-config shapes."""
    described, tag_frequency, dirs = [], {}, {}
    for ds in datasets:
        cfg = ds.config
        subsets = []
        for subset, count in zip(ds.subsets, ds.img_counts):
            image_dir = os.path.basename(subset.image_dir)
            subsets.append({
                "img_count": count, "num_repeats": subset.num_repeats, "color_aug": subset.color_aug,
                "flip_aug": subset.flip_aug, "random_crop": subset.random_crop,
                "shuffle_caption": subset.shuffle_caption, "keep_tokens": subset.keep_tokens,
                "keep_tokens_separator": subset.keep_tokens_separator,
                "secondary_separator": subset.secondary_separator, "enable_wildcard": subset.enable_wildcard,
                "caption_prefix": subset.caption_prefix, "caption_suffix": subset.caption_suffix,
                "resize_interpolation": subset.resize_interpolation, "image_dir": image_dir,
                "class_tokens": subset.class_tokens, "is_reg": subset.is_reg,
            })
            if not subset.is_reg:
                key, n = image_dir, 2
                while key in dirs:  # the same folder twice gets "name (2)", like sd-scripts
                    key, n = f"{image_dir} ({n})", n + 1
                dirs[key] = {"n_repeats": subset.num_repeats, "img_count": count}
        described.append({
            "is_dreambooth": True, "batch_size_per_device": cfg.batch_size,
            "num_train_images": ds.num_train_images, "num_reg_images": ds.num_reg_images,
            "resolution": list(cfg.resolution), "enable_bucket": cfg.enable_bucket,
            "min_bucket_reso": cfg.min_bucket_reso if cfg.enable_bucket else None,
            "max_bucket_reso": cfg.max_bucket_reso if cfg.enable_bucket else None,
            "tag_frequency": ds.tag_frequency, "bucket_info": ds.bucket_info,
            "resize_interpolation": cfg.resize_interpolation, "subsets": subsets,
        })
        for name, freq in ds.tag_frequency.items():
            tag_frequency.setdefault(name, freq)
    return {"ss_datasets": json.dumps(described), "ss_tag_frequency": json.dumps(tag_frequency),
            "ss_dataset_dirs": json.dumps(dirs)}


def training_metadata(args: dict[str, Any], run: dict[str, Any], datasets: list[LoadedDataset]) -> dict[str, str]:
    """Everything known at the start of training; steps/epoch/finish time are set at each save."""
    a = args.get
    meta: dict[str, Any] = {
        "ss_session_id": run["session_id"],
        "ss_training_started_at": run["started_at"],
        "ss_output_name": a("output_name"),
        "ss_learning_rate": a("learning_rate"),
        "ss_text_encoder_lr": run["text_encoder_lr"],
        "ss_unet_lr": a("unet_lr"),
        "ss_num_train_images": sum(d.num_train_images for d in datasets),
        "ss_num_validation_images": 0,
        "ss_num_reg_images": sum(d.num_reg_images for d in datasets),
        "ss_num_batches_per_epoch": run["batches_per_epoch"],
        "ss_num_epochs": run["epochs"],
        "ss_gradient_checkpointing": a("gradient_checkpointing"),
        "ss_gradient_accumulation_steps": a("gradient_accumulation_steps"),
        "ss_max_train_steps": run["total_steps"],
        "ss_lr_warmup_steps": a("lr_warmup_steps"),
        "ss_lr_scheduler": a("lr_scheduler"),
        "ss_network_module": a("network_module"),
        "ss_network_dim": a("network_dim"),
        "ss_network_alpha": a("network_alpha"),
        "ss_network_dropout": a("network_dropout"),
        "ss_mixed_precision": a("mixed_precision"),
        "ss_full_fp16": bool(a("full_fp16")),
        "ss_v2": bool(a("v2")),
        "ss_base_model_version": base_model_version(args),
        "ss_clip_skip": a("clip_skip"),
        "ss_max_token_length": a("max_token_length"),
        "ss_cache_latents": bool(a("cache_latents")),
        "ss_seed": a("seed"),
        "ss_lowram": a("lowram"),
        "ss_noise_offset": a("noise_offset"),
        "ss_multires_noise_iterations": a("multires_noise_iterations"),
        "ss_multires_noise_discount": a("multires_noise_discount"),
        "ss_adaptive_noise_scale": a("adaptive_noise_scale"),
        "ss_zero_terminal_snr": a("zero_terminal_snr"),
        "ss_training_comment": a("training_comment"),
        "ss_sd_scripts_commit_hash": IMPLEMENTATION,
        "ss_optimizer": run["optimizer"],
        "ss_max_grad_norm": a("max_grad_norm"),
        "ss_caption_dropout_rate": a("caption_dropout_rate"),
        "ss_caption_dropout_every_n_epochs": a("caption_dropout_every_n_epochs"),
        "ss_caption_tag_dropout_rate": a("caption_tag_dropout_rate"),
        "ss_face_crop_aug_range": a("face_crop_aug_range"),
        "ss_prior_loss_weight": a("prior_loss_weight"),
        "ss_min_snr_gamma": a("min_snr_gamma"),
        "ss_scale_weight_norms": a("scale_weight_norms"),
        "ss_ip_noise_gamma": a("ip_noise_gamma"),
        "ss_debiased_estimation": bool(a("debiased_estimation_loss")),
        "ss_noise_offset_random_strength": a("noise_offset_random_strength"),
        "ss_ip_noise_gamma_random_strength": a("ip_noise_gamma_random_strength"),
        "ss_loss_type": a("loss_type"),
        "ss_huber_schedule": a("huber_schedule"),
        "ss_huber_scale": a("huber_scale"),
        "ss_huber_c": a("huber_c"),
        "ss_fp8_base": bool(a("fp8_base")),
        "ss_fp8_base_unet": bool(a("fp8_base_unet")),
        "ss_validation_seed": a("validation_seed"),
        "ss_validation_split": a("validation_split"),
        "ss_max_validation_steps": a("max_validation_steps"),
        "ss_validate_every_n_epochs": a("validate_every_n_epochs"),
        "ss_validate_every_n_steps": a("validate_every_n_steps"),
        "ss_resize_interpolation": a("resize_interpolation"),
    }
    meta.update(dataset_metadata(datasets))
    if a("network_args"):
        meta["ss_network_args"] = json.dumps(dict(item.split("=", 1) for item in a("network_args")))
    # "builtin:tiny-sd" is not a path, so like sd-scripts for a hub id: a name and no file hashes
    meta["ss_sd_model_name"] = a("pretrained_model_name_or_path")
    return {k: str(v) for k, v in meta.items()}


def modelspec(args: dict[str, Any], resolution: tuple[int, int]) -> dict[str, str]:
    """modelspec 1.0.1 for an SD 1.x LoRA trained by this trainer."""
    now = datetime.datetime.now().replace(microsecond=0)
    v_pred = bool(args.get("v_parameterization"))
    title = args.get("metadata_title") or args.get("output_name") or f"LoRA@{now.timestamp()}"
    spec = {
        "modelspec.sai_model_spec": "1.0.1",
        "modelspec.architecture": "stable-diffusion-v1/lora",
        "modelspec.implementation": "diffusers",
        "modelspec.title": title,
        "modelspec.resolution": f"{resolution[0]}x{resolution[1]}",
        "modelspec.date": now.isoformat(),
        "modelspec.prediction_type": "v" if v_pred else "epsilon",
    }
    for key in ("description", "author", "license", "tags"):
        if args.get(f"metadata_{key}") is not None:
            spec[f"modelspec.{key}"] = args[f"metadata_{key}"]
    if args.get("clip_skip") is not None:
        spec["modelspec.encoder_layer"] = str(args["clip_skip"])
    for key in ("trigger_phrase", "usage_hint", "merged_from", "preprocessor", "is_negative_embedding"):
        if args.get(f"metadata_{key}") is not None:
            spec[f"modelspec.{key}"] = args[f"metadata_{key}"]
    spec["modelspec.implementation_version"] = IMPLEMENTATION
    return spec


def safetensors_hashes(tensors: dict, metadata: dict[str, str]) -> tuple[str, str]:
    """(sshs_model_hash, sshs_legacy_hash) as sd-scripts precalculates them.

    Both hash a serialisation of the same tensors with only the `ss_*` metadata: the
    model hash is sha256 of everything after the header, the legacy hash the first 8
    hex digits of sha256 of the 64 KiB at offset 1 MiB.
    """
    from safetensors.torch import save

    blob = save(tensors, {k: v for k, v in metadata.items() if k.startswith("ss_")})
    header_len = int.from_bytes(blob[:8], "little")
    model_hash = hashlib.sha256(blob[8 + header_len:]).hexdigest()
    buffer = BytesIO(blob)
    buffer.seek(0x100000)
    legacy_hash = hashlib.sha256(buffer.read(0x10000)).hexdigest()[:8]
    return model_hash, legacy_hash
