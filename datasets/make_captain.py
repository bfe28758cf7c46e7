"""Write the bundled example dataset for the reference case (`hxh` + `uscaption`).

    python datasets/make_captain.py [--out DIR]     # default: datasets/captain

Twenty procedurally drawn pictures with captions, so the tool can be tried end to end
without anyone's photos. The output is byte-identical on every run (fixed seeds, fixed
encoder settings, no metadata); `tests/dataset/test_synth.py` checks the committed copy
against a fresh run. A real user replaces these folders with their own images.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import NamedTuple

from orchestrator.dataset.synth import captain_figure, hxh_portrait, save_deterministic

DEFAULT_OUT = Path(__file__).resolve().parent / "captain"


class Shot(NamedTuple):
    """One picture: file name (its extension picks PNG or JPEG), size, seed, forced choices."""

    name: str
    width: int
    height: int
    seed: int
    options: dict[str, str]


# Sizes mix square, portrait and landscape so the trainer's aspect buckets differ.
# Framing, background and (for the captain) pose are forced per shot so that each set
# covers all of them; clothes, expression, head turn and light come from the seed.
HXH_SHOTS = [
    Shot("hxh_01.png", 512, 512, 101, {"framing": "portrait", "background": "studio"}),
    Shot("hxh_02.jpg", 512, 768, 102, {"framing": "upper body", "background": "park"}),
    Shot("hxh_03.png", 768, 512, 103, {"framing": "portrait", "background": "room"}),
    Shot("hxh_04.jpg", 640, 448, 104, {"framing": "upper body", "background": "city"}),
    Shot("hxh_05.png", 448, 640, 105, {"framing": "portrait", "background": "sunset"}),
    Shot("hxh_06.jpg", 576, 832, 106, {"framing": "upper body", "background": "room"}),
    Shot("hxh_07.jpeg", 896, 512, 107, {"framing": "upper body", "background": "park"}),
    Shot("hxh_08.png", 512, 640, 108, {"framing": "portrait", "background": "city"}),
    Shot("hxh_09.jpg", 704, 512, 109, {"framing": "portrait", "background": "park"}),
    Shot("hxh_10.png", 384, 576, 110, {"framing": "upper body", "background": "studio"}),
]


def _captain(framing: str, background: str, stance: str, shield_arm: str, free_arm: str) -> dict[str, str]:
    return {"framing": framing, "background": background, "stance": stance,
            "shield_arm": shield_arm, "free_arm": free_arm}


CAPTAIN_SHOTS = [
    Shot("uscaption_01.png", 512, 768, 201, _captain("full body", "city", "standing", "shield front", "hand on hip")),
    Shot("uscaption_02.jpg", 768, 512, 202, _captain("upper body", "ruins", "wide stance", "shield raised", "guard")),
    Shot("uscaption_03.png", 576, 832, 203, _captain("full body", "sunset", "wide stance", "shield front", "fist up")),
    Shot("uscaption_04.jpg", 512, 512, 204, _captain("upper body", "studio", "standing", "shield front", "arm down")),
    Shot("uscaption_05.png", 448, 640, 205, _captain("full body", "ruins", "lunge", "shield front", "guard")),
    Shot("uscaption_06.jpg", 896, 512, 206, _captain("full body", "park", "standing", "shield down", "fist up")),
    Shot("uscaption_07.png", 640, 960, 207, _captain("full body", "studio", "wide stance", "shield raised", "guard")),
    Shot("uscaption_08.jpg", 832, 576, 208, _captain("upper body", "city", "standing", "shield front", "fist up")),
    Shot("uscaption_09.jpeg", 384, 640, 209, _captain("full body", "park", "lunge", "shield raised", "arm down")),
    Shot("uscaption_10.png", 512, 704, 210, _captain("full body", "ruins", "standing", "shield down", "hand on hip")),
]

# folder (= trigger word) → (scene function, shots)
SUBJECTS = {
    "hxh": (hxh_portrait, HXH_SHOTS),
    "uscaption": (captain_figure, CAPTAIN_SHOTS),
}


CHUNK = 75  # CLIP's tokens per chunk: sd-scripts truncates anything past it (max_token_length 75)


def caption(trigger: str, tags: list[str]) -> str:
    """The seed's caption style: trigger first, then comma-separated tags, one line.

    Tags are ordered most essential first, so the last ones (scene, lighting) are dropped
    until the caption fits one CLIP chunk: the trainer would silently cut them anyway.
    """
    from orchestrator.text.clip_tokenizer import load_clip_tokenizer

    tokenizer = load_clip_tokenizer()
    tags = list(tags)
    while tags and len(tokenizer.encode(", ".join([trigger, *tags]))) > CHUNK:
        tags.pop()
    return ", ".join([trigger, *tags]) + "\n"


def build(out: Path) -> list[Path]:
    """Write every image and its `.txt` caption under `out/<trigger>/`; return the paths."""
    written: list[Path] = []
    for trigger, (scene, shots) in SUBJECTS.items():
        folder = out / trigger
        folder.mkdir(parents=True, exist_ok=True)
        for shot in shots:
            image, tags = scene(shot.width, shot.height, shot.seed, **shot.options)
            image_path = folder / shot.name
            save_deterministic(image, image_path)
            caption_path = image_path.with_suffix(".txt")
            caption_path.write_bytes(caption(trigger, tags).encode("utf-8"))
            written += [image_path, caption_path]
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default: {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    written = build(args.out)
    print(f"wrote {len(written)} files under {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
