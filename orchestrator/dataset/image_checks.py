"""Findings about one image: can the trainer read it, and does it train as the user expects.

sd-scripts opens every image with Pillow and converts it to RGB (library/train_util.py
`load_image`): no EXIF rotation is applied, alpha is dropped, CMYK is converted without a
colour profile and 16-bit grey is clipped. Each image is then resized to cover its bucket
and centre-cropped (`trim_and_resize_if_required`), so bucket choice decides how much it
is enlarged or cut.
"""

from __future__ import annotations

import os
from pathlib import Path

from orchestrator.compile.buckets import BucketSelector, BucketSettings
from orchestrator.dataset.probe import HIGH_BIT_MODES, ImageFacts
from orchestrator.problems import Problem

UPSCALE_WARN = 1.5  # enlarged more than this to fill its bucket: visibly soft
CROP_WARN = 0.25  # more than this share of the picture cut away to fit the bucket
FORMAT_SUFFIXES = {"PNG": ".png", "JPEG": ".jpg", "MPO": ".jpg", "WEBP": ".webp", "BMP": ".bmp", "GIF": ".gif", "TIFF": ".tif"}
_SUFFIX_FORMATS = {".png": {"PNG"}, ".jpg": {"JPEG", "MPO"}, ".jpeg": {"JPEG", "MPO"}, ".webp": {"WEBP"}, ".bmp": {"BMP"}}
_ROTATIONS = {
    2: "mirrored", 3: "rotated 180°", 4: "flipped upside down", 5: "mirrored and rotated 90°",
    6: "rotated 90° clockwise", 7: "mirrored and rotated 90° counter-clockwise", 8: "rotated 90° counter-clockwise",
}  # fmt: skip


def below_one_step(width: int, height: int, settings: BucketSettings) -> bool:
    """With no_upscale a side under one bucket step rounds down to 0: the trainer divides by it and crashes."""
    return settings.enabled and settings.no_upscale and min(width, height) < settings.step


def unbucketable(width: int, height: int, selector: BucketSelector) -> bool:
    """The trainer cannot bucket it: a side under one step, or (no_upscale) shrunk to the training
    area until a side rounds down to 0. Either way it divides by zero."""
    return below_one_step(width, height, selector.settings) or 0 in selector.select(width, height)[0]


def bucket_fit(facts: ImageFacts, selector: BucketSelector) -> tuple[tuple[int, int], float, float]:
    """(bucket, enlargement factor, share cropped away) as the trainer resizes this image."""
    if below_one_step(facts.width, facts.height, selector.settings):
        return (0, 0), 0.0, 1.0
    (bw, bh), _ = selector.select(facts.width, facts.height)
    if bw <= 0 or bh <= 0:
        return (bw, bh), 0.0, 1.0
    scale = max(bw / facts.width, bh / facts.height)
    rw, rh = int(facts.width * scale + 0.5), int(facts.height * scale + 0.5)
    return (bw, bh), scale, max(0.0, 1 - (bw * bh) / (rw * rh))


def _format_problems(path: Path, f: ImageFacts) -> list[Problem]:
    suffix = os.path.splitext(path.name)[1].lower()
    expected = _SUFFIX_FORMATS.get(suffix)
    if expected is None or f.format in expected or not f.format:
        return []
    right = FORMAT_SUFFIXES.get(f.format, f".{f.format.lower()}")
    return [Problem(
        str(path), f"is a {f.format} file named {suffix}",
        f"Rename it to {path.stem}{right} (its caption keeps working: captions pair by name without extension)",
        "warning", "format-mismatch",
    )]  # fmt: skip


