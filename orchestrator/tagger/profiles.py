"""Preprocessing profiles: what each tagger family was trained to see.

The input size is read from the ONNX graph when it is fixed there; `size` is only the
fallback for graphs that leave it symbolic. Facts from sd-scripts'
finetune/tag_images_by_wd14_tagger.py (WD14) and DeepDanbooru's evaluation code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Padding = Literal["white", "edge"]


@dataclass(frozen=True)
class Profile:
    name: str
    tag_file: str  # the tag list beside the model, one entry per output
    size: int  # square input side when the graph does not fix it
    bgr: bool  # WD14 models were trained on OpenCV-decoded (BGR) pixels
    scale: float  # 0–255 pixels are multiplied by this (1.0 keeps 0–255)
    padding: Padding  # "white": pad to square, then resize; "edge": fit, then repeat the border
    general_threshold: float
    character_threshold: float


# SmilingWolf's reference tagger uses 0.35 for general and 0.85 for character tags (sd-scripts
# uses --thresh 0.35 for both, which lets through many wrong character names).
WD14 = Profile("wd14", "selected_tags.csv", 448, True, 1.0, "white", 0.35, 0.85)
# DeepDanbooru: RGB in 0–1, resized to fit with AREA, padded by repeating edge pixels; its own
# default score threshold is 0.5.
DEEPDANBOORU = Profile("deepdanbooru", "tags.txt", 512, False, 1 / 255, "edge", 0.5, 0.5)

PROFILES: dict[str, Profile] = {p.name: p for p in (WD14, DEEPDANBOORU)}


def profile_for_tag_file(name: str) -> Profile | None:
    """The profile whose tag list has this file name (`selected_tags.csv` → WD14)."""
    return next((p for p in PROFILES.values() if p.tag_file == name), None)
