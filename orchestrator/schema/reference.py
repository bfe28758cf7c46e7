"""The preset reference, generated from the schema itself (one source of truth for docs,
editor hints and validation). README.md embeds it; a test keeps the two identical."""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from orchestrator.schema.errors import _unwrap
from orchestrator.schema.project import Project

BEGIN, END = "<!-- preset-reference:begin -->", "<!-- preset-reference:end -->"


def _type_name(annotation: Any) -> str:
    text = str(annotation).replace("typing.", "").replace("pathlib.", "")
    for noise in ("Annotated[", "NoneType"):
        text = text.replace(noise, "")
    if typing.get_origin(annotation) is typing.Literal:
        return " \\| ".join(repr(a) for a in typing.get_args(annotation))
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _type_name(typing.get_args(annotation)[0])
    if isinstance(annotation, type):
        return {"PosixPath": "path", "Path": "path"}.get(annotation.__name__, annotation.__name__)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType")):
        parts = [_type_name(a) for a in typing.get_args(annotation) if a is not type(None)]
        return " \\| ".join(parts) + (" (optional)" if type(None) in typing.get_args(annotation) else "")
    return text.replace("|", "\\|")


def _default(field: Any) -> str:
    if field.default is not PydanticUndefined:
        value = field.default
    elif field.default_factory is not None:
        value = field.default_factory()
        if isinstance(value, BaseModel):
            return "(table)"
    else:
        return "**required**"
    if value is None:
        return "unset"
    return f"`{value!r}`".replace("|", "\\|")


def _section(title: str, model: type[BaseModel]) -> list[str]:
    lines = [f"#### `{title}`", "", "| key | type | default | what it does |", "|---|---|---|---|"]
    nested = []
    for name, field in model.model_fields.items():
        child = _unwrap(field.annotation)
        if child is not None:
            nested.append((name, child, typing.get_origin(field.annotation) is list))
            continue
        description = (field.description or "").replace("|", "\\|").replace("\n", " ")
        lines.append(f"| `{name}` | {_type_name(field.annotation)} | {_default(field)} | {description} |")
    lines.append("")
    for name, child, is_list in nested:
        lines += _section(f"[[{name}]]" if is_list else f"[{name}]", child)
    return lines


def markdown() -> str:
    return "\n".join(_section("top level", Project)).rstrip() + "\n"
