"""Command line + `--config_file` → one flat option dict, with sd-scripts' precedence.

sd-scripts flattens the training TOML one level (every table's keys lifted to the
top), then parses the command line into that namespace: explicit flags win, the file
beats the defaults, and file values get no type conversion (facts §3). The builtin
trainer accepts every `train_network.py` option name (so the same argv works on both)
and lets `capabilities.check_options` refuse what it cannot do. Torch-free.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

import toml

from orchestrator.backends.builtin.sd_options import SD_OPTIONS

_SCALARS = {"int": int, "float": float, "str": str, "Path": str}


class ConfigError(Exception):
    """A config file that cannot be read; the message is for the user."""


def _int_or_float(text: str) -> int | float:
    # sd-scripts' CLI rule for lr_warmup_steps / lr_decay_steps (facts §2)
    if text.endswith("%"):
        return float(text[:-1]) / 100
    value = float(text)
    if value < 1:
        return value
    if value != math.floor(value):
        raise argparse.ArgumentTypeError(f"{text!r}: a step count must be a whole number")
    return int(value)


def build_parser() -> argparse.ArgumentParser:
    """A parser with every sd-scripts option; defaults suppressed so we know what was given."""
    parser = argparse.ArgumentParser(
        prog="python -m orchestrator.backends.builtin.train",
        description="Embedded CPU LoRA trainer; reads the same TOMLs as sd-scripts' train_network.py.",
        argument_default=argparse.SUPPRESS,
    )
    for name, (type_name, _default, kind, choices) in sorted(SD_OPTIONS.items()):
        flag = f"--{name}"
        if kind == "flag":
            parser.add_argument(flag, action="store_true")
            continue
        conv = _int_or_float if type_name == "int_or_float" else _SCALARS.get(type_name, str)
        extra: dict[str, Any] = {"type": conv}
        if kind == "list":
            extra["nargs"] = "*"
        if choices and None not in choices:
            extra["choices"] = choices
        parser.add_argument(flag, **extra)
    return parser


def flatten_toml(data: dict[str, Any]) -> dict[str, Any]:
    """Lift each table's keys to the top level (one level; a later section wins)."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            flat.update(value)
        else:
            flat[key] = value
    return flat


def read_config_file(path: str) -> dict[str, Any]:
    config_path = Path(path if path.endswith(".toml") else path + ".toml")
    if not config_path.exists():
        raise ConfigError(f"{config_path} not found.")
    try:
        return flatten_toml(toml.loads(config_path.read_text(encoding="utf-8")))
    except toml.TomlDecodeError as exc:
        raise ConfigError(f"Error on parsing TOML config file. Please check the format. ({config_path}: {exc})") from exc


def defaults() -> dict[str, Any]:
    return {name: spec[1] for name, spec in SD_OPTIONS.items()}


def resolve_options(argv: list[str] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """(given, effective): `given` = what the file and CLI set (for checks), `effective` adds defaults."""
    cli = vars(build_parser().parse_args(argv))
    given: dict[str, Any] = {}
    if cli.get("config_file"):
        given.update(read_config_file(cli["config_file"]))
    given.update(cli)  # explicit flags win over the file
    if "dataset_config" in given and given["dataset_config"] is not None:
        given["dataset_config"] = str(given["dataset_config"])
    effective = {**defaults(), **given}
    return given, effective
