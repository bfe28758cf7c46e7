"""sd-scripts' dataset TOML: strict schema, value resolution and the subset/dataset settings.

Follows library/config_util.py (facts §4): `[general]`, `[[datasets]]`,
`[[datasets.subsets]]`; unknown keys and wrong types are errors at every level; each
value is the first non-null of subset → dataset → general → training arguments →
default. DreamBooth-style subsets (image_dir + captions) only: fine-tuning
`metadata_file` subsets are refused with a clear problem. Torch-free.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import toml

from orchestrator.problems import Problem

# key -> accepted Python types (bool is checked before int: TOML booleans only)
_SUBSET_ASCENDABLE = {
    "color_aug": (bool,), "face_crop_aug_range": (list,), "flip_aug": (bool,), "num_repeats": (int,),
    "random_crop": (bool,), "shuffle_caption": (bool,), "keep_tokens": (int,), "keep_tokens_separator": (str,),
    "secondary_separator": (str,), "caption_separator": (str,), "enable_wildcard": (bool,),
    "token_warmup_min": (int,), "token_warmup_step": (float, int), "caption_prefix": (str,),
    "caption_suffix": (str,), "custom_attributes": (dict,), "resize_interpolation": (str,),
    "caption_dropout_every_n_epochs": (int,), "caption_dropout_rate": (float, int),
    "caption_tag_dropout_rate": (float, int), "caption_extension": (str,), "class_tokens": (str,),
    "cache_info": (bool,),
}
_SUBSET_ONLY = {"image_dir": (str,), "is_reg": (bool,), "alpha_mask": (bool,), "metadata_file": (str,)}
_DATASET_ASCENDABLE = {
    "batch_size": (int,), "bucket_no_upscale": (bool,), "bucket_reso_steps": (int,), "enable_bucket": (bool,),
    "max_bucket_reso": (int,), "min_bucket_reso": (int,), "validation_seed": (int,), "validation_split": (float,),
    "resolution": (int, list), "network_multiplier": (float,), "resize_interpolation": (str,),
}
# valid in sd-scripts, but this trainer cannot honour a non-default value
_UNSUPPORTED_DEFAULTS: dict[str, Any] = {
    "color_aug": False, "face_crop_aug_range": None, "token_warmup_step": 0, "token_warmup_min": 1,
    "custom_attributes": None, "alpha_mask": False, "metadata_file": None, "validation_split": 0.0,
    "network_multiplier": 1.0, "resize_interpolation": None, "cache_info": False,
}
# training-argument names that feed dataset values (facts §4)
_ARG_ALIASES = {"batch_size": "train_batch_size", "num_repeats": "dataset_repeats"}


@dataclass
class SubsetConfig:
    image_dir: str
    num_repeats: int = 1
    is_reg: bool = False
    class_tokens: str | None = None
    caption_extension: str = ".caption"
    shuffle_caption: bool = False
    caption_separator: str = ","
    keep_tokens: int = 0
    keep_tokens_separator: str = ""
    secondary_separator: str | None = None
    enable_wildcard: bool = False
    caption_prefix: str | None = None
    caption_suffix: str | None = None
    flip_aug: bool = False
    random_crop: bool = False
    color_aug: bool = False
    caption_dropout_rate: float = 0.0
    caption_dropout_every_n_epochs: int = 0
    caption_tag_dropout_rate: float = 0.0
    token_warmup_min: int = 1
    token_warmup_step: float = 0
    face_crop_aug_range: list | None = None
    custom_attributes: dict | None = None
    alpha_mask: bool = False
    cache_info: bool = False
    resize_interpolation: str | None = None


@dataclass
class DatasetConfig:
    resolution: tuple[int, int]
    batch_size: int = 1
    enable_bucket: bool = False
    min_bucket_reso: int = 256
    max_bucket_reso: int = 1024
    bucket_reso_steps: int = 64
    bucket_no_upscale: bool = False
    network_multiplier: float = 1.0
    validation_split: float = 0.0
    validation_seed: int | None = None
    resize_interpolation: str | None = None
    subsets: list[SubsetConfig] = field(default_factory=list)


class DatasetConfigInvalid(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(p.line() for p in problems))


def load_user_config(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise DatasetConfigInvalid([Problem(str(path), "file not found", code="dataset-config-missing")])
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return json.loads(text)
    if path.suffix == ".toml":
        return toml.loads(text)
    raise DatasetConfigInvalid([Problem(str(path), "not supported config file format", "Use .toml or .json.")])


def _type_ok(value: Any, types: tuple[type, ...]) -> bool:
    if isinstance(value, bool):
        return bool in types
    return isinstance(value, types)


def _check_table(table: Any, allowed: dict[str, tuple], where: str, out: list[Problem]) -> None:
    if not isinstance(table, dict):
        out.append(Problem(where, f"must be a table (got {type(table).__name__})", code="dataset-schema"))
        return
    for key, value in table.items():
        if key not in allowed:
            out.append(Problem(f"{where}.{key}", "extra keys not allowed", "sd-scripts rejects unknown keys.",
                               code="dataset-schema"))
        elif not _type_ok(value, allowed[key]):
            names = " or ".join(t.__name__ for t in allowed[key])
            out.append(Problem(f"{where}.{key}", f"expected {names} (got {value!r})", code="dataset-schema"))
        elif key in _UNSUPPORTED_DEFAULTS and value != _UNSUPPORTED_DEFAULTS[key]:
            out.append(Problem(f"{where}.{key}", f"not supported by the builtin trainer (got {value!r})",
                               "Remove it, or train with the sd-scripts backend.", code="unsupported-option"))


def check_dataset_config(user: dict[str, Any]) -> list[Problem]:
    """Every schema error (as sd-scripts would raise) and every unsupported value."""
    out: list[Problem] = []
    for key in user:
        if key not in ("general", "datasets"):
            out.append(Problem(key, "extra keys not allowed", "Only [general] and [[datasets]].", code="dataset-schema"))
    general_keys = {**_DATASET_ASCENDABLE, **_SUBSET_ASCENDABLE}
    if "general" in user:
        _check_table(user["general"], general_keys, "general", out)
    datasets = user.get("datasets", [])
    if not isinstance(datasets, list):
        return out + [Problem("datasets", "must be an array of tables", code="dataset-schema")]
    for i, ds in enumerate(datasets):
        where = f"datasets[{i}]"
        _check_table(ds, {**general_keys, "subsets": (list,)}, where, out)
        if not isinstance(ds, dict):
            continue
        for j, sub in enumerate(ds.get("subsets", []) if isinstance(ds.get("subsets"), list) else []):
            swhere = f"{where}.subsets[{j}]"
            _check_table(sub, {**_SUBSET_ASCENDABLE, **_SUBSET_ONLY}, swhere, out)
            if isinstance(sub, dict) and "image_dir" not in sub and "metadata_file" not in sub:
                out.append(Problem(swhere, "required key not provided: image_dir", code="dataset-schema"))
    return out


def _search(key: str, chain: list[dict[str, Any]], default: Any) -> Any:
    for table in chain:
        value = table.get(key)
        if value is not None:
            return value
    return default


def _args_view(args: dict[str, Any]) -> dict[str, Any]:
    """Training arguments under dataset-config names (resolution "W,H" → (W, H))."""
    view = dict(args)
    for config_name, arg_name in _ARG_ALIASES.items():
        view[config_name] = args.get(arg_name)
    reso = args.get("resolution")
    if isinstance(reso, str):
        parts = [int(p) for p in reso.split(",")]
        view["resolution"] = (parts[0], parts[-1])
    return view


def _as_size(value: Any) -> tuple[int, int] | None:
    if value is None:
        return None
    if isinstance(value, int):
        return (value, value)
    return (int(value[0]), int(value[1]))


def resolve(user: dict[str, Any], args: dict[str, Any]) -> list[DatasetConfig]:
    """Apply sd-scripts' fallbacks; raises DatasetConfigInvalid on schema errors or missing resolution."""
    problems = [p for p in check_dataset_config(user) if p.severity == "error"]
    if problems:
        raise DatasetConfigInvalid(problems)
    general = user.get("general", {})
    argv = _args_view(args)
    result: list[DatasetConfig] = []
    for i, ds in enumerate(user.get("datasets", [])):
        chain = [ds, general, argv]
        ds_defaults = DatasetConfig(resolution=(0, 0))
        values = {f.name: _search(f.name, chain, getattr(ds_defaults, f.name))
                  for f in fields(DatasetConfig) if f.name not in ("subsets", "resolution")}
        reso = _as_size(_search("resolution", chain, None))
        if reso is None:
            raise DatasetConfigInvalid([Problem(f"datasets[{i}].resolution", "resolution is required",
                                                "Set resolution in the dataset TOML.", code="dataset-schema")])
        subsets = []
        for sub in ds.get("subsets", []):
            sub_chain = [sub, ds, general, argv]
            sub_defaults = SubsetConfig(image_dir="")
            subsets.append(SubsetConfig(**{
                f.name: _search(f.name, sub_chain, getattr(sub_defaults, f.name)) for f in fields(SubsetConfig)
            }))
        result.append(DatasetConfig(resolution=reso, subsets=subsets, **values))
    return result
