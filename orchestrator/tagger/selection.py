"""Scores → caption tags: thresholds or MCut, ratings, exclusions, replacements, order.

Names are prepared once per run (`Vocabulary`); each image is then a few numpy operations.
Tags are compared by `tag_key`, so `male_focus`, `male focus` and `Male Focus` are one tag.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from orchestrator.tagger.captions import tag_key
from orchestrator.tagger.labels import Label
from orchestrator.tagger.profiles import Profile

RatingPlacement = Literal["drop", "first", "last"]

# Kaomoji whose underscore is part of the face (SmilingWolf's list); any tag of three
# characters or fewer also keeps its underscores (`o_o`, `^_^`), as sd-scripts does.
KAOMOJI = frozenset({
    "0_0", "(o)_(o)", "+_+", "+_-", "._.", "<o>_<o>", "<|>_<|>", "=_=", ">_<", "3_3", "6_9", ">_o", "@_@",
    "^_^", "o_o", "u_u", "x_x", "|_|", "||_||",
})  # fmt: skip
MCUT_CHARACTER_FLOOR = 0.15  # MCut on character scores alone can fall very low; the reference tagger floors it


@dataclass(frozen=True)
class Selection:
    general_threshold: float | None = None  # None: the profile's default
    character_threshold: float | None = None
    mcut: bool = False  # thresholds from the largest gap in each image's sorted scores
    rating: RatingPlacement = "drop"
    exclude: frozenset[str] = frozenset()  # tags never written (any spelling)
    replace: dict[str, str] = field(default_factory=dict)  # tag (any spelling) → replacement; "" drops it
    keep_underscores: bool = False
    max_tags: int | None = None  # general + character tags, highest scores first
    character_first: bool = False


@dataclass(frozen=True)
class ScoredTag:
    tag: str
    score: float
    category: str


def spell(name: str, keep_underscores: bool) -> str:
    """How a tagger name is written into a caption: underscores become spaces, faces stay."""
    if keep_underscores or name in KAOMOJI or len(name) <= 3:
        return name
    return name.replace("_", " ")


def mcut_threshold(scores: np.ndarray) -> float:
    """Maximum Cut Thresholding: the midpoint of the largest gap between sorted scores."""
    if len(scores) < 2:
        return 0.0
    ordered = np.sort(scores)[::-1]
    gaps = ordered[:-1] - ordered[1:]
    t = int(gaps.argmax())
    return float((ordered[t] + ordered[t + 1]) / 2)


class Vocabulary:
    """The labels as they will be written, with index arrays per category."""

    def __init__(self, labels: list[Label], selection: Selection, profile: Profile):
        self.selection = selection
        self.exclude = {tag_key(t) for t in selection.exclude}
        self.replace = {tag_key(old): new for old, new in selection.replace.items()}
        self.general_threshold = profile.general_threshold if selection.general_threshold is None else selection.general_threshold
        self.character_threshold = profile.character_threshold if selection.character_threshold is None else selection.character_threshold
        self.names: list[str | None] = [self._written(label.name) for label in labels]
        self.categories = [label.category for label in labels]
        categories = np.array(self.categories)
        self.rating = np.flatnonzero(categories == "rating")
        self.general = np.flatnonzero(categories == "general")
        self.character = np.flatnonzero(categories == "character")

    def _written(self, name: str) -> str | None:
        """The caption spelling, or None when excluded (by its own or its replaced name)."""
        key = tag_key(name)
        if key in self.exclude:
            return None
        written = self.replace.get(key, spell(name, self.selection.keep_underscores))
        return written if written and tag_key(written) not in self.exclude else None

    def _pick(self, scores: np.ndarray, index: np.ndarray, threshold: float, mcut_floor: float | None) -> list[int]:
        if not len(index):
            return []
        values = scores[index]
        if self.selection.mcut:
            threshold = mcut_threshold(values)
            if mcut_floor is not None:
                threshold = max(threshold, mcut_floor)
        chosen = index[values >= threshold]
        return [int(i) for i in chosen[np.argsort(-scores[chosen], kind="stable")]]

    def select(self, scores: np.ndarray) -> list[ScoredTag]:
        """The tags of one image: ordered by score (characters first if asked), rating placed."""
        s = self.selection
        general = self._pick(scores, self.general, self.general_threshold, None)
        character = self._pick(scores, self.character, self.character_threshold, MCUT_CHARACTER_FLOOR)
        if s.character_first:
            order = character + general
        else:
            order = sorted(character + general, key=lambda i: -scores[i])
        tags: list[ScoredTag] = []
        seen: set[str] = set()
        for i in order:
            name = self.names[i]
            if name is None or tag_key(name) in seen:  # a replacement may map two labels to one tag
                continue
            seen.add(tag_key(name))
            tags.append(ScoredTag(name, float(scores[i]), self.categories[i]))
        if s.max_tags is not None:
            tags = tags[: s.max_tags]
        if s.rating != "drop" and len(self.rating):
            best = int(self.rating[scores[self.rating].argmax()])
            name = self.names[best]
            if name is not None and tag_key(name) not in seen:
                rating = ScoredTag(name, float(scores[best]), "rating")
                tags = [rating, *tags] if s.rating == "first" else [*tags, rating]
        return tags
