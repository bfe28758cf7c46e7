"""Builders for small, deliberately broken datasets: images, captions and a preset around them."""

from __future__ import annotations

import random
import textwrap
from pathlib import Path

from PIL import Image


def pattern(size: tuple[int, int], seed: int, mode: str = "RGB") -> Image.Image:
    """A distinct picture per seed: a random 8×8 grid of colours, enlarged (perceptual hashes ~32 bits apart)."""
    rng = random.Random(seed)
    grid = Image.new("RGB", (8, 8))
    grid.putdata([tuple(rng.randrange(256) for _ in range(3)) for _ in range(64)])
    img = grid.resize(size, Image.Resampling.BILINEAR)
    return img if mode == "RGB" else img.convert(mode)


def save(path: Path, img: Image.Image, fmt: str | None = None, **options) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, fmt, **options)
    return path


def image(path: Path, seed: int, size: tuple[int, int] = (256, 256), caption: str | None = "hxh, 1boy, smile",
          mode: str = "RGB", fmt: str | None = None, ext: str = ".txt", **options) -> Path:  # fmt: skip
    """An image and (unless caption is None) its caption beside it."""
    save(path, pattern(size, seed, mode), fmt, **options)
    if caption is not None:
        path.with_suffix(ext).write_text(caption + "\n", encoding="utf-8")
    return path


PRESET = """\
name = "doctor-test"
[model]
base = "hf://stable-diffusion-v1-5/stable-diffusion-v1-5/v1-5-pruned-emaonly.safetensors"
family = "sd15"
[training]
resolution = 256
batch_size = 2
epochs = 3
[buckets]
min_resolution = 128
max_resolution = 512
step = 64
{extra}
"""


def write_preset(root: Path, subjects: list[dict], extra: str = "") -> Path:
    """A preset whose [[subjects]] are given as dicts (paths relative to root)."""
    lines = [PRESET.format(extra=textwrap.dedent(extra))]
    for s in subjects:
        lines.append("[[subjects]]")
        for k, v in s.items():
            lines.append(f"{k} = {v!r}".replace("'", '"') if isinstance(v, str) else f"{k} = {str(v).lower() if isinstance(v, bool) else v}")
    path = root / "preset.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
