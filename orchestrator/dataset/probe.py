"""Everything the doctor needs to know about one image file, read as cheaply as possible.

One pass over the bytes: the file is read in 1 MiB chunks into sha256 (streaming, so a huge
file never sits in memory twice) and the same bytes are handed to Pillow. Pillow identifies
the format from the content, not the name. JPEGs are decoded in draft mode (libjpeg scales
by 1/8 while decoding, several times faster, and still reads every byte, so truncation is
still caught); other formats have no reduced decode and are decoded once. The decode is what
catches truncated and corrupt files, and it feeds the perceptual hash.
"""

from __future__ import annotations

import hashlib
import io
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from orchestrator.dataset.phash import SAMPLE, signatures

CHUNK = 1 << 20
KEEP_IN_MEMORY = 64 << 20  # larger files are decoded from disk instead of from the read buffer
ALPHA_MODES = frozenset(("RGBA", "LA", "PA", "RGBa", "La"))
HIGH_BIT_MODES = frozenset(("I;16", "I;16B", "I;16L", "I;16N", "I", "F"))
ORIENTATION_TAG = 0x0112


@dataclass(frozen=True)
class ImageFacts:
    path: str
    bytes: int
    mtime_ns: int
    sha256: str
    format: str = ""  # Pillow's name for the content: PNG, JPEG, WEBP, BMP, GIF, MPO, ...
    mode: str = ""
    width: int = 0
    height: int = 0
    bit_depth: int = 8  # per channel, from the PNG header; 8 elsewhere
    orientation: int = 1  # EXIF orientation; 1 = upright
    has_alpha: bool = False
    alpha_used: bool = False  # some pixel is not fully opaque
    frames: int = 1
    phash: int | None = None
    colour: str = ""  # 4×4 RGB colour signature, hex
    error: str = ""  # why the file cannot be decoded; empty when it can

    @property
    def readable(self) -> bool:
        return not self.error and self.width > 0 and self.height > 0

    def to_json(self) -> dict:
        data = dict(self.__dict__)  # flat: no deep copy needed (asdict is slow per image)
        data["phash"] = None if self.phash is None else f"{self.phash:016x}"
        return data

    @classmethod
    def from_json(cls, data: dict) -> ImageFacts:
        data = dict(data)
        data["phash"] = None if data.get("phash") is None else int(data["phash"], 16)
        return cls(**data)


def _read(path: Path) -> tuple[str, bytes | None, int]:
    digest = hashlib.sha256()
    kept: list[bytes] | None = []
    total = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            total += len(chunk)
            if kept is not None:
                kept.append(chunk)
                if total > KEEP_IN_MEMORY:
                    kept = None
    return digest.hexdigest(), (b"".join(kept) if kept is not None else None), total


def _png_bit_depth(head: bytes) -> int:
    return head[24] if head[:8] == b"\x89PNG\r\n\x1a\n" and len(head) > 24 else 8


def _alpha_used(img: Image.Image) -> bool:
    if img.mode in ALPHA_MODES:
        return img.getchannel("A").getextrema()[0] < 255
    if "transparency" in img.info:  # palette, grey or RGB with a transparent colour
        return img.convert("RGBA").getchannel("A").getextrema()[0] < 255
    return False


def probe_image(path: Path | str) -> ImageFacts:
    path = Path(path)
    st = path.stat()
    sha, data, _ = _read(path)
    base = dict(path=str(path), bytes=st.st_size, mtime_ns=st.st_mtime_ns, sha256=sha)
    head = data[:32] if data is not None else path.open("rb").read(32)
    source = io.BytesIO(data) if data is not None else path
    info: dict = {}  # header facts, kept when the decode fails
    try:
        with warnings.catch_warnings():
            # Pillow's "Corrupt EXIF data" and similar warnings would interleave with the report;
            # what matters (a failed decode) is caught below and becomes a finding
            warnings.simplefilter("ignore")
            with Image.open(source) as img:
                info = dict(format=img.format or "", mode=img.mode, width=img.width, height=img.height)
                frames = getattr(img, "n_frames", 1)
                has_alpha = img.mode in ALPHA_MODES or "transparency" in img.info
                if img.format in ("JPEG", "MPO"):
                    img.draft("RGB", (SAMPLE * 2, SAMPLE * 2))  # scaled decode; size reported above is the full one
                img.load()
                orientation = int(img.getexif().get(ORIENTATION_TAG, 1) or 1)
                phash, colour = signatures(img)
                return ImageFacts(
                    **base, **info, bit_depth=_png_bit_depth(head), orientation=orientation, has_alpha=has_alpha,
                    alpha_used=has_alpha and _alpha_used(img), frames=frames, phash=phash, colour=colour.hex(),
                )  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - any failure to decode is a finding, not a crash
        return ImageFacts(**base, **info, error=_describe(exc))


def _describe(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, Image.UnidentifiedImageError):
        return "not an image Pillow can identify"
    return text.splitlines()[0][:200]


def probe_worker(path: str) -> dict:
    """Picklable entry point for worker processes: facts as JSON-ready data."""
    try:
        return probe_image(path).to_json()
    except OSError as exc:  # vanished or unreadable between listing and probing
        return ImageFacts(path, 0, 0, "", error=f"cannot read: {exc.strerror or exc}").to_json()


def cpu_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)
