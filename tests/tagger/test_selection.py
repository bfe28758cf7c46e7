"""Scores → tags: thresholds, MCut, ratings, exclusions, replacements, spelling, order."""

from __future__ import annotations

import numpy as np
import pytest

from orchestrator.tagger.labels import Label
from orchestrator.tagger.profiles import DEEPDANBOORU, WD14
from orchestrator.tagger.selection import Selection, Vocabulary, mcut_threshold, spell

LABELS = [
    Label("general", "rating"), Label("sensitive", "rating"),
    Label("red_background", "general"), Label("smile", "general"), Label("^_^", "general"),
    Label("o_o", "general"), Label("looking_at_viewer", "general"), Label("1boy", "general"),
    Label("hero_(marvel)", "character"), Label("villain_(dc)", "character"),
]  # fmt: skip
SCORES = np.array([0.9, 0.2, 0.95, 0.5, 0.6, 0.1, 0.36, 0.3, 0.9, 0.8], dtype=np.float32)


def tags(selection: Selection = Selection(), scores: np.ndarray = SCORES, profile=WD14) -> list[str]:
    return [t.tag for t in Vocabulary(LABELS, selection, profile).select(scores)]


def test_wd14_defaults_order_by_score() -> None:
    # 0.35 general, 0.85 character: villain (0.8) is out, 1boy (0.3) is out
    assert tags() == ["red background", "hero (marvel)", "^_^", "smile", "looking at viewer"]


def test_thresholds_and_profile_defaults() -> None:
    assert tags(Selection(general_threshold=0.55, character_threshold=0.75)) == ["red background", "hero (marvel)", "villain (dc)", "^_^"]
    assert "looking at viewer" not in tags(profile=DEEPDANBOORU)  # DeepDanbooru's 0.5
    assert "villain (dc)" in tags(profile=DEEPDANBOORU)


def test_mcut() -> None:
    assert mcut_threshold(np.array([0.9, 0.85, 0.2, 0.1])) == pytest.approx(0.525)
    assert mcut_threshold(np.array([0.4])) == 0.0
    # general scores sorted: .95 .6 .5 .36 .3 .1 → largest gap .95–.6 → only red background;
    # character .9 .8 → threshold .85 → hero only
    assert tags(Selection(mcut=True)) == ["red background", "hero (marvel)"]


def test_mcut_character_floor() -> None:
    scores = SCORES.copy()
    scores[8], scores[9] = 0.12, 0.01  # MCut would be 0.065; the floor 0.15 keeps both out
    assert not {"hero (marvel)", "villain (dc)"} & set(tags(Selection(mcut=True), scores))


def test_rating_placement() -> None:
    assert "general" not in tags()
    assert tags(Selection(rating="first"))[0] == "general"
    assert tags(Selection(rating="last"))[-1] == "general"
    assert tags(Selection(rating="first", exclude=frozenset({"general"})))[0] == "red background"


def test_exclude_replace_and_merging_duplicates() -> None:
    selection = Selection(exclude=frozenset({"smile"}), replace={"looking at viewer": "eye contact", "hero (marvel)": "red background"})
    assert tags(selection) == ["red background", "^_^", "eye contact"]  # hero became a duplicate
    assert "^_^" not in tags(Selection(replace={"^_^": ""}))  # empty replacement drops it


def test_underscores_and_kaomoji() -> None:
    assert spell("looking_at_viewer", False) == "looking at viewer"
    assert spell("^_^", False) == "^_^" and spell("o_o", False) == "o_o" and spell("(o)_(o)", False) == "(o)_(o)"
    assert spell("looking_at_viewer", True) == "looking_at_viewer"
    assert "looking_at_viewer" in tags(Selection(keep_underscores=True))


def test_max_tags_and_character_first() -> None:
    assert tags(Selection(max_tags=2)) == ["red background", "hero (marvel)"]
    assert tags(Selection(max_tags=1, rating="first")) == ["general", "red background"]  # the rating is extra
    assert tags(Selection(character_first=True, character_threshold=0.5))[:2] == ["hero (marvel)", "villain (dc)"]
