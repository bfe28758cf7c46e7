"""Read a preset: TOML → `extends` chain → `--set` overrides → migration → validated Project.

Every problem is collected and raised together as `ProjectInvalid`, one line each,
located as the user wrote it (`presets/x.toml:12`, `subjects[1].repeats`,
`--set training.learnig_rate`). Relative paths are resolved against the preset file
that wrote them, so a preset that `extends` another one in a different folder works.
"""

from __future__ import annotations

import copy
import sys
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import AfterValidator, BaseModel, ValidationError

from orchestrator.problems import Problem, ProjectInvalid
from orchestrator.schema import base
from orchestrator.schema.errors import format_location, model_at, problems_from_validation
from orchestrator.schema.migrations import UnsupportedVersion, migrate
from orchestrator.schema.project import Project
from orchestrator.schema.rules import check_rules

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass
class LoadedProject:
    project: Project
    source: Path
    raw: dict[str, Any]  # merged, migrated, paths resolved: what project.toml records
    warnings: list[Problem] = field(default_factory=list)
    chain: list[Path] = field(default_factory=list)  # the preset and what it extends, child first


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8-sig")  # -sig: Windows editors may start the file with a BOM
    except FileNotFoundError:
        raise ProjectInvalid([Problem(str(path), "preset file not found", "Check the path")]) from None
    except UnicodeDecodeError as exc:
        raise ProjectInvalid([Problem(str(path), f"not UTF-8 text ({exc.reason})", "Save the file as UTF-8")]) from None
    except OSError as exc:
        raise ProjectInvalid([Problem(str(path), f"cannot read preset ({exc.strerror})")]) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None) or _line_from_message(str(exc))
        where = f"{path}:{line}" if line else str(path)
        message = getattr(exc, "msg", str(exc).split(" (at ")[0])
        raise ProjectInvalid([Problem(where, f"TOML syntax error: {message}", "Fix the syntax on that line")]) from None


def _line_from_message(message: str) -> int | None:
    marker = "at line "
    if marker not in message:
        return None
    digits = message.split(marker, 1)[1].split(",")[0].split(")")[0]
    return int(digits) if digits.isdigit() else None


# --- paths ------------------------------------------------------------------------------

_PATH_VALIDATORS = {base._resolve_path, base._resolve_model_ref}


def _is_path_annotation(annotation: Any) -> bool:
    if typing.get_origin(annotation) is typing.Annotated:
        _, *metadata = typing.get_args(annotation)
        if any(isinstance(m, AfterValidator) and m.func in _PATH_VALIDATORS for m in metadata):
            return True
    return any(_is_path_annotation(arg) for arg in typing.get_args(annotation))


def _is_path_field(info: Any) -> bool:
    # pydantic moves a field's own Annotated metadata to `info.metadata`
    direct = any(isinstance(m, AfterValidator) and m.func in _PATH_VALIDATORS for m in info.metadata)
    return direct or _is_path_annotation(info.annotation)


def _anchor(value: str, directory: Path) -> str:
    if not value.strip() or value.startswith((base.HUB_PREFIX, base.BUILTIN_PREFIX, "~", "$")) or Path(value).is_absolute():
        return value  # an empty value stays empty, for the field's validator to refuse
    return str(directory / value)


def anchor_paths(raw: dict[str, Any], directory: Path, model: type[BaseModel] = Project) -> None:
    """Make every relative path field absolute against `directory`, in place."""
    for key, value in raw.items():
        info = model.model_fields.get(key)
        if info is None:
            continue
        if _is_path_field(info):
            if isinstance(value, str):
                raw[key] = _anchor(value, directory)
            continue
        child = model_at(model, (key,))
        if child is None:
            continue
        if isinstance(value, dict):
            anchor_paths(value, directory, child)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    anchor_paths(item, directory, child)


# --- extends ------------------------------------------------------------------------------


# Keys that exclude each other: setting one in a child preset or with --set drops the
# others it inherited (TOML cannot unset a value, and `epochs` + `max_steps` is an error).
ALTERNATIVES = {
    "training": ("epochs", "max_steps"),
    "samples": ("every_n_epochs", "every_n_steps"),
}


def _drop_replaced_alternatives(merged: dict[str, Any], child: dict[str, Any]) -> None:
    for section, keys in ALTERNATIVES.items():
        chosen = child.get(section)
        if not isinstance(chosen, dict) or not isinstance(merged.get(section), dict):
            continue
        if any(k in chosen for k in keys):
            for key in keys:
                if key not in chosen:
                    merged[section].pop(key, None)


