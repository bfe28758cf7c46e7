"""sd-scripts' train_network.py options, and a check of a compiled config against them.

sd-scripts silently ignores unknown keys in a config TOML and does not type-convert
its values, so a typo or a wrong type quietly trains with a default. This checks the
flattened config the way the parser would have typed it. The table is a committed
snapshot of the pinned release's parser (facts, not code); sdxl_train_network.py
adds a few options of its own.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from orchestrator.problems import Problem
from orchestrator.schema.suggest import did_you_mean

PINNED_RELEASE = "v0.10.1"
SNAPSHOT = f"train_network_options-{PINNED_RELEASE}.tsv"
SDXL_ONLY = {"cache_text_encoder_outputs": "flag", "cache_text_encoder_outputs_to_disk": "flag",
             "disable_mmap_load_safetensors": "flag"}  # fmt: skip


@dataclass(frozen=True)
class OptionSpec:
    name: str
    type: str  # str | int | float | int_or_float | flag | "" (parser default str)
    default: str
    choices: tuple[str, ...]
    nargs: str

    @property
    def is_list(self) -> bool:
        return self.nargs in ("'*'", "'+'", "*", "+")


def _parse_choices(text: str) -> tuple[str, ...]:
    text = text.strip()
    if not text.startswith("["):
        return ()
    return tuple(c.strip().strip("'\"") for c in text.strip("[]").split(",") if c.strip() not in ("None", ""))


@lru_cache(maxsize=1)
def options() -> dict[str, OptionSpec]:
    text = resources.files(__package__).joinpath(SNAPSHOT).read_text(encoding="utf-8")
    table: dict[str, OptionSpec] = {}
    for row in csv.DictReader(text.splitlines(), delimiter="\t"):
        kind = "flag" if row["action"] in ("store_true", "store_false") else (row["type"] or "str")
        table[row["name"]] = OptionSpec(row["name"], kind, row["default"], _parse_choices(row["choices"]), row["nargs"])
    return table


def options_for(script: str) -> dict[str, OptionSpec]:
    table = dict(options())
    if script.startswith("sdxl"):
        table.update({k: OptionSpec(k, t, "", (), "") for k, t in SDXL_ONLY.items()})
    return table


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "flag":
        return isinstance(value, bool)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "int_or_float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, str)


_TYPE_WORDS = {"flag": "true or false", "int": "a whole number", "float": "a number", "int_or_float": "a number", "str": "text"}


def table_for(script: str, path=None, python=None) -> tuple[dict[str, OptionSpec], str]:
    """The installed trainer's options when one is found (cached per commit), else the snapshot.

    Returns the table and a note saying where it came from ("" for the installed parser).
    """
    from orchestrator.backends.sdscripts.introspect import cached_options, to_table
    from orchestrator.backends.sdscripts.locate import locate

    install, _ = locate(path, python)
    if install is None:
        return options_for(script), f"options checked against the {PINNED_RELEASE} snapshot (no sd-scripts installation found)"
    try:
        return to_table(cached_options(install, script)), ""
    except Exception as exc:  # noqa: BLE001 - a broken install must not hide the snapshot's checks
        first = str(exc).splitlines()[0]
        return options_for(script), f"options checked against the {PINNED_RELEASE} snapshot ({first})"


def check_config(
    flat: dict[str, Any], script: str = "train_network.py", where: str = "config.toml", table: dict[str, OptionSpec] | None = None
) -> list[Problem]:
    """Unknown keys, wrong types and invalid choices in a flattened training config."""
    table = table if table is not None else options_for(script)
    problems: list[Problem] = []
    for key, value in flat.items():
        spec = table.get(key)
        loc = f"{where}: {key}"
        if spec is None:
            problems.append(
                Problem(loc, f"{script} ({PINNED_RELEASE}) has no option {key!r}: sd-scripts would ignore it silently",
                        did_you_mean(key, table).lstrip("; ").capitalize() or "Remove it", code="unknown-option")
            )
            continue
        values = value if isinstance(value, list) else [value]
        if isinstance(value, list) and not spec.is_list:
            problems.append(Problem(loc, f"takes one value, not a list ({value!r})", code="wrong-type"))
            continue
        bad = [v for v in values if not _type_ok(spec.type, v)]
        if bad:
            problems.append(
                Problem(loc, f"must be {_TYPE_WORDS.get(spec.type, spec.type)} (got {bad[0]!r})",
                        "sd-scripts does not convert types read from a config file", code="wrong-type")
            )
            continue
        if spec.choices and any(str(v) not in spec.choices for v in values):
            problems.append(
                Problem(loc, f"{value!r} is not one of {', '.join(spec.choices)}", code="invalid-choice")
            )
    return problems
