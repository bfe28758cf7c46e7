"""One image file → one network input array, the way each tagger family was trained.

Runs in worker threads: Pillow releases the GIL while it decodes and resizes, so several
images are prepared at once while onnxruntime runs the previous batch. Shrinking uses
Pillow's BOX filter (an area average, like OpenCV's INTER_AREA that sd-scripts uses) and
enlarging uses LANCZOS, as sd-scripts' `resize_image` does. EXIF orientation is not
applied: the trainer does not apply it either, so the tags describe the pixels it learns.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from orchestrator.tagger.profiles import Profile
from orchestrator.tagger.session import InputSpec

WHITE = (255, 255, 255)


def load_rgb(path: Path) -> Image.Image:
    """Decoded RGB pixels; transparent areas become white (as the WD14 tooling does)."""
    with Image.open(path) as img:
        img.load()  # decode now: a truncated or corrupt file raises here, in the worker
        if img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info:
            rgba = img.convert("RGBA")
            background = Image.new("RGB", rgba.size, WHITE)
            background.paste(rgba, mask=rgba.getchannel("A"))
            return background
        return img.convert("RGB") if img.mode != "RGB" else img  # loaded: usable after the file closes


def _filter(source_side: int, target_side: int) -> Image.Resampling:
    return Image.Resampling.BOX if source_side >= target_side else Image.Resampling.LANCZOS


def square_white(img: Image.Image, size: int) -> np.ndarray:
    """WD14: pad to a centred square with white, then resize the square (uint8 HWC)."""
    width, height = img.size
    side = max(width, height)
    if width != height:
        canvas = Image.new("RGB", (side, side), WHITE)
        canvas.paste(img, ((side - width) // 2, (side - height) // 2))
        img = canvas
    if side != size:
        img = img.resize((size, size), _filter(side, size))
    return np.asarray(img)


def fit_edge(img: Image.Image, size: int) -> np.ndarray:
    """DeepDanbooru: resize to fit inside the square, then pad by repeating the edge pixels."""
    width, height = img.size
    scale = size / max(width, height)
    new = (max(1, min(size, round(width * scale))), max(1, min(size, round(height * scale))))
    if new != img.size:
        img = img.resize(new, _filter(max(width, height), size))
    pixels = np.asarray(img)
    pad_y, pad_x = size - new[1], size - new[0]
    if pad_x or pad_y:
        pixels = np.pad(pixels, ((pad_y // 2, pad_y - pad_y // 2), (pad_x // 2, pad_x - pad_x // 2), (0, 0)), mode="edge")
    return pixels


def to_input(pixels: np.ndarray, profile: Profile, spec: InputSpec) -> np.ndarray:
    """uint8 RGB HWC → the network's dtype, channel order, scale and layout (one image)."""
    if profile.bgr:
        pixels = pixels[:, :, ::-1]
    if spec.layout == "NCHW":
        pixels = pixels.transpose(2, 0, 1)
    array = np.ascontiguousarray(pixels, dtype=spec.dtype)
    if profile.scale != 1.0:
        array *= spec.dtype(profile.scale)
    return array


def prepare(path: Path, profile: Profile, spec: InputSpec) -> np.ndarray:
    img = load_rgb(path)
    pixels = square_white(img, spec.size) if profile.padding == "white" else fit_edge(img, spec.size)
    return to_input(pixels, profile, spec)