def _mode_problems(path: Path, f: ImageFacts) -> list[Problem]:
    where, found = str(path), []
    if f.orientation in _ROTATIONS:
        found.append(Problem(
            where, f"EXIF says the picture is {_ROTATIONS[f.orientation]} (orientation {f.orientation}), "
            "but sd-scripts ignores EXIF: it trains on the pixels as stored, sideways or mirrored",
            "Save it upright with the rotation applied (e.g. PIL.ImageOps.exif_transpose, or 'rotate and save' in an editor)",
            "warning", "exif-rotation",
        ))  # fmt: skip
    if f.alpha_used:
        found.append(Problem(
            where, f"has transparent pixels ({f.mode}); sd-scripts drops the alpha channel, so transparent "
            "areas train as whatever colour is stored behind them (often black)",
            "Flatten it onto the background you want and save it without transparency",
            "warning", "alpha",
        ))  # fmt: skip
    if f.mode == "CMYK":
        found.append(Problem(
            where, "is CMYK; sd-scripts converts it to RGB without the colour profile, so colours shift",
            "Convert it to sRGB in an image editor and save it again", "warning", "mode-cmyk",
        ))  # fmt: skip
    if f.mode in HIGH_BIT_MODES:
        found.append(Problem(
            where, f"is a {16 if '16' in f.mode else 32}-bit greyscale image (mode {f.mode}); converting it to "
            "8-bit RGB clips it, so it trains almost white",
            "Convert it to 8-bit before training", "warning", "mode-16bit",
        ))  # fmt: skip
    elif f.bit_depth == 16:
        found.append(Problem(
            where, "has 16 bits per channel; it is reduced to 8 bits when loaded", "", "info", "mode-16bit",
        ))  # fmt: skip
    if f.mode in ("P", "PA"):
        found.append(Problem(
            where, "is a palette image (at most 256 colours); it trains as RGB, with the palette's banding",
            "Fine for flat art; for photos use the full-colour original", "info", "mode-palette",
        ))  # fmt: skip
    if f.frames > 1:
        found.append(Problem(
            where, f"is animated ({f.frames} frames); sd-scripts trains on the first frame only",
            "Export the frame you want as a still image", "warning", "animated",
        ))  # fmt: skip
    return found


def _size_problems(path: Path, f: ImageFacts, settings: BucketSettings, selector: BucketSelector) -> list[Problem]:
    (bw, bh), scale, crop = bucket_fit(f, selector)
    where, size = str(path), f"{f.width}×{f.height}"
    if (bw <= 0 or bh <= 0) and below_one_step(f.width, f.height, settings):
        return [Problem(
            where, f"is {size}, smaller than one bucket step ({settings.step} px) with buckets.no_upscale: "
            "sd-scripts cannot give it a bucket",
            f"Use a larger image (at least {settings.step} px a side) or remove it", "error", "image-too-small",
        )]  # fmt: skip
    if bw <= 0 or bh <= 0:
        w, h = settings.resolution
        return [Problem(
            where, f"is {size}: with buckets.no_upscale it is shrunk to the {w}×{h} training area, where its short "
            f"side rounds down to 0 at buckets.step {settings.step}; sd-scripts divides by zero while bucketing",
            "Train at a larger resolution, turn buckets.no_upscale off, or crop it closer to square",
            "error", "image-unbucketable",
        )]  # fmt: skip
    found = []
    if scale > UPSCALE_WARN:
        found.append(Problem(
            where, f"is {size}; sd-scripts enlarges it ×{scale:.1f} to fill its {bw}×{bh} bucket, so it trains blurry",
            f"Use a larger original (at least {bw}×{bh}) or remove it", "warning", "image-small",
        ))  # fmt: skip
    elif settings.no_upscale and min(bw, bh) < settings.min_reso:
        found.append(Problem(
            where, f"is {size}; with buckets.no_upscale it trains at {bw}×{bh}, below buckets.min_resolution "
            f"({settings.min_reso})",
            "Use a larger original or remove it", "warning", "image-small",
        ))  # fmt: skip
    if crop > CROP_WARN:
        ratio = max(f.width, f.height) / min(f.width, f.height)
        if not settings.enabled:
            fix = "Enable buckets (buckets.enabled = true) or crop it to the training shape"
        elif selector.only_square:
            w, h = settings.resolution
            fix = (f"At {w}×{h} with buckets.step = {settings.step} every bucket is square: crop it to a square, "
                   "or train at a larger resolution")  # fmt: skip
        else:
            fix = "Crop it closer to the subject, or widen the bucket range (buckets.min_resolution / max_resolution)"
        found.append(Problem(
            where, f"has an extreme aspect ratio ({ratio:.1f}:1); {crop:.0%} of it is cut away to fit the "
            f"{bw}×{bh} bucket", fix, "warning", "aspect-extreme",
        ))  # fmt: skip
    return found


def image_problems(path: Path, facts: ImageFacts, settings: BucketSettings, selector: BucketSelector) -> list[Problem]:
    if facts.error:
        return [Problem(
            str(path), f"cannot be decoded ({facts.error}): sd-scripts crashes when it loads it",
            "Re-export it from the original, or delete it", "error", "image-corrupt",
        )]  # fmt: skip
    if facts.width <= 0 or facts.height <= 0:
        return [Problem(str(path), "has no readable size", "Re-export it or delete it", "error", "image-corrupt")]
    return _format_problems(path, facts) + _mode_problems(path, facts) + _size_problems(path, facts, settings, selector)
