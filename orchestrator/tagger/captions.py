"""Caption files as the tagger writes them: read, merge, trigger first.

The tag grammar itself (split, join, the case/underscore-blind key, dedupe) is
`orchestrator.dataset.tags`, shared with the caption tools. sd-scripts reads only the first
line of a caption file (library/train_util.py `read_caption`) and fails on an empty file,
so tags live on the first line and later lines are kept as they are.
"""

from __future__ import annotations

from pathlib import Path

from orchestrator.dataset.tags import dedupe, join_tags
from orchestrator.dataset.tags import key as tag_key
from orchestrator.dataset.tags import split_caption as split_tags

SEPARATOR = ", "


def caption_path(image: Path, extension: str) -> Path:
    """The caption beside an image, named as sd-scripts looks for it (`splitext` + extension)."""
    return image.with_name(image.stem + extension)


def read_caption(path: Path) -> str | None:
    """The file's text, or None when there is no file or it holds only whitespace.

    Raises UnicodeDecodeError for a file that is not UTF-8 (sd-scripts would fail on it too).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    return text if text.strip() else None


def first_line(text: str) -> tuple[str, str]:
    """(the caption line, everything after it including the line break)."""
    head, sep, rest = text.partition("\n")
    return head.rstrip("\r"), (sep + rest) if sep else ""


def has_tag(tags: list[str], tag: str) -> bool:
    key = tag_key(tag)
    return any(tag_key(t) == key for t in tags)


def new_tags(existing: list[str], candidates: list[str]) -> list[str]:
    """Candidates not already present (by key), in their order, without repeats."""
    present = {tag_key(t) for t in existing}
    return [t for t in dedupe(candidates) if tag_key(t) not in present]


def with_trigger(tags: list[str], trigger: str | None) -> list[str]:
    """The trigger first (keep_tokens keeps it there when tags are shuffled), never twice."""
    if not trigger:
        return list(tags)
    key = tag_key(trigger)
    return [trigger, *(t for t in tags if tag_key(t) != key)]


def merged_text(existing: str, additions: list[str]) -> str:
    """The existing caption with tags appended to its first line; its own text untouched."""
    if not additions:
        return existing
    line, rest = first_line(existing)
    line = line.rstrip()
    joined = join_tags(additions)
    line = f"{line.rstrip(',').rstrip()}{SEPARATOR}{joined}" if split_tags(line) else joined
    return line + (rest if rest else "\n")
