"""Comma-separated caption tags: split, compare, edit, count. Pure functions, no files.

Tags compare case-insensitively with `_` and space as the same character (`male_focus` is
`Male focus`), so an edit finds a tag however it is spelled; a tag keeps its own spelling
unless a normalisation is asked for. Every edit removes duplicates, keeping the first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Literal

from orchestrator.text.trigger_lint import normalise

Spelling = Literal["spaces", "underscores"]
SHORT_TAG = 3  # emoticon tags like `^_^` and `>_<` keep their underscores (kohya's taggers do the same)


def split_caption(text: str) -> list[str]:
    """Tags of a caption line: stripped, empty ones dropped."""
    return [t.strip() for t in text.split(",") if t.strip()]


def join_tags(tags: Iterable[str]) -> str:
    return ", ".join(tags)


def key(tag: str) -> str:
    return normalise(tag)


def respell(tag: str, spelling: Spelling | None) -> str:
    if spelling == "spaces" and len(tag) > SHORT_TAG:
        return " ".join(tag.replace("_", " ").split())
    if spelling == "underscores" and len(tag) > SHORT_TAG:
        return "_".join(tag.split())
    return tag


def dedupe(tags: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    kept = []
    for tag in tags:
        k = key(tag)
        if k not in seen:
            seen.add(k)
            kept.append(tag)
    return kept


def prepend(tags: list[str], trigger: str) -> list[str]:
    """The trigger first; moved there if it is elsewhere; unchanged if already first (idempotent)."""
    k = key(trigger)
    first = tags[0] if tags and key(tags[0]) == k else trigger  # already first: keep its spelling
    return dedupe([first, *(t for t in tags if key(t) != k)])


def add(tags: list[str], new: list[str], *, front: bool = False, keep: int = 0) -> list[str]:
    """Add tags that are not there yet: at the end, or at the front after the first `keep` tags."""
    present = {key(t) for t in tags}
    missing = [t for t in dedupe(new) if key(t) not in present]
    if not front:
        return dedupe(tags + missing)
    return dedupe(tags[:keep] + missing + tags[keep:])


def remove(tags: list[str], unwanted: list[str]) -> list[str]:
    drop = {key(t) for t in unwanted}
    return dedupe(t for t in tags if key(t) not in drop)


def replace(tags: list[str], old: str, new: str) -> list[str]:
    """Every spelling of `old` becomes `new` (one tag, or several comma-separated), in place;
    a resulting duplicate is dropped."""
    k, news = key(old), split_caption(new)
    return dedupe(n for t in tags for n in (news if key(t) == k else [t]))


def frequency(captions: Iterable[str]) -> Counter[str]:
    """Tag counts as sd-scripts records `ss_tag_frequency`: each occurrence, stripped and lower-cased."""
    counts: Counter[str] = Counter()
    for caption in captions:
        counts.update(t.lower() for t in split_caption(caption))
    return counts


def spelling_variants(counts: Counter[str]) -> dict[str, list[str]]:
    """Tags counted apart that are one tag (`male_focus` / `male focus`): normalised key -> spellings."""
    groups: dict[str, list[str]] = {}
    for tag in counts:
        groups.setdefault(key(tag), []).append(tag)
    return {k: sorted(v) for k, v in groups.items() if len(v) > 1}
