"""Caption changes per mode: hand edits kept, trigger first, merge order, backups."""

from __future__ import annotations

from pathlib import Path

from orchestrator.tagger.captions import caption_path, merged_text, read_caption, tag_key, with_trigger
from orchestrator.tagger.plan import BACKUP_DIR, apply_changes, plan_change

HAND = "hxh, 1boy, male_focus, glasses, star emblem\n"
PREDICTED = ["male focus", "smile", "glasses", "outdoors"]


def test_tag_keys_and_trigger() -> None:
    assert tag_key("Male_Focus ") == tag_key("male  focus") == "male focus"
    assert with_trigger(["smile", "HXH", "sky"], "hxh") == ["hxh", "smile", "sky"]
    assert with_trigger(["smile"], None) == ["smile"]


def test_caption_path_and_blank_files(tmp_path: Path) -> None:
    assert caption_path(tmp_path / "a.b.png", ".caption") == tmp_path / "a.b.caption"
    assert read_caption(tmp_path / "none.txt") is None
    (tmp_path / "blank.txt").write_text(" \n", encoding="utf-8")
    assert read_caption(tmp_path / "blank.txt") is None  # sd-scripts fails on empty files: treat as missing


def test_new_caption_gets_the_trigger_first(tmp_path: Path) -> None:
    change = plan_change(tmp_path / "a.png", tmp_path / "a.txt", None, ["smile", "hxh", "sky"], "new", "hxh")
    assert change.action == "create" and change.new == "hxh, smile, sky\n"


def test_new_mode_leaves_existing_captions_alone(tmp_path: Path) -> None:
    change = plan_change(tmp_path / "a.png", tmp_path / "a.txt", HAND, PREDICTED, "new", "hxh")
    assert change.action == "unchanged" and change.new == HAND


def test_merge_keeps_text_and_order_then_appends(tmp_path: Path) -> None:
    change = plan_change(tmp_path / "a.png", tmp_path / "a.txt", HAND, PREDICTED, "merge", "hxh")
    assert change.action == "merge"
    assert change.new == "hxh, 1boy, male_focus, glasses, star emblem, smile, outdoors\n"
    assert change.added == ("smile", "outdoors")  # male focus = male_focus, glasses already there
    assert plan_change(tmp_path / "a.png", tmp_path / "a.txt", HAND, ["glasses"], "merge", "hxh").action == "unchanged"


def test_merge_keeps_later_lines_and_odd_spacing() -> None:
    assert merged_text("a,b ,\nsecond line\n", ["c"]) == "a,b, c\nsecond line\n"
    assert merged_text("a, b", ["c"]) == "a, b, c\n"


def test_overwrite_lists_added_and_removed(tmp_path: Path) -> None:
    change = plan_change(tmp_path / "a.png", tmp_path / "a.txt", HAND, PREDICTED, "overwrite", "hxh")
    assert change.new == "hxh, male focus, smile, glasses, outdoors\n"
    assert change.removed == ("1boy", "star emblem") and change.added == ("smile", "outdoors")
    same = plan_change(tmp_path / "a.png", tmp_path / "a.txt", "hxh, smile\n", ["smile"], "overwrite", "hxh")
    assert same.action == "unchanged"


def test_apply_backs_up_replaced_captions(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(HAND, encoding="utf-8")
    changes = [
        plan_change(tmp_path / "a.png", tmp_path / "a.txt", HAND, PREDICTED, "overwrite", "hxh"),
        plan_change(tmp_path / "b.png", tmp_path / "b.txt", None, PREDICTED, "overwrite", "hxh"),
    ]
    applied = apply_changes(changes, stamp="20240101-000000")
    backups = applied.backups
    assert applied.problems == []
    assert backups == [tmp_path / BACKUP_DIR / "20240101-000000" / "a.txt"]
    assert backups[0].read_text(encoding="utf-8") == HAND
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "hxh, male focus, smile, glasses, outdoors\n"
    assert (tmp_path / "b.txt").read_text(encoding="utf-8").startswith("hxh, male focus")


def test_a_caption_that_cannot_be_written_is_reported(tmp_path: Path) -> None:
    blocked = tmp_path / "blocked.txt"
    blocked.mkdir()  # a folder where the caption should be: writing it fails
    changes = [plan_change(tmp_path / "blocked.png", blocked, None, ["smile"], "new", None),
               plan_change(tmp_path / "ok.png", tmp_path / "ok.txt", None, ["smile"], "new", None)]
    applied = apply_changes(changes)
    assert [p.code for p in applied.problems] == ["caption-write"]
    assert (tmp_path / "ok.txt").read_text(encoding="utf-8") == "smile\n"


def test_no_tags_and_no_trigger_writes_no_empty_caption(tmp_path: Path) -> None:
    from orchestrator.tagger.job import WorkItem, plan_item
    from orchestrator.tagger.targets import Target

    bare = Target("photos", tmp_path, None, ".txt")
    change, problems = plan_item(WorkItem(tmp_path / "a.png", tmp_path / "a.txt", None, bare), [], "new")
    assert not change.writes and [p.code for p in problems] == ["tag-empty"]
    assert "sd-scripts stops on an empty caption file" in problems[0].message
    change, problems = plan_item(WorkItem(tmp_path / "b.png", tmp_path / "b.txt", "hxh, smile\n", bare), [], "overwrite")
    assert not change.writes and change.new == "hxh, smile\n" and problems[0].code == "tag-empty"  # the old caption stays
    triggered = Target("face", tmp_path, "hxh", ".txt")
    change, problems = plan_item(WorkItem(tmp_path / "c.png", tmp_path / "c.txt", None, triggered), [], "new")
    assert change.action == "create" and change.new == "hxh\n" and not problems  # the trigger alone is a caption
