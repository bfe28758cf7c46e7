"""Caption files as tag lists: read, split, join, merge, trigger first.

Small and free of tagger specifics so the dataset tools can share it. sd-scripts reads
only the first line of a caption file (library/train_util.py `read_caption`) and fails on
an empty file, so tags live on the first line and later lines are kept as they are.
"""

from __future__ import annotations

from pathlib import Path

from orchestrator.text.trigger_lint import normalise

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


def tag_key(tag: str) -> str:
    """What makes two spellings the same tag: case, underscores and spacing do not count."""
    return normalise(tag)  # the same key as the dataset doctor and the trigger lint


def split_tags(line: str) -> list[str]:
    return [t.strip() for t in line.split(",") if t.strip()]


def join_tags(tags: list[str]) -> str:
    return SEPARATOR.join(tags)


def first_line(text: str) -> tuple[str, str]:
    """(the caption line, everything after it including the line break)."""
    head, sep, rest = text.partition("\n")
    return head.rstrip("\r"), (sep + rest) if sep else ""


def has_tag(tags: list[str], tag: str) -> bool:
    key = tag_key(tag)
    return any(tag_key(t) == key for t in tags)


def new_tags(existing: list[str], candidates: list[str]) -> list[str]:
    """Candidates not already present (by key), in their order, without repeats."""
    seen = {tag_key(t) for t in existing}
    added = []
    for tag in candidates:
        key = tag_key(tag)
        if key not in seen:
            seen.add(key)
            added.append(tag)
    return added


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