def deep_merge(parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """Tables merge key by key; everything else (values, arrays, [[subjects]]) the child replaces."""
    merged = copy.deepcopy(parent)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    _drop_replaced_alternatives(merged, child)
    return merged


def _load_chain(path: Path, stack: list[Path]) -> dict[str, Any]:
    path = path.resolve()
    if path in stack:
        cycle = " → ".join(p.name for p in [*stack, path])
        raise ProjectInvalid([Problem(str(stack[-1]), f"extends cycle: {cycle}", "Remove one of the extends")])
    raw = _read_toml(path)
    anchor_paths(raw, path.parent)
    stack.append(path)
    parent_ref = raw.pop("extends", None)
    if parent_ref is None:
        return raw
    if not isinstance(parent_ref, str):
        raise ProjectInvalid([Problem(f"{path}: extends", f"must be a file name in quotes (got {parent_ref!r})")])
    parent_path = Path(base.expand(parent_ref))
    if not parent_path.is_absolute():
        parent_path = path.parent / parent_path
    if not parent_path.exists():
        raise ProjectInvalid(
            [Problem(f"{path}: extends", f"{parent_ref!r} not found (looked at {parent_path})", "Paths are relative to the preset file")]
        )
    return deep_merge(_load_chain(parent_path, stack), raw)


# --- --set overrides ------------------------------------------------------------------------------


def _parse_key(key: str) -> list[str | int]:
    parts: list[str | int] = []
    for piece in key.replace("]", "").replace("[", ".").split("."):
        if piece == "":
            continue
        parts.append(int(piece) if piece.isdigit() else piece)
    return parts


def _parse_value(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text  # a bare word: take it as a string (`--set name=my-run`)


def apply_override(raw: dict[str, Any], assignment: str) -> None:
    """Apply `a.b[1].c=value` (value in TOML syntax, or a bare string) to a raw preset, in place."""
    key, sep, text = assignment.partition("=")
    where = f"--set {key.strip()}"
    parts = _parse_key(key.strip())
    if not sep or not parts or not isinstance(parts[0], str):
        raise ProjectInvalid([Problem(where, "must look like section.key=value", "e.g. --set training.learning_rate=5e-5")])
    value = _parse_value(text.strip())
    if isinstance(value, str):
        value = _anchor(value, Path.cwd()) if _is_path_at(parts) else value
    target: Any = raw
    for depth, part in enumerate(parts[:-1]):
        nxt = parts[depth + 1]
        if isinstance(part, int):
            if not isinstance(target, list) or part >= len(target):
                size = len(target) if isinstance(target, list) else 0
                raise ProjectInvalid([Problem(where, f"index {part} is out of range ({size} entries)")])
            target = target[part]
        else:
            if not isinstance(target, dict):
                raise ProjectInvalid([Problem(where, f"{part!r} is not inside a table")])
            target = target.setdefault(part, [] if isinstance(nxt, int) else {})
    last = parts[-1]
    if len(parts) == 2 and isinstance(last, str) and isinstance(target, dict):
        _drop_replaced_alternatives(raw, {parts[0]: {last: value}})
    if isinstance(last, int):
        if not isinstance(target, list) or last >= len(target):
            raise ProjectInvalid([Problem(where, f"index {last} is out of range")])
        target[last] = value
    else:
        if not isinstance(target, dict):
            raise ProjectInvalid([Problem(where, "does not name a key inside a table")])
        target[last] = value


def _is_path_at(parts: list[str | int]) -> bool:
    model = model_at(Project, tuple(parts[:-1]))
    info = model.model_fields.get(str(parts[-1])) if model else None
    return bool(info and _is_path_field(info))


# --- the whole load ------------------------------------------------------------------------------


def load_raw(path: Path, overrides: list[str] | None = None) -> tuple[dict[str, Any], list[Path]]:
    stack: list[Path] = []
    raw = _load_chain(Path(path), stack)
    for assignment in overrides or []:
        apply_override(raw, assignment)
    try:
        raw = migrate(raw)
    except UnsupportedVersion as exc:
        raise ProjectInvalid([Problem("schema_version", str(exc))]) from None
    return raw, list(stack)  # the preset first, then what it extends


def validate_raw(raw: dict[str, Any], base_dir: Path, overrides: list[str] | None = None) -> Project:
    try:
        return Project.model_validate(raw, context={"base_dir": base_dir})
    except ValidationError as exc:
        problems = problems_from_validation(exc, Project)
        overridden = {format_location(tuple(_parse_key(o.partition("=")[0].strip()))) for o in overrides or []}
        problems = [
            Problem(f"--set {p.location}", p.message, p.fix, p.severity, p.code) if p.location in overridden else p
            for p in problems
        ]
        raise ProjectInvalid(problems) from None


def load_project(path: Path | str, overrides: list[str] | None = None) -> LoadedProject:
    """Load, validate and rule-check a preset; raises ProjectInvalid with every problem found."""
    path = Path(path)
    raw, chain = load_raw(path, overrides)
    project = validate_raw(raw, path.resolve().parent, overrides)
    problems = check_rules(project)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise ProjectInvalid(errors)
    resolved = base.plain(project.model_dump(mode="python", exclude_none=True))
    return LoadedProject(project, path, resolved, [p for p in problems if p.severity != "error"], chain)
