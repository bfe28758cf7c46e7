"""Pydantic's validation errors → one plain line per problem, located as the user wrote it."""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from orchestrator.problems import Problem
from orchestrator.schema.suggest import did_you_mean

# Parts of a pydantic location that name a union member or validator, not a user key.
_TYPE_TAGS = {"int", "float", "str", "bool", "list", "tuple", "dict", "none", "function-after", "constrained-str"}


def format_location(loc: tuple[Any, ...], prefix: str = "") -> str:
    text = prefix
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _user_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(
        p for p in loc if isinstance(p, int) or (p not in _TYPE_TAGS and "[" not in p and "(" not in p)
    )


def _unwrap(annotation: Any) -> Any:
    """The model class inside list[...], X | None, Annotated[...] (or None)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (list, typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _unwrap(arg)
            if found is not None:
                return found
        return None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def model_at(root: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The schema model found at a location, e.g. ('subjects', 0) → Subject."""
    current: type[BaseModel] | None = root
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        field = current.model_fields.get(part)
        if field is None:
            return None
        current = _unwrap(field.annotation)
    return current


def _describe(error: dict[str, Any], root: type[BaseModel], loc: tuple[Any, ...]) -> tuple[str, str]:
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    if kind == "extra_forbidden":
        parent = model_at(root, loc[:-1])
        known = list(parent.model_fields) if parent else []
        hint = did_you_mean(str(loc[-1]), known).lstrip("; ")
        return "unknown key", (hint[0].upper() + hint[1:]) if hint else "Remove it (see `orchestrator schema` for the keys)"
    if kind == "missing":
        return "is required", "Add it to the preset"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        op = {"greater_than_equal": "≥", "greater_than": ">", "less_than_equal": "≤", "less_than": "<"}[kind]
        bound = next(iter(ctx.values()))
        return f"must be {op} {bound} (got {value!r})", ""
    if kind == "literal_error":
        expected = ctx.get("expected", "")
        choices = [c.strip().strip("'") for c in expected.replace(" or ", ",").split(",") if c.strip()]
        return f"must be one of {expected} (got {value!r})", did_you_mean(str(value), choices).lstrip("; ").capitalize()
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"must be a whole number (got {value!r})", ""
    if kind in ("float_type", "float_parsing"):
        return f"must be a number (got {value!r})", ""
    if kind in ("bool_type", "bool_parsing"):
        return f"must be true or false (got {value!r})", ""
    if kind in ("string_type",):
        return f"must be text in quotes (got {value!r})", ""
    if kind in ("list_type", "tuple_type"):
        return f"must be a list like [1, 2] (got {value!r})", ""
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"must be a table (got {value!r})", ""
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length', 1)} entries", ""
    if kind == "value_error":
        message = str(ctx.get("error", error["msg"]))
        text, _, fix = message.partition(". ")
        return text, fix
    return error["msg"], ""


def problems_from_validation(exc: ValidationError, root: type[BaseModel], prefix: str = "") -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for error in exc.errors(include_url=False):
        loc = _user_loc(tuple(error["loc"]))
        where = format_location(loc, prefix)
        if where in seen:
            continue  # a union reports each member; one line per place is enough
        seen.add(where)
        message, fix = _describe(error, root, loc)
        problems.append(Problem(where, message, fix, code=error["type"]))
    return problems
