"""The ss_* / modelspec.* metadata of a LoRA in words (sd-scripts-facts §7).

Every metadata value is a string (sd-scripts stores `str(value)`, so "None" means unset);
ss_tag_frequency / ss_dataset_dirs / ss_datasets / ss_network_args are JSON inside strings.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

_REPEATS_DIR = re.compile(r"^(\d+)_(.+)$")  # kohya's `11_hxh man` folder names


@dataclass
class Dataset:
    name: str
    repeats: int | None
    images: int | None
    top_tags: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class Summary:
    title: str | None = None
    network_module: str | None = None
    network_dim: int | None = None
    network_alpha: float | None = None
    network_args: dict[str, Any] = field(default_factory=dict)
    base_model: str | None = None
    base_model_version: str | None = None
    architecture: str | None = None
    steps: int | None = None
    epoch: int | None = None
    epochs: int | None = None
    resolution: str | None = None
    learning_rate: float | None = None
    unet_lr: float | None = None
    text_encoder_lr: float | None = None
    optimizer: str | None = None
    lr_scheduler: str | None = None
    train_images: int | None = None
    trainer: str | None = None
    comment: str | None = None
    trigger_words: list[str] = field(default_factory=list)
    trigger_source: str = ""  # where the trigger words came from
    datasets: list[Dataset] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _value(metadata: dict[str, str], key: str) -> str | None:
    text = metadata.get(key)
    return None if text in (None, "", "None") else text


def _number(metadata: dict[str, str], key: str, kind: type = float) -> Any:
    text = _value(metadata, key)
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if kind is int and value == value and abs(value) != float("inf") else value


def _json(metadata: dict[str, str], key: str) -> Any:
    text = _value(metadata, key)
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _resolution(metadata: dict[str, str]) -> str | None:
    spec = _value(metadata, "modelspec.resolution")
    if spec:
        return spec
    old = _value(metadata, "ss_resolution")  # "(512, 512)" without a dataset config
    if old:
        return "x".join(re.findall(r"\d+", old)) or old
    datasets = _json(metadata, "ss_datasets")
    if isinstance(datasets, list) and datasets and isinstance(datasets[0], dict) and datasets[0].get("resolution"):
        return "x".join(str(v) for v in datasets[0]["resolution"])
    return None


def datasets(metadata: dict[str, str], top: int = 8) -> list[Dataset]:
    dirs = _json(metadata, "ss_dataset_dirs") or {}
    freq = _json(metadata, "ss_tag_frequency") or {}
    names = list(dirs) + [name for name in freq if name not in dirs]
    out = []
    for name in names:
        info = dirs.get(name) if isinstance(dirs.get(name), dict) else {}
        tags = freq.get(name) if isinstance(freq.get(name), dict) else {}
        ranked = sorted(((str(t), int(c)) for t, c in tags.items() if isinstance(c, (int, float))), key=lambda tc: (-tc[1], tc[0]))
        out.append(Dataset(name, info.get("n_repeats"), info.get("img_count"), ranked[:top] if top else ranked))
    return out


def trigger_words(metadata: dict[str, str], sets: list[Dataset]) -> tuple[list[str], str]:
    """modelspec.trigger_phrase (sd-scripts' --metadata_trigger_phrase) first, then the folder names, then top tags."""
    phrase = _value(metadata, "modelspec.trigger_phrase") or _value(metadata, "ss_metadata_trigger_phrase")
    if phrase:
        return [w.strip() for w in phrase.split(",") if w.strip()], "modelspec.trigger_phrase"
    from_dirs = []
    for d in sets:
        match = _REPEATS_DIR.match(d.name)
        if match:  # `11_hxh man`: the class tokens; the trigger is the first word
            from_dirs.append(match.group(2).split()[0])
    if from_dirs:
        return list(dict.fromkeys(from_dirs)), "dataset folder names"
    top = [d.top_tags[0][0] for d in sets if d.top_tags]
    return list(dict.fromkeys(top)), "most frequent tag per dataset folder (a guess)" if top else ""


def summarize(metadata: dict[str, str]) -> Summary:
    sets = datasets(metadata)
    triggers, source = trigger_words(metadata, sets)
    network_args = _json(metadata, "ss_network_args")
    return Summary(
        title=_value(metadata, "modelspec.title") or _value(metadata, "ss_output_name"),
        network_module=_value(metadata, "ss_network_module"),
        network_dim=_number(metadata, "ss_network_dim", int),
        network_alpha=_number(metadata, "ss_network_alpha"),
        network_args=network_args if isinstance(network_args, dict) else {},
        base_model=_value(metadata, "ss_sd_model_name"),
        base_model_version=_value(metadata, "ss_base_model_version"),
        architecture=_value(metadata, "modelspec.architecture"),
        steps=_number(metadata, "ss_steps", int),
        epoch=_number(metadata, "ss_epoch", int),
        epochs=_number(metadata, "ss_num_epochs", int),
        resolution=_resolution(metadata),
        learning_rate=_number(metadata, "ss_learning_rate"),
        unet_lr=_number(metadata, "ss_unet_lr"),
        text_encoder_lr=_number(metadata, "ss_text_encoder_lr"),
        optimizer=_value(metadata, "ss_optimizer"),
        lr_scheduler=_value(metadata, "ss_lr_scheduler"),
        train_images=_number(metadata, "ss_num_train_images", int),
        trainer=_value(metadata, "modelspec.implementation_version") or _value(metadata, "ss_sd_scripts_commit_hash"),
        comment=_value(metadata, "ss_training_comment"),
        trigger_words=triggers,
        trigger_source=source,
        datasets=sets,
    )
