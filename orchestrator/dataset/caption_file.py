"""A caption file read exactly as sd-scripts reads it, and what can be wrong with it.

sd-scripts opens the file as UTF-8 text (not `utf-8-sig`) with universal newlines and trains
on the first line, stripped: a byte-order mark stays glued to the first tag, any byte that
is not UTF-8 anywhere in the file raises `UnicodeDecodeError` ("illegal char in file"), a
0-byte file fails the assertion "caption file is empty", and lines after the first are
silently ignored.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

BOM = "\ufeff"
# Encodings a non-UTF-8 caption usually turns out to be, tried in order for the fix message.
_GUESSES = (("utf-16", (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)), ("cp1252", ()), ("latin-1", ()))


@dataclass(frozen=True)
class CaptionFacts:
    path: Path
    size: int
    text: str | None  # the first line as sd-scripts trains on it; None when unreadable
    has_bom: bool = False
    decode_error: str = ""  # why UTF-8 decoding fails, with the byte offset
    likely_encoding: str = ""  # a guess for the fix message
    extra_lines: int = 0  # non-empty lines after the first: ignored by the trainer

    @property
    def is_zero_bytes(self) -> bool:
        return self.size == 0

    @property
    def is_blank(self) -> bool:
        return self.text is not None and not self.text.replace(BOM, "").strip()


def universal_lines(text: str) -> list[str]:
    """Lines as text-mode `readlines()` gives them: \\r\\n and \\r read as \\n."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text:
        return []
    lines = text.split("\n")
    return lines[:-1] if lines[-1] == "" else lines


def _guess(raw: bytes) -> str:
    for name, boms in _GUESSES:
        if boms and not raw.startswith(boms):
            continue
        try:
            raw.decode(name)
        except UnicodeDecodeError:
            continue
        return name
    return ""


def read_caption(path: Path) -> CaptionFacts:
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        reason = f"byte 0x{raw[exc.start]:02x} at offset {exc.start} is not UTF-8"
        return CaptionFacts(path, len(raw), None, decode_error=reason, likely_encoding=_guess(raw))
    lines = universal_lines(text)
    first = lines[0].strip() if lines else ""
    extra = sum(1 for line in lines[1:] if line.strip())
    return CaptionFacts(path, len(raw), first, has_bom=text.startswith(BOM), extra_lines=extra)
