"""The bundled example dataset and the procedural drawing it comes from.

`datasets/captain/` is committed; these tests regenerate it and demand identical
files, so nobody can edit the pictures or captions by hand (or change the generator)
without the two drifting apart unnoticed.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import PIL
import pytest
from PIL import Image, ImageDraw

from orchestrator.dataset import synth
from orchestrator.dataset.scan import list_images

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "datasets" / "captain"
SCRIPT = REPO / "datasets" / "make_captain.py"


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_captain_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def make_captain() -> ModuleType:
    return _load_script()


@pytest.fixture(scope="module")
def regenerated(make_captain: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("captain")
    make_captain.build(out)  # about 1.5 s: the one slow step, shared by the module
    return out


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_regenerating_gives_the_committed_files(regenerated: Path) -> None:
    """Captions byte for byte, PNGs pixel for pixel; JPEGs within encoder noise, since
    another libjpeg build may encode the same drawing to slightly different bytes."""
    assert _files(regenerated) == _files(COMMITTED), "committed files differ from what the script writes"
    for rel in _files(COMMITTED):
        fresh, kept = regenerated / rel, COMMITTED / rel
        if rel.endswith(".txt"):
            assert fresh.read_bytes() == kept.read_bytes(), f"{rel}: caption differs; rerun datasets/make_captain.py"
            continue
        with Image.open(fresh) as a, Image.open(kept) as b:
            pa, pb = a.convert("RGB").tobytes(), b.convert("RGB").tobytes()
        if rel.lower().endswith(".png"):
            assert pa == pb, f"{rel}: pixels differ: the drawing changed; rerun datasets/make_captain.py and commit"
        else:
            mean_diff = sum(abs(x - y) for x, y in zip(pa, pb)) / len(pa)
            assert mean_diff <= 1.0, f"{rel}: mean pixel difference {mean_diff:.2f} (Pillow {PIL.__version__})"


@pytest.mark.parametrize("subject", ["hxh", "uscaption"])
def test_every_image_has_a_caption_starting_with_the_folders_trigger(subject: str) -> None:
    folder = COMMITTED / subject
    images = list_images(folder)
    assert len(images) == 10
    captions = sorted(folder.glob("*.txt"))
    assert [c.stem for c in captions] == sorted(p.stem for p in images), "every caption belongs to one image"
    for image in images:
        raw = image.with_suffix(".txt").read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf"), f"{image.name}: caption has a BOM"
        text = raw.decode("utf-8")
        assert text.endswith("\n") and text.count("\n") == 1, f"{image.name}: caption must be one line"
        tags = [t.strip() for t in text.split(",")]
        assert tags[0] == subject, f"{image.name}: caption must start with the trigger {subject!r}"
        assert len(tags) == len(set(tags)), f"{image.name}: repeated tag"
        assert all(tags), f"{image.name}: empty tag"


def test_captain_captions_carry_the_reference_tags() -> None:
    for caption in (COMMITTED / "uscaption").glob("*.txt"):
        tags = caption.read_text(encoding="utf-8").strip().split(", ")
        for tag in ("1boy", "male_focus", "muscular build", "superhero outfit", "star emblem", "shield", "gloves"):
            assert tag in tags, f"{caption.name} lacks {tag!r}"
    for caption in (COMMITTED / "hxh").glob("*.txt"):
        assert "glasses" in caption.read_text(encoding="utf-8").split(", ")


@pytest.mark.parametrize("subject", ["hxh", "uscaption"])
def test_images_are_plain_rgb_in_varied_sizes(subject: str) -> None:
    ratios = set()
    for path in list_images(COMMITTED / subject):
        with Image.open(path) as img:
            assert img.mode == "RGB", path.name
            assert img.format == ("PNG" if path.suffix == ".png" else "JPEG"), path.name
            assert len(img.getexif()) == 0, f"{path.name}: no EXIF (no rotation surprises)"
            width, height = img.size
        assert 320 <= min(width, height) and max(width, height) <= 1024, path.name
        ratios.add(round(width / height, 2))
    assert len(ratios) >= 4, f"only {len(ratios)} aspect ratios: {sorted(ratios)}"
    suffixes = {p.suffix for p in list_images(COMMITTED / subject)}
    assert ".png" in suffixes and (".jpg" in suffixes or ".jpeg" in suffixes)


def test_dataset_stays_small() -> None:
    total = sum(p.stat().st_size for p in COMMITTED.rglob("*") if p.is_file())
    assert total < 1_500_000, f"{total} bytes"


SCENES = [
    lambda seed: synth.hxh_portrait(160, 200, seed),
    lambda seed: synth.captain_figure(200, 160, seed),
    lambda seed: synth.shape_on_background(96, 96, seed),
]


@pytest.mark.parametrize("scene", SCENES, ids=["hxh_portrait", "captain_figure", "shape_on_background"])
def test_scenes_are_deterministic_for_a_seed_and_differ_between_seeds(scene) -> None:
    image_a, tags_a = scene(7)
    image_b, tags_b = scene(7)
    assert image_a.tobytes() == image_b.tobytes() and tags_a == tags_b
    assert image_a.mode == "RGB"
    others = [scene(seed) for seed in (8, 9, 10)]
    assert all(img.tobytes() != image_a.tobytes() for img, _ in others)


def test_a_shared_generator_gives_the_same_result_as_its_seed() -> None:
    import random

    assert synth.hxh_portrait(96, 128, random.Random(3))[0].tobytes() == synth.hxh_portrait(96, 128, 3)[0].tobytes()


def test_forced_choices_show_up_in_the_tags() -> None:
    _, tags = synth.captain_figure(200, 300, 1, framing="full body", stance="wide stance", background="ruins")
    assert {"full-body pose", "action stance", "ruins"} <= set(tags)
    _, tags = synth.hxh_portrait(200, 200, 1, framing="portrait", clothes="hoodie", expression="closed mouth")
    assert {"portrait", "hoodie", "closed mouth"} <= set(tags) and "smile" not in tags


def test_shape_scene_draws_what_its_tags_say() -> None:
    img, tags = synth.shape_on_background(128, 128, 5, shape="circle", colour="red", background="blue")
    assert tags == ["red circle", "blue background"]
    assert img.getpixel((0, 0)) == synth.COLOURS["blue"]
    assert synth.COLOURS["red"] in {colour for _, colour in img.getcolors(128 * 128)}


def test_shield_has_its_rings_and_star() -> None:
    img = Image.new("RGB", (200, 200), (0, 0, 0))
    synth.draw_shield(ImageDraw.Draw(img), (100, 100), 90)
    # straight down from the centre runs between two points of the star
    expected = {0: "white", 29: "blue", 44: "red", 62: "white", 80: "red"}
    for dy, colour in expected.items():
        assert img.getpixel((100, 100 + dy)) == synth.COLOURS[colour], (dy, colour)
    assert img.getpixel((100, 100 - 29)) == synth.COLOURS["white"], "the star points up"


def test_star_points_alternate_between_outer_and_inner_radius() -> None:
    points = synth.star_points((0, 0), 10)
    assert len(points) == 10
    radii = [round((x * x + y * y) ** 0.5, 6) for x, y in points]
    assert radii[::2] == [10.0] * 5 and radii[1::2] == [3.82] * 5
    assert points[0] == pytest.approx((0, -10))  # points straight up
