"""The tag list beside a tagger model: one label per network output, in output order.

WD14 `selected_tags.csv` has the header `tag_id,name,category,count`; category 9 is a
rating, 4 a character, 0 general (other Danbooru categories are treated as general).
DeepDanbooru's `tags.txt` has one tag a line; `rating:*` lines are ratings, and names also
listed in a `tags-character.txt` beside it are characters.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from orchestrator.problems import Problem, ProjectInvalid

Category = Literal["rating", "general", "character"]
_WD14_CATEGORIES: dict[str, Category] = {"9": "rating", "4": "character"}


@dataclass(frozen=True)
class Label:
    name: str  # as the tagger spells it (underscores and all)
    category: Category


def _invalid(path: Path, message: str, fix: str) -> ProjectInvalid:
    return ProjectInvalid([Problem(str(path), message, fix, code="tagger-tags")])


def read_selected_tags(path: Path) -> list[Label]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or not {"name", "category"} <= set(reader.fieldnames):
            raise _invalid(path, f"unexpected header {reader.fieldnames}", "A WD14 tag list starts with tag_id,name,category,count")
        return [Label(row["name"], _WD14_CATEGORIES.get(row["category"].strip(), "general")) for row in reader]


def read_tags_txt(path: Path) -> list[Label]:
    names = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    character_file = path.with_name("tags-character.txt")
    characters = set(read_plain(character_file)) if character_file.is_file() else set()

    def category(name: str) -> Category:
        if name.startswith("rating:"):
            return "rating"
        return "character" if name in characters else "general"

    return [Label(name, category(name)) for name in names]


def read_plain(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_labels(path: Path) -> list[Label]:
    """The labels of a tag list, chosen by its file type; ProjectInvalid when unreadable or empty."""
    try:
        labels = read_selected_tags(path) if path.suffix.lower() == ".csv" else read_tags_txt(path)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise _invalid(path, f"cannot read the tag list ({exc})", "Download it again next to the model") from None
    if not labels:
        raise _invalid(path, "the tag list is empty", "Download it again next to the model")
    return labels
