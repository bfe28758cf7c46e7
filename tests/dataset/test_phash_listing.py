"""The near-duplicate rule as documented, sd-scripts' caption pairing, and probe facts round-tripping."""

from __future__ import annotations

import io
import random
from pathlib import Path

import numpy as np
import pytest
from doctor_fixtures import image, pattern
from PIL import Image, ImageEnhance

from orchestrator.dataset.listing import caption_candidates, list_folder
from orchestrator.dataset.phash import (
    COLOUR_TOLERANCE,
    NEAR_DUPLICATE_BITS,
    colour_distance,
    distance,
    _popcount64_swar,
    near_pairs,
    signatures,
)
from orchestrator.dataset.probe import ImageFacts, probe_image

REPO = Path(__file__).resolve().parents[2]


def near(a: Image.Image, b: Image.Image) -> bool:
    (ha, ca), (hb, cb) = signatures(a), signatures(b)
    return distance(ha, hb) <= NEAR_DUPLICATE_BITS and colour_distance(ca, cb) <= COLOUR_TOLERANCE


def _jpeg(img: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def test_edited_copies_are_near_duplicates_and_other_pictures_are_not() -> None:
    base = Image.open(REPO / "datasets" / "captain" / "hxh" / "hxh_01.png").convert("RGB")
    w, h = base.size
    for copy in (
        base.resize((w // 2, h // 2)),
        _jpeg(base, 60),
        ImageEnhance.Brightness(base).enhance(1.15),
        base.crop((int(w * 0.03), int(h * 0.03), int(w * 0.97), int(h * 0.97))),
    ):
        assert near(base, copy)
    others = [Image.open(p).convert("RGB") for p in sorted((REPO / "datasets" / "captain").rglob("*.png"))[1:6]]
    assert not any(near(base, other) for other in others)
    assert not near(base, base.transpose(Image.Transpose.FLIP_LEFT_RIGHT))


def test_same_grey_layout_in_other_colours_is_not_a_near_duplicate() -> None:
    grey = pattern((256, 256), 1, "L")
    red = Image.merge("RGB", (grey, Image.new("L", grey.size, 0), Image.new("L", grey.size, 0)))
    blue = Image.merge("RGB", (Image.new("L", grey.size, 0), Image.new("L", grey.size, 0), grey))
    assert distance(signatures(red)[0], signatures(blue)[0]) <= NEAR_DUPLICATE_BITS
    assert not near(red, blue)


def test_near_pairs_finds_every_close_pair() -> None:
    hashes = [("a", 0b0), ("b", 0b111), ("c", (1 << 64) - 1), ("d", 0b1)]
    assert near_pairs(hashes, 3) == [("a", "b", 3), ("a", "d", 1), ("b", "d", 2)]


def test_near_pairs_matches_a_plain_loop_across_blocks() -> None:
    # 600 hashes span three row blocks; clusters make close pairs, top-bit values test uint64
    rng = random.Random(7)
    centres = [rng.getrandbits(64) | (1 << 63) for _ in range(40)]
    hashes = [(f"k{i:03d}", rng.choice(centres) ^ (1 << rng.randrange(64)) ^ (1 << rng.randrange(64)))
              for i in range(600)]  # fmt: skip
    expected = [(a, b, (ha ^ hb).bit_count()) for i, (a, ha) in enumerate(hashes) for b, hb in hashes[i + 1 :]
                if (ha ^ hb).bit_count() <= 4]  # fmt: skip
    assert len(expected) > 1000
    assert near_pairs(hashes, 4) == expected
    assert near_pairs([], 4) == [] and near_pairs([("only", 5)], 4) == []


def test_popcount_fallback_for_old_numpy_counts_every_bit() -> None:
    rng = random.Random(3)
    values = [0, 1, (1 << 64) - 1, 1 << 63, *(rng.getrandbits(64) for _ in range(500))]
    counts = _popcount64_swar(np.array(values, dtype=np.uint64))
    assert [int(c) for c in counts] == [v.bit_count() for v in values]


def test_caption_pairing_follows_sd_scripts(tmp_path: Path) -> None:
    d = tmp_path / "10_hxh"
    image(d / "a_b_c_d_e.png", seed=1, caption=None)
    (d / "a.txt").write_text("hxh\n", encoding="utf-8")  # face-crop naming: a_b_c_d_e.png reads a.txt
    image(d / "z.png", seed=2)
    listing = list_folder(d, ".txt")
    assert listing.captions == {d / "a_b_c_d_e.png": d / "a.txt", d / "z.png": d / "z.txt"}
    assert not listing.orphan_captions
    assert caption_candidates("/x/p.png", ".caption") == ["/x/p.caption", "/x/p.caption"]


def test_probe_facts_round_trip_through_json(tmp_path: Path) -> None:
    path = image(tmp_path / "a.jpg", seed=3, quality=90)
    facts = probe_image(path)
    assert facts.format == "JPEG" and (facts.width, facts.height) == (256, 256)  # full size, not the draft's
    assert ImageFacts.from_json(facts.to_json()) == facts


def test_corrupt_exif_is_neither_a_finding_nor_noise(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    # an IFD that claims one entry and ends there: Pillow warns "Corrupt EXIF data" but decodes
    broken = b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff\x01\x12" + b"\x00" * 10
    Image.new("RGB", (300, 300), (9, 9, 9)).save(tmp_path / "odd exif.jpg", exif=broken)
    facts = probe_image(tmp_path / "odd exif.jpg")
    assert facts.readable and facts.orientation == 1
    assert capfd.readouterr().err == ""
