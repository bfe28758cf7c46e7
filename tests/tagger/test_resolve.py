"""--model: local folders and files, the Hugging Face cache, and the offline message."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tagger_models import save_image

from orchestrator.problems import ProjectInvalid
from orchestrator.tagger.resolve import resolve_model

REPO_ID = "SmilingWolf/wd-vit-tagger-v3"


def test_local_folder_and_profile_detection(wd14_dir: Path, dd_dir: Path) -> None:
    assert resolve_model(str(wd14_dir)).profile.name == "wd14"
    assert resolve_model(str(dd_dir)).profile.name == "deepdanbooru"
    assert resolve_model(str(dd_dir / "model.onnx")).tags == dd_dir / "tags.txt"


def test_local_problems(tmp_path: Path, wd14_dir: Path) -> None:
    with pytest.raises(ProjectInvalid, match="no such file or folder"):
        resolve_model(str(tmp_path / "nowhere"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ProjectInvalid, match="no .onnx file"):
        resolve_model(str(tmp_path / "empty"))
    shutil.copy(wd14_dir / "model.onnx", tmp_path / "empty" / "tagger.onnx")
    with pytest.raises(ProjectInvalid, match="no tag list"):
        resolve_model(str(tmp_path / "empty"))
    with pytest.raises(ProjectInvalid, match=r"no tag list \(tags.txt\)"):
        resolve_model(str(wd14_dir), profile="deepdanbooru")


def _fake_hub_cache(cache: Path, repo: str, files: dict[str, Path]) -> None:
    """The layout huggingface_hub writes: refs/main → snapshots/<commit>/<file>."""
    commit = "0123456789abcdef0123456789abcdef01234567"
    root = cache / f"models--{repo.replace('/', '--')}"
    (root / "refs").mkdir(parents=True)
    (root / "refs" / "main").write_text(commit)
    for name, source in files.items():
        target = root / "snapshots" / commit / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)


def test_cached_hub_repo_resolves_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, wd14_dir: Path, dd_dir: Path) -> None:
    from huggingface_hub import constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    _fake_hub_cache(tmp_path / "hub", REPO_ID, {"model.onnx": wd14_dir / "model.onnx", "selected_tags.csv": wd14_dir / "selected_tags.csv"})
    files = resolve_model(REPO_ID)
    assert files.profile.name == "wd14" and files.onnx.name == "model.onnx" and files.source == REPO_ID
    _fake_hub_cache(tmp_path / "hub", "someone/deepdanbooru-onnx", {"model.onnx": dd_dir / "model.onnx", "tags.txt": dd_dir / "tags.txt"})
    assert resolve_model("someone/deepdanbooru-onnx").profile.name == "deepdanbooru"


def test_offline_without_cache_says_what_to_download(tmp_path: Path) -> None:
    """The real command, in a fresh process with HF_HUB_OFFLINE=1 and an empty cache."""
    images = tmp_path / "images"
    save_image(images / "a.png", (255, 0, 0))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf-home")}
    env.pop("HF_HUB_CACHE", None)
    done = subprocess.run([sys.executable, "-m", "orchestrator", "tag", str(images), "--model", REPO_ID],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 2, done.stderr
    message = " ".join(done.stderr.split())  # rich wraps long lines
    assert "model.onnx is not in the Hugging Face cache and HF_HUB_OFFLINE is set" in message
    assert f"hf download {REPO_ID} model.onnx selected_tags.csv" in message
    assert str(tmp_path / "hf-home" / "hub") in message
    assert "--model FOLDER" in message and "Traceback" not in done.stderr
    assert not (images / "a.txt").exists()
