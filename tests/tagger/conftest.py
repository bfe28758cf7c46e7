"""Fixtures for the tagger tests: tiny models built once per session, image folders per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tagger_models import make_deepdanbooru, make_wd14, save_image

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def wd14_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_wd14(tmp_path_factory.mktemp("wd14"))


@pytest.fixture(scope="session")
def dd_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_deepdanbooru(tmp_path_factory.mktemp("deepdanbooru"))


@pytest.fixture
def colour_dir(tmp_path: Path) -> Path:
    """red.png, blue.jpg and green.webp without captions."""
    folder = tmp_path / "colours"
    save_image(folder / "red.png", (255, 0, 0))
    save_image(folder / "blue.jpg", (0, 0, 255))
    save_image(folder / "green.webp", (0, 255, 0), size=(30, 50))
    return folder


@pytest.fixture
def captain_copy(tmp_path: Path) -> Path:
    """The bundled captain dataset and preset copied, so tests never touch the real captions."""
    shutil.copytree(REPO / "datasets" / "captain", tmp_path / "datasets" / "captain")
    (tmp_path / "presets").mkdir()
    shutil.copy(REPO / "presets" / "captain.toml", tmp_path / "presets" / "captain.toml")
    return tmp_path
