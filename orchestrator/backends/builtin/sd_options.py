"""Every option of sd-scripts' `train_network.py`: name -> (type, default, kind, choices).

Derived from the one committed snapshot of the pinned release's parser
(`orchestrator/backends/sdscripts/train_network_options-*.tsv`), so the builtin trainer
knows exactly the names the real trainer knows and one compiled config runs on both.
`kind` is "flag" (store_true), "list" (nargs=*) or "value".
"""

from __future__ import annotations

from ast import literal_eval
from typing import Any

from orchestrator.backends.sdscripts.options import options

OptionSpec = tuple[str, Any, str, "tuple | None"]


def _literal(text: str) -> Any:
    try:
        return literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _spec(kind_name: str, default_text: str, is_list: bool, choices: tuple[str, ...]) -> OptionSpec:
    if kind_name == "flag":
        return ("bool", False, "flag", None)
    default = _literal(default_text) if default_text else None
    typed = tuple(int(c) if kind_name == "int" else c for c in choices)
    return (kind_name, default, "list" if is_list else "value", typed or None)


SD_OPTIONS: dict[str, OptionSpec] = {
    name: _spec(spec.type, spec.default, spec.is_list, spec.choices) for name, spec in options().items()
}
