"""`orchestrator dataset check` options: checked like a preset's own settings, refused beside a preset."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from testpaths import REPO

from orchestrator.cli import main


@pytest.mark.parametrize(("args", "flag", "message"), [
    (["--bucket-step", "0"], "--bucket-step", "must be at least 8"),
    (["--min-bucket", "32"], "--min-bucket", "below --bucket-step (64)"),
    (["--batch-size", "0"], "--batch-size", "must be at least 1"),
    (["--min-bucket", "1024"], "--min-bucket", "above the resolution's short side (512)"),
    (["--max-bucket", "256"], "--max-bucket", "below the resolution's long side (512)"),
    (["--resolution", "32"], "--resolution", "at least 64 px"),
    (["--set", "training.epochs=3"], "--set", "applies to a preset"),
])  # fmt: skip
def test_dataset_check_folder_options_are_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str], args, flag, message) -> None:
    d = tmp_path / "img"
    d.mkdir()
    Image.new("RGB", (512, 512), (200, 40, 40)).save(d / "a.png")
    assert main(["dataset", "check", str(d), *args]) == 2
    err = capsys.readouterr().err
    assert f"{flag}: " in err and message in err and "Traceback" not in err


def test_dataset_check_preset_refuses_folder_options(capsys: pytest.CaptureFixture[str]) -> None:
    preset = str(REPO / "presets" / "captain.toml")
    assert main(["dataset", "check", preset, "--resolution", "768", "--no-upscale"]) == 2
    err = capsys.readouterr().err
    assert "--resolution: applies to a folder" in err and "--set training.resolution" in err
    assert "--no-upscale: applies to a folder" in err
