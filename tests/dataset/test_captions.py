"""Caption tools: pure tag edits, dry runs with diffs, writes with backups, nothing hand-written lost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from doctor_fixtures import image, write_preset

from orchestrator.cli import main
from orchestrator.dataset import tags as T
from orchestrator.dataset.caption_edit import plan_edits, write_edits
from orchestrator.dataset.listing import BACKUP_DIR


def test_tag_edits_dedupe_and_keep_order() -> None:
    tags = ["1boy", "hxh", "male_focus", "Male focus", "smile"]
    assert T.prepend(tags, "hxh") == ["hxh", "1boy", "male_focus", "smile"]
    assert T.prepend(T.prepend(tags, "hxh"), "hxh") == T.prepend(tags, "hxh")  # idempotent
    assert T.prepend([], "hxh") == ["hxh"]
    assert T.add(["hxh", "smile"], ["glasses", "smile"]) == ["hxh", "smile", "glasses"]
    assert T.add(["hxh", "smile"], ["glasses"], front=True, keep=1) == ["hxh", "glasses", "smile"]
    assert T.remove(tags, ["male focus"]) == ["1boy", "hxh", "smile"]
    assert T.replace(["hxh", "1boy", "smile"], "1BOY", "1man") == ["hxh", "1man", "smile"]
    assert T.replace(["a", "b", "c"], "c", "a") == ["a", "b"]
    assert T.replace(["hxh", "1boy", "smile"], "1boy", "1man, adult") == ["hxh", "1man", "adult", "smile"]
    assert T.respell("male_focus", "spaces") == "male focus" and T.respell("^_^", "spaces") == "^_^"
    assert T.respell("male focus", "underscores") == "male_focus"


def test_frequency_counts_like_sd_scripts() -> None:
    counts = T.frequency(["hxh, 1boy, Smile", "hxh, smile, male_focus", "hxh, male focus"])
    assert counts["hxh"] == 3 and counts["smile"] == 2
    assert T.spelling_variants(counts) == {"male focus": ["male focus", "male_focus"]}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    d = tmp_path / "img"
    image(d / "a.png", seed=1, caption="1boy, smile")
    image(d / "b.png", seed=2, caption="hxh, 1boy")
    image(d / "c.png", seed=3, caption=None)
    (d / "a.txt").write_bytes(b"1boy, smile\r\nnotes the trainer ignores\r\n")  # CRLF and a second line
    return d


def test_dry_run_shows_a_diff_and_writes_nothing(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    assert main(["captions", "prepend-trigger", str(folder), "--trigger", "hxh"]) == 0
    out = capsys.readouterr().out
    assert "-1boy, smile" in out and "+hxh, 1boy, smile" in out and "--write" in out
    assert {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()} == before
    assert not (folder / BACKUP_DIR).exists()


def test_write_keeps_a_backup_and_the_rest_of_the_file(folder: Path) -> None:
    assert main(["captions", "prepend-trigger", str(folder), "--trigger", "hxh", "--write"]) == 0
    assert (folder / "a.txt").read_bytes() == b"hxh, 1boy, smile\r\nnotes the trainer ignores\r\n"
    assert (folder / "b.txt").read_text(encoding="utf-8") == "hxh, 1boy\n"  # already first: untouched
    (backup,) = (folder / BACKUP_DIR).iterdir()
    assert [p.name for p in backup.iterdir()] == ["a.txt"]
    assert (backup / "a.txt").read_bytes() == b"1boy, smile\r\nnotes the trainer ignores\r\n"
    assert not (folder / "c.txt").exists()  # only with --create-missing
    assert main(["captions", "prepend-trigger", str(folder), "--trigger", "hxh", "--create-missing", "--write"]) == 0
    assert (folder / "c.txt").read_text(encoding="utf-8") == "hxh\n"


def test_a_hand_edit_is_never_lost(folder: Path) -> None:
    """Edited between planning and writing: skipped. Edited between two writes: backed up again."""
    caption = folder / "a.txt"
    edits, _ = plan_edits([caption], lambda tags: T.add(tags, ["glasses"]))
    caption.write_text("1boy, smile, my careful hand edit\n", encoding="utf-8")
    result = write_edits(edits, stamp="20260101-000000")
    assert result.written == [] and result.skipped[0].code == "caption-changed"
    assert caption.read_text(encoding="utf-8") == "1boy, smile, my careful hand edit\n"

    first = write_edits(plan_edits([caption], lambda t: T.add(t, ["glasses"]))[0], stamp="20260101-000001")
    caption.write_text(caption.read_text(encoding="utf-8").replace("glasses", "round glasses"), encoding="utf-8")
    second = write_edits(plan_edits([caption], lambda t: T.add(t, ["outdoors"]))[0], stamp="20260101-000001")
    assert first.backup_dirs != second.backup_dirs  # the same second: a new folder, nothing overwritten
    assert (second.backup_dirs[0] / "a.txt").read_text(encoding="utf-8") == "1boy, smile, my careful hand edit, round glasses\n"
    assert caption.read_text(encoding="utf-8") == "1boy, smile, my careful hand edit, round glasses, outdoors\n"


def test_non_utf8_caption_is_left_alone(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (folder / "b.txt").write_bytes("hxh, caf\xe9\n".encode("cp1252"))
    assert main(["captions", "add", str(folder), "glasses", "--write"]) == 1
    assert (folder / "b.txt").read_bytes() == "hxh, caf\xe9\n".encode("cp1252")
    assert "not UTF-8" in capsys.readouterr().out


def test_remove_replace_normalize_and_bom(folder: Path) -> None:
    (folder / "b.txt").write_bytes("\ufeffhxh, 1boy, male_focus, 1boy\n".encode())
    assert main(["captions", "remove", str(folder), "male focus", "--write"]) == 0
    assert (folder / "b.txt").read_text(encoding="utf-8") == "hxh, 1boy\n"  # BOM and duplicate gone too
    assert main(["captions", "replace", str(folder), "1boy", "1man", "--write"]) == 0
    assert (folder / "b.txt").read_text(encoding="utf-8") == "hxh, 1man\n"
    (folder / "b.txt").write_text("hxh, male_focus, short_hair\n", encoding="utf-8")
    assert main(["captions", "normalize", str(folder), "--spelling", "spaces", "--write"]) == 0
    assert (folder / "b.txt").read_text(encoding="utf-8") == "hxh, male focus, short hair\n"


def test_preset_subjects_use_their_own_triggers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image(tmp_path / "face" / "a.png", seed=1, caption="1boy")
    image(tmp_path / "suit" / "a.png", seed=2, caption="shield")
    preset = write_preset(tmp_path, [
        {"name": "face", "trigger": "hxh", "images": "face", "repeats": 1},
        {"name": "suit", "trigger": "uscaption", "images": "suit", "repeats": 1},
    ])  # fmt: skip
    assert main(["captions", "prepend-trigger", str(preset), "--subject", "suit", "--write", "--json"]) == 0
    changes = json.loads(capsys.readouterr().out)["changes"]
    assert [c["after"] for c in changes] == ["uscaption, shield\n"]
    assert (tmp_path / "face" / "a.txt").read_text(encoding="utf-8") == "1boy\n"
    assert main(["captions", "freq", str(preset), "--json"]) == 0
    freq = json.loads(capsys.readouterr().out)
    assert freq["suit"]["tags"] == {"uscaption": 1, "shield": 1} and freq["face"]["captions"] == 1


@pytest.mark.parametrize(("args", "message"), [
    (["add", "{d}", " , "], "TAGS: no tags given"),
    (["remove", "{d}", ""], "TAGS: no tags given"),
    (["replace", "{d}", "1boy", ""], "NEW: is empty"),
    (["replace", "{d}", "1boy, smile", "1man"], "OLD: must be exactly one tag"),
])  # fmt: skip
def test_edits_without_tags_are_refused_and_write_nothing(folder: Path, capsys: pytest.CaptureFixture[str], args, message) -> None:
    before = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    assert main(["captions", *[a.format(d=folder) for a in args], "--trigger", "hxh", "--write"]) == 2
    assert message in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()} == before


def test_dataset_check_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = tmp_path / "img"
    image(d / "a.png", seed=1)
    assert main(["dataset", "check", str(d), "--resolution", "256", "--min-bucket", "128"]) == 0
    (d / "a.txt").write_bytes(b"")
    assert main(["dataset", "check", str(d), "--json", "--resolution", "256", "--min-bucket", "128"]) == 1
    assert main(["dataset", "check", str(d), "--force", "--resolution", "256", "--min-bucket", "128"]) == 0
    assert main(["dataset", "check", str(tmp_path / "nope")]) == 2


def test_dataset_check_json_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = tmp_path / "img"
    image(d / "a.png", seed=1)
    (d / "a.txt").write_bytes(b"")
    assert main(["dataset", "check", str(d), "--json", "--resolution", "256", "--min-bucket", "128"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False and data["counts"]["error"] == 1
    assert data["problems"][0]["code"] == "caption-empty" and data["buckets"]["buckets"][0]["resolution"] == [256, 256]
