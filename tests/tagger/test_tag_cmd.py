"""`orchestrator tag` end to end on copies of the bundled captain dataset, with tiny models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tagger_models import save_image

from orchestrator.cli import main
from orchestrator.tagger.plan import BACKUP_DIR


def captions(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))}


def tag_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    capsys.readouterr()
    code = main(["tag", *argv, "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == (0 if data["ok"] else 2)
    return data


def test_new_mode_on_a_captioned_dataset_loads_no_model(captain_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hxh = captain_copy / "datasets" / "captain" / "hxh"
    before = captions(hxh)
    data = tag_json(capsys, str(hxh), "--model", str(captain_copy / "no-such-model"), "--write")
    assert data["kept"] == 10 and data["tagged"] == 0 and data["changes"] == []
    assert captions(hxh) == before


def test_hand_edited_captions_survive_new_and_merge(captain_copy: Path, wd14_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hxh = captain_copy / "datasets" / "captain" / "hxh"
    hand = hxh / "hxh_01.txt"
    hand.write_text("hxh, my own edit, star_emblem emphasis, glasses\n", encoding="utf-8")
    before = captions(hxh)
    save_image(hxh / "hxh_11.png", (255, 0, 0))  # a new, uncaptioned image

    data = tag_json(capsys, str(hxh), "--model", str(wd14_dir), "--trigger", "hxh", "--write")
    assert [c["image"] for c in data["changes"]] == [str(hxh / "hxh_11.png")]
    assert (hxh / "hxh_11.txt").read_text(encoding="utf-8").startswith("hxh, captain america (marvel), red background")
    assert {k: v for k, v in captions(hxh).items() if k != "hxh_11.txt"} == before  # byte for byte

    data = tag_json(capsys, str(hxh), "--model", str(wd14_dir), "--trigger", "hxh", "--mode", "merge", "--write")
    after = captions(hxh)
    for name, old in before.items():  # every hand caption is a prefix of its merged caption
        assert after[name].startswith(old.rstrip("\n")), name
    assert after["hxh_01.txt"].startswith("hxh, my own edit, star_emblem emphasis, glasses, ")
    backups = list((hxh / BACKUP_DIR).glob("*/hxh_01.txt"))
    assert len(backups) == 1 and backups[0].read_text(encoding="utf-8") == before["hxh_01.txt"]
    # merging again adds nothing
    again = tag_json(capsys, str(hxh), "--model", str(wd14_dir), "--trigger", "hxh", "--mode", "merge")
    assert [c["action"] for c in again["changes"]] == ["unchanged"] * 11


def test_dry_run_shows_changes_and_writes_nothing(colour_dir: Path, wd14_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tag", str(colour_dir), "--model", str(wd14_dir), "--trigger", "hxh"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "red.txt (create) hxh, captain america (marvel), red background, ^_^, simple background, looking at viewer" in out
    assert "Dry run: 3 new" in out and "--write" in out
    assert not list(colour_dir.glob("*.txt"))


def test_preset_prepends_each_subjects_trigger(captain_copy: Path, wd14_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data_dir = captain_copy / "datasets" / "captain"
    save_image(data_dir / "hxh" / "new_face.png", (0, 0, 255))
    save_image(data_dir / "uscaption" / "new_suit.jpg", (255, 0, 0))
    preset = str(captain_copy / "presets" / "captain.toml")
    data = tag_json(capsys, preset, "--model", str(wd14_dir), "--write")
    assert data["kept"] == 20 and data["tagged"] == 2
    assert (data_dir / "hxh" / "new_face.txt").read_text(encoding="utf-8").startswith("hxh, ")
    assert (data_dir / "uscaption" / "new_suit.txt").read_text(encoding="utf-8").startswith("uscaption, captain america (marvel)")
    only = tag_json(capsys, preset, "--model", str(wd14_dir), "--subject", "face", "--mode", "overwrite")
    assert {Path(c["image"]).parent.name for c in only["changes"]} == {"hxh"}


def test_overwrite_keeps_a_backup(captain_copy: Path, wd14_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    us = captain_copy / "datasets" / "captain" / "uscaption"
    before = captions(us)
    data = tag_json(capsys, str(us), "--model", str(wd14_dir), "--mode", "overwrite", "--trigger", "uscaption",
                    "--max-tags", "3", "--write")
    assert len(data["backups"]) == 10
    for backup in map(Path, data["backups"]):
        assert backup.read_text(encoding="utf-8") == before[backup.name]
    for text in captions(us).values():
        tags = text.strip().split(", ")
        assert tags[0] == "uscaption" and len(tags) <= 4


def test_corrupt_images_are_skipped_and_reported(colour_dir: Path, wd14_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (colour_dir / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    (colour_dir / "empty.jpg").write_bytes(b"")
    data = tag_json(capsys, str(colour_dir), "--model", str(wd14_dir), "--write")
    assert data["failed"] == 2 and data["tagged"] == 3
    assert sorted(Path(p["location"]).name for p in data["problems"] if p["code"] == "image-corrupt") == ["broken.png", "empty.jpg"]
    assert sorted(p.name for p in colour_dir.glob("*.txt")) == ["blue.txt", "green.txt", "red.txt"]


def test_merge_warns_when_the_trigger_is_missing(colour_dir: Path, wd14_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (colour_dir / "red.txt").write_text("1boy, shield\n", encoding="utf-8")
    data = tag_json(capsys, str(colour_dir), "--model", str(wd14_dir), "--mode", "merge", "--trigger", "uscaption")
    red = next(c for c in data["changes"] if c["image"].endswith("red.png"))
    assert red["new"].startswith("1boy, shield, captain america (marvel)")
    assert [p["code"] for p in data["problems"]] == ["caption-no-trigger"]


def test_deepdanbooru_profile_and_selection_flags(colour_dir: Path, dd_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tag_json(capsys, str(colour_dir), "--model", str(dd_dir), "--rating", "first", "--keep-underscores",
                    "--exclude", "simple_background", "--replace", "red background=red theme", "--caption-extension", ".caption")
    assert data["profile"] == "deepdanbooru"
    red = next(c for c in data["changes"] if c["image"].endswith("red.png"))
    assert red["caption"].endswith("red.caption")
    assert red["new"] == "rating:questionable, captain_america_(marvel), red theme\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--trigger", "x"], "comes from each subject of a preset"),
        (["--replace", "novalue"], "expected OLD=NEW"),
        (["--general-threshold", "1.5"], "must be between 0 and 1"),
        (["--subject", "nobody"], "no subject named nobody"),
    ],
)
def test_usage_errors(captain_copy: Path, wd14_dir: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    preset = str(captain_copy / "presets" / "captain.toml")
    assert main(["tag", preset, "--model", str(wd14_dir), *argv]) == 2
    assert message in " ".join(capsys.readouterr().err.split())


def test_missing_folder_and_model(tmp_path: Path, colour_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tag", str(tmp_path / "nothing")]) == 2
    assert main(["tag", str(colour_dir), "--model", str(tmp_path / "no-model")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
