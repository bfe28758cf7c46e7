"""`orchestrator tag DIR|PRESET` → the folders to tag, each with its trigger and caption extension.

A preset gives one target per subject (its `images`, `trigger`, `caption_extension`), so
captions are written where, and as, the trainer will read them. A folder gives one target
with the trigger and extension from the command line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from orchestrator.problems import Problem, ProjectInvalid

DEFAULT_EXTENSION = ".txt"


@dataclass(frozen=True)
class Target:
    name: str  # subject name, or the folder's name
    folder: Path
    trigger: str | None
    caption_extension: str


def resolve_targets(
    target: str,
    *,
    overrides: list[str] | None = None,
    subjects: list[str] | None = None,
    trigger: str | None = None,
    caption_extension: str | None = None,
    use_trigger: bool = True,
) -> list[Target]:
    path = Path(target).expanduser()
    if path.is_dir():
        if subjects:
            raise _usage("--subject", "only applies to a preset", f"{target} is a folder; drop --subject")
        extension = caption_extension or DEFAULT_EXTENSION
        if not extension.startswith("."):
            raise _usage("--caption-extension", f"must start with a dot (got {extension!r})", "e.g. --caption-extension .txt")
        return [Target(path.name, path, trigger if use_trigger else None, extension)]
    if path.is_file() and path.suffix == ".toml":
        for flag, value in (("--trigger", trigger), ("--caption-extension", caption_extension)):
            if value:
                raise _usage(flag, "comes from each subject of a preset", f"Change it in {target}, or tag the folder instead")
        return _from_preset(path, overrides or [], subjects or [], use_trigger)
    raise _usage(target, "not a folder or a .toml preset", "Pass an image folder (e.g. datasets/captain/hxh) or a preset (e.g. presets/captain.toml)")


def _usage(location: str, message: str, fix: str) -> ProjectInvalid:
    return ProjectInvalid([Problem(location, message, fix, code="tag-usage")])


def _from_preset(path: Path, overrides: list[str], wanted: list[str], use_trigger: bool) -> list[Target]:
    from orchestrator.schema.loader import load_project

    project = load_project(path, overrides).project
    names = [s.name for s in project.subjects]
    unknown = [w for w in wanted if w not in names]
    if unknown:
        raise _usage("--subject", f"no subject named {', '.join(unknown)}", f"Subjects of {path}: {', '.join(names)}")
    return [
        Target(s.name, Path(s.images), s.trigger if use_trigger else None, s.caption_extension)
        for s in project.subjects
        if not wanted or s.name in wanted
    ]
