"""Find a subset's images the way sd-scripts does and read their sizes from headers.

The trainer globs `*.png *.jpg *.jpeg *.webp *.bmp` and their upper-case forms
(not recursive, so `photo.Jpg` is never seen), de-duplicates and sorts the full
paths (library/train_util.py `glob_images`). Sizes come from the image header via
`imagesize`, with Pillow's lazy open as the fallback the trainer also uses: no
image is decoded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import imagesize

TRAINER_IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".bmp")
_GLOB_SUFFIXES = frozenset(TRAINER_IMAGE_EXTENSIONS + tuple(e.upper() for e in TRAINER_IMAGE_EXTENSIONS))


@dataclass(frozen=True)
class ImageEntry:
    path: Path
    width: int
    height: int

    @property
    def size(self) -> tuple[int, int]:
        return (self.width, self.height)


def trainer_sees(path: Path) -> bool:
    """True when sd-scripts' glob would pick this file up as an image (glob skips dotfiles)."""
    return path.suffix in _GLOB_SUFFIXES and not path.name.startswith(".") and not path.is_dir()


def list_images(directory: Path) -> list[Path]:
    """The image files the trainer trains on, in the trainer's order (sorted path strings)."""
    if not directory.is_dir():
        return []
    found = [p for p in directory.iterdir() if trainer_sees(p)]
    return sorted(found, key=str)


def image_size(path: Path) -> tuple[int, int]:
    """(width, height) from the header; (0, 0) when it cannot be read."""
    try:
        width, height = imagesize.get(str(path))
    except (OSError, ValueError):
        width, height = -1, -1
    if width > 0 and height > 0:
        return int(width), int(height)
    try:
        from PIL import Image

        with Image.open(path) as img:  # lazy: reads the header only
            return img.size
    except Exception:  # noqa: BLE001 - any unreadable file is reported as (0, 0)
        return (0, 0)


def scan_images(directory: Path) -> list[ImageEntry]:
    return [ImageEntry(p, *image_size(p)) for p in list_images(directory)]
