"""Tag lists and preprocessing: each family's pixels as it was trained to see them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from orchestrator.problems import ProjectInvalid
from orchestrator.tagger.labels import load_labels
from orchestrator.tagger.preprocess import fit_edge, load_rgb, prepare, square_white
from orchestrator.tagger.profiles import DEEPDANBOORU, WD14
from orchestrator.tagger.session import InputSpec


def test_selected_tags_categories(wd14_dir: Path) -> None:
    labels = load_labels(wd14_dir / "selected_tags.csv")
    assert [label.category for label in labels[:4]] == ["rating"] * 4
    assert labels[4].name == "red_background" and labels[4].category == "general"
    assert {label.name for label in labels if label.category == "character"} == {"captain_america_(marvel)", "hxh_(person)"}


def test_tags_txt_ratings_and_characters(dd_dir: Path) -> None:
    labels = {label.name: label.category for label in load_labels(dd_dir / "tags.txt")}
    assert labels["rating:safe"] == "rating"
    assert labels["captain_america_(marvel)"] == "character"
    assert labels["smile"] == "general"


def test_bad_tag_lists_are_reported(tmp_path: Path) -> None:
    (tmp_path / "selected_tags.csv").write_text("id,label\n1,x\n", encoding="utf-8")
    (tmp_path / "tags.txt").write_text("\n\n", encoding="utf-8")
    for name in ("selected_tags.csv", "tags.txt", "missing.txt"):
        with pytest.raises(ProjectInvalid):
            load_labels(tmp_path / name)


def test_square_white_pads_centred_then_resizes() -> None:
    img = Image.new("RGB", (10, 40), (255, 0, 0))  # tall: white bars left and right
    pixels = square_white(img, 20)
    assert pixels.shape == (20, 20, 3)
    assert tuple(pixels[10, 0]) == (255, 255, 255) and tuple(pixels[10, 10]) == (255, 0, 0)
    assert tuple(pixels[0, 10]) == (255, 0, 0)  # no bars above or below


def test_fit_edge_repeats_the_border() -> None:
    img = Image.new("RGB", (10, 40), (255, 0, 0))
    pixels = fit_edge(img, 20)
    assert pixels.shape == (20, 20, 3)
    assert (pixels == (255, 0, 0)).all()  # edge padding: no white anywhere


def test_small_images_are_enlarged() -> None:
    assert square_white(Image.new("RGB", (5, 5), (9, 9, 9)), 32).shape == (32, 32, 3)
    assert fit_edge(Image.new("RGB", (5, 3), (9, 9, 9)), 32).shape == (32, 32, 3)


def test_transparency_becomes_white(tmp_path: Path) -> None:
    Image.new("RGBA", (8, 8), (0, 0, 0, 0)).save(tmp_path / "clear.png")
    assert load_rgb(tmp_path / "clear.png").getpixel((3, 3)) == (255, 255, 255)
    Image.new("LA", (8, 8), (0, 255)).save(tmp_path / "grey.png")
    assert load_rgb(tmp_path / "grey.png").getpixel((3, 3)) == (0, 0, 0)


def test_wd14_input_is_bgr_0_255_and_dd_is_rgb_0_1(tmp_path: Path) -> None:
    Image.new("RGB", (16, 16), (255, 128, 0)).save(tmp_path / "orange.png")
    wd = prepare(tmp_path / "orange.png", WD14, InputSpec("x", 8, "NHWC", None, np.float32))
    assert wd.shape == (8, 8, 3) and wd.dtype == np.float32
    assert wd[0, 0].tolist() == [0.0, 128.0, 255.0]
    dd = prepare(tmp_path / "orange.png", DEEPDANBOORU, InputSpec("x", 8, "NCHW", None, np.float16))
    assert dd.shape == (3, 8, 8) and dd.dtype == np.float16
    assert dd[:, 0, 0].tolist() == pytest.approx([1.0, 128 / 255, 0.0], abs=1e-3)


def test_corrupt_and_truncated_images_raise(tmp_path: Path) -> None:
    (tmp_path / "junk.png").write_bytes(b"not an image")
    Image.new("RGB", (64, 64), (1, 2, 3)).save(tmp_path / "full.jpg")
    (tmp_path / "cut.jpg").write_bytes((tmp_path / "full.jpg").read_bytes()[:200])
    for name in ("junk.png", "cut.jpg"):
        with pytest.raises(Exception):
            load_rgb(tmp_path / name)
