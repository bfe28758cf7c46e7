"""The dataset doctor: every check has a file that triggers it and a clean file that does not."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest
from doctor_fixtures import image, pattern, save, write_preset
from PIL import Image

from orchestrator.compile.buckets import BucketSettings
from orchestrator.dataset.doctor import DoctorReport, check_dataset, check_directory
from orchestrator.problems import Problem
from orchestrator.schema.loader import load_project

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORCHESTRATOR_CACHE", str(tmp_path / "cache"))


def by_code(report: DoctorReport, code: str) -> list[Problem]:
    return [p for p in report.problems if p.code == code]


def flagged(report: DoctorReport, code: str) -> set[str]:
    """Names of the files (or last part of the location) a check flagged."""
    return {Path(p.location).name for p in by_code(report, code)}


def check(folder: Path, **kw) -> DoctorReport:
    kw.setdefault("buckets", BucketSettings((256, 256), True, 128, 512, 64))
    return check_directory(folder, **kw)


# ------------------------------------------------------------------ a broken single folder


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DoctorReport]:
    d = tmp_path_factory.mktemp("broken") / "imgs"
    for i in range(3):
        image(d / f"clean_{i}.png", seed=100 + i)
    # image integrity and format
    jpeg = io.BytesIO()
    pattern((256, 256), 1).save(jpeg, "JPEG", quality=90)
    (d / "truncated.jpg").write_bytes(jpeg.getvalue()[: len(jpeg.getvalue()) // 2])
    (d / "truncated.txt").write_text("hxh, 1boy\n", encoding="utf-8")
    image(d / "png_named.jpg", seed=2, fmt="PNG")
    os.symlink("loop.jpg", d / "loop.jpg")  # points at itself: stat fails with ELOOP
    (d / "loop.txt").write_text("hxh, 1boy\n", encoding="utf-8")
    (d / "folder.png").mkdir()  # sd-scripts' glob takes it for an image
    image(d / "real.jpg", seed=3, quality=90)
    # duplicates
    image(d / "dup_a.png", seed=4)
    shutil.copyfile(d / "dup_a.png", d / "dup_b.png")
    (d / "dup_b.txt").write_text("hxh, 1boy, smile\n", encoding="utf-8")
    base = pattern((384, 384), 5)
    save(d / "near_a.png", base)
    save(d / "near_b.jpg", base.resize((256, 256)), quality=70)
    for n in ("near_a", "near_b"):
        (d / f"{n}.txt").write_text("hxh, 1boy\n", encoding="utf-8")
    # captions
    image(d / "nocap.png", seed=6, caption=None)
    (d / "ghost.txt").write_text("hxh, 1boy\n", encoding="utf-8")
    image(d / "zero.png", seed=7)
    (d / "zero.txt").write_bytes(b"")
    image(d / "blank.png", seed=8)
    (d / "blank.txt").write_text("  \n", encoding="utf-8")
    image(d / "bom.png", seed=9)
    (d / "bom.txt").write_bytes("\ufeffhxh, 1boy\n".encode())
    image(d / "latin.png", seed=10)
    (d / "latin.txt").write_bytes("hxh, caf\xe9\n".encode("cp1252"))
    image(d / "multi.png", seed=11)
    (d / "multi.txt").write_text("hxh, 1boy\nsmile, outdoors\n", encoding="utf-8")
    # names and junk
    image(d / "stem.png", seed=12)
    image(d / "stem.jpg", seed=13, caption=None)
    (d / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (d / "Thumbs.db").write_bytes(b"\0")
    (d / "__MACOSX").mkdir()
    (d / "._clean_0.png").write_bytes(b"\0\5\26\7")
    image(d / ".hidden.png", seed=14)
    image(d / "anim.gif", seed=15, fmt="GIF")
    image(d / "scan.tiff", seed=16, fmt="TIFF")
    image(d / "camera.Jpg", seed=17, fmt="JPEG")
    image(d / "sub" / "nested.png", seed=18)
    # pixels and sizes
    image(d / "tiny.png", seed=19, size=(64, 64))
    image(d / "wide.png", seed=20, size=(1600, 200))
    exif = Image.Exif()
    exif[0x0112] = 6
    image(d / "rotated.jpg", seed=21, exif=exif.tobytes())
    upright = Image.Exif()
    upright[0x0112] = 1
    image(d / "upright.jpg", seed=22, exif=upright.tobytes())
    alpha = pattern((256, 256), 23, "RGBA")
    alpha.putalpha(Image.linear_gradient("L").resize((256, 256)))
    save(d / "alpha.png", alpha)
    (d / "alpha.txt").write_text("hxh, 1boy\n", encoding="utf-8")
    image(d / "opaque.png", seed=24, mode="RGBA")
    image(d / "cmyk.jpg", seed=25, mode="CMYK")
    grey16 = Image.new("I;16", (256, 256))
    grey16.putdata([(x * 257) % 65536 for x in range(256 * 256)])
    save(d / "grey16.png", grey16)
    (d / "grey16.txt").write_text("hxh\n", encoding="utf-8")
    image(d / "palette.png", seed=26, mode="P")
    frames = [pattern((256, 256), 27), pattern((256, 256), 28)]
    frames[0].save(d / "apng.png", save_all=True, append_images=frames[1:])
    (d / "apng.txt").write_text("hxh\n", encoding="utf-8")
    return d, check(d)


@pytest.mark.parametrize(
    ("code", "triggered", "severity"),
    [
        ("image-corrupt", {"truncated.jpg", "loop.jpg"}, "error"),
        ("image-is-folder", {"folder.png"}, "error"),
        ("format-mismatch", {"png_named.jpg"}, "warning"),
        ("duplicate", {"dup_b.png"}, "warning"),
        ("near-duplicate", {"near_b.jpg"}, "warning"),
        ("caption-missing", {"nocap.png"}, "warning"),
        ("caption-orphan", {"ghost.txt", "anim.txt", "scan.txt", "camera.txt"}, "warning"),
        ("caption-empty", {"zero.txt"}, "error"),
        ("caption-blank", {"blank.txt"}, "warning"),
        ("caption-bom", {"bom.txt"}, "warning"),
        ("caption-encoding", {"latin.txt"}, "error"),
        ("caption-multiline", {"multi.txt"}, "warning"),
        ("same-stem", {"stem.png"}, "warning"),
        ("junk", {".DS_Store", "Thumbs.db", "__MACOSX", "._clean_0.png", ".hidden.txt"}, "warning"),
        ("hidden-image", {".hidden.png"}, "warning"),
        ("unsupported-format", {"anim.gif", "scan.tiff", "camera.Jpg"}, "warning"),
        ("nested-images", {"sub"}, "warning"),
        ("image-small", {"tiny.png"}, "warning"),
        ("aspect-extreme", {"wide.png"}, "warning"),
        ("exif-rotation", {"rotated.jpg"}, "warning"),
        ("alpha", {"alpha.png"}, "warning"),
        ("mode-cmyk", {"cmyk.jpg"}, "warning"),
        ("mode-16bit", {"grey16.png"}, "warning"),
        ("mode-palette", {"palette.png"}, "info"),
        ("animated", {"apng.png"}, "warning"),
    ],
)
def test_each_check_flags_exactly_its_files(broken, code: str, triggered: set[str], severity: str) -> None:
    _, report = broken
    assert flagged(report, code) == triggered, [p.line() for p in by_code(report, code)]
    assert {p.severity for p in by_code(report, code)} == {severity}
    assert "clean_0.png" not in flagged(report, code)


def test_every_finding_names_a_file_the_problem_and_a_fix(broken) -> None:
    folder, report = broken
    for p in report.problems:
        if p.code.startswith("trigger") or p.code == "tokenizer-unavailable":
            continue
        assert p.location and p.message and p.fix, p


def test_clean_files_have_no_findings(broken) -> None:
    folder, report = broken
    clean = {"clean_0.png", "clean_1.png", "clean_2.png", "real.jpg", "upright.jpg", "opaque.png", "dup_a.png", "near_a.png"}
    noisy = {Path(p.location).name for p in report.problems}
    assert not clean & noisy, [p.line() for p in report.problems if Path(p.location).name in clean]


def test_errors_make_the_report_fail_and_counts_add_up(broken) -> None:
    _, report = broken
    assert not report.ok
    data = report.to_json()
    # truncated JPEG, symlink loop, folder named .png, 0-byte and not-UTF-8 captions
    assert data["counts"]["error"] == len(report.errors) == 5
    assert data["ok"] is False and "error" in report.summary()


def test_the_trainer_sees_only_globbed_images_and_buckets_them(broken) -> None:
    _, report = broken
    (summary,) = report.folders
    assert summary.images == 29  # hidden, ._ files, gif, tiff, .Jpg and the subfolder are skipped
    assert summary.skipped == 4
    # the truncated JPEG still has a header size, as in the trainer; the symlink loop has none
    assert report.buckets["num_train_images"] == 28


# ------------------------------------------------------------------ caption extension


def test_caption_extension_mismatch_names_the_setting(tmp_path: Path) -> None:
    d = tmp_path / "face"
    for i in range(3):
        image(d / f"{i}.png", seed=i, ext=".txt")
    preset = write_preset(tmp_path, [{"name": "face", "trigger": "hxh", "images": "face", "repeats": 2, "caption_extension": ".caption"}])
    report = check_dataset(load_project(preset).project, lint=False)
    (p,) = by_code(report, "caption-extension")
    assert p.severity == "error" and p.location == "subjects[0].caption_extension"
    assert ".txt" in p.message and '"' + ".txt" + '"' in p.fix
    assert not by_code(report, "caption-missing")  # one finding for the cause, not one per image


def test_captions_named_after_the_whole_file_name(tmp_path: Path) -> None:
    d = tmp_path / "img"
    image(d / "a.png", seed=1, caption=None)
    (d / "a.png.txt").write_text("hxh\n", encoding="utf-8")
    image(d / "b.png", seed=2)
    (p,) = by_code(check(d), "caption-extension")
    assert "a.png.txt" in p.message and "a.txt" in p.fix


# ------------------------------------------------------------------ folders


def test_repeats_in_the_folder_name_must_match_the_preset(tmp_path: Path) -> None:
    image(tmp_path / "10_face" / "a.png", seed=1)
    image(tmp_path / "12_suit" / "a.png", seed=2)
    preset = write_preset(tmp_path, [
        {"name": "face", "trigger": "hxh", "images": "10_face", "repeats": 11},
        {"name": "suit", "trigger": "uscaption", "images": "12_suit", "repeats": 12},
    ])  # fmt: skip
    report = check_dataset(load_project(preset).project, lint=False)
    (p,) = by_code(report, "repeats-mismatch")
    assert p.location == "subjects[0].repeats" and "10" in p.message and "11_face" in p.fix


def test_empty_and_missing_subjects_are_errors(tmp_path: Path) -> None:
    image(tmp_path / "face" / "a.png", seed=1)
    image(tmp_path / "gifs" / "a.gif", seed=2, fmt="GIF")
    (tmp_path / "empty").mkdir()
    preset = write_preset(tmp_path, [
        {"name": "face", "trigger": "hxh", "images": "face", "repeats": 1},
        {"name": "gifs", "trigger": "gfx", "images": "gifs", "repeats": 1},
        {"name": "empty", "trigger": "mtx", "images": "empty", "repeats": 1},
    ])  # fmt: skip
    report = check_dataset(load_project(preset).project, lint=False)
    assert {p.location for p in by_code(report, "no-images")} == {"subjects[1].images", "subjects[2].images"}
    assert "a.gif" in by_code(report, "no-images")[0].message
    shutil.rmtree(tmp_path / "empty")
    report = check_dataset(load_project(preset).project, lint=False)
    assert [p.location for p in by_code(report, "folder-missing")] == ["subjects[2].images"]


def test_kohya_parent_folder(tmp_path: Path) -> None:
    image(tmp_path / "10_hxh man" / "a.png", seed=1)
    image(tmp_path / "10_hxh man" / "b.png", seed=2, caption=None)
    image(tmp_path / "raw" / "c.png", seed=3)
    image(tmp_path / "0_off" / "d.png", seed=4)
    (tmp_path / "__MACOSX").mkdir()
    report = check(tmp_path, epochs=2)
    assert flagged(report, "folder-ignored") == {"raw"}
    assert flagged(report, "repeats-zero") == {"0_off"}
    assert flagged(report, "junk") == {"__MACOSX"}
    (missing,) = by_code(report, "caption-missing")
    assert "'hxh man'" in missing.message  # the class tokens from the folder name
    assert report.buckets["num_train_images"] == 20 and report.buckets["total_steps"] == 40


def test_parent_without_repeat_folders_has_no_data(tmp_path: Path) -> None:
    image(tmp_path / "raw" / "a.png", seed=1)
    image(tmp_path / "more" / "b.png", seed=2)
    report = check(tmp_path)
    assert by_code(report, "no-data") and not report.ok


def test_no_upscale_image_below_one_bucket_step(tmp_path: Path) -> None:
    d = tmp_path / "img"
    image(d / "speck.png", seed=1, size=(40, 40))
    image(d / "fine.png", seed=2, size=(256, 256))
    report = check(d, buckets=BucketSettings((256, 256), True, 128, 512, 64, no_upscale=True))
    assert flagged(report, "image-too-small") == {"speck.png"}


def test_no_upscale_image_whose_side_rounds_to_zero_is_an_error_not_a_crash(tmp_path: Path) -> None:
    # shrunk to the 64×64 area, 512×768 becomes 52×78: its width rounds down to 0 at step 64
    # (sd-scripts' select_bucket divides by that 0); a square image fits the one 64×64 bucket
    d = tmp_path / "img"
    image(d / "portrait.png", seed=1, size=(512, 768))
    image(d / "square.png", seed=2, size=(512, 512))
    report = check(d, buckets=BucketSettings((64, 64), True, 64, 512, 64, no_upscale=True))
    assert flagged(report, "image-unbucketable") == {"portrait.png"} and not report.ok
    assert "divides by zero" in by_code(report, "image-unbucketable")[0].message
    assert report.buckets["num_train_images"] == 1  # only the square one is bucketed and counted


def test_aspect_fix_says_when_every_bucket_is_square(tmp_path: Path) -> None:
    d = tmp_path / "img"
    image(d / "wide.png", seed=1, size=(96, 64))
    tiny = check(d, buckets=BucketSettings((64, 64), True, 64, 128, 64))  # the demo's buckets: only 64×64
    (problem,) = by_code(tiny, "aspect-extreme")
    assert "every bucket is square" in problem.fix and "larger resolution" in problem.fix
    image(d / "wide.png", seed=1, size=(1536, 768))
    big = check(d, buckets=BucketSettings((512, 512), True, 256, 1024, 64))  # 2:1 picks 704×320, still cut
    assert all("square" not in p.fix for p in by_code(big, "aspect-extreme"))


# ------------------------------------------------------------------ the bundled dataset and the cache


def test_bundled_captain_dataset_is_clean() -> None:
    report = check_dataset(load_project(REPO / "presets" / "captain.toml").project)
    assert report.ok, [p.line() for p in report.errors]
    lint_codes = {"caption-too-long"}  # the trigger lint's own verdicts are tested in tests/text
    assert not [p.line() for p in report.problems if p.severity == "warning" and p.code not in lint_codes]
    assert report.images == 20 and report.buckets["total_steps"] == 1160


def test_second_check_reuses_the_cache_and_notices_changes(tmp_path: Path) -> None:
    d = tmp_path / "img"
    for i in range(30):  # enough to go through the worker pool
        image(d / f"{i:02d}.png", seed=200 + i)
    first = check(d)
    assert first.cached == 0 and first.ok
    second = check(d)
    assert second.cached == 30
    assert [p.to_json() for p in second.problems] == [p.to_json() for p in first.problems]
    data = (d / "05.png").read_bytes()
    (d / "05.png").write_bytes(data[: len(data) // 2])  # size changes: must be probed again
    third = check(d)
    assert third.cached == 29 and flagged(third, "image-corrupt") == {"05.png"}
    assert check(d, use_cache=False).cached == 0


def test_same_mtime_and_size_is_trusted_but_touch_reprobes(tmp_path: Path) -> None:
    d = tmp_path / "img"
    image(d / "a.png", seed=1)
    assert check(d).cached == 0
    st = (d / "a.png").stat()
    os.utime(d / "a.png", ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert check(d).cached == 0
