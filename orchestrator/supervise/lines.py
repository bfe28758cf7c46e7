"""Cut a stream into segments at `\\n` and `\\r`, the way a terminal would see them.

tqdm redraws its bar with `\\r` and never ends the line on a pipe until it closes;
a segment is the text between two terminators. A trailing `\\r` is held back so a
`\\r\\n` split across two reads still counts as one line end.
"""

from __future__ import annotations

import re

_TERMINATORS = re.compile(r"\r\n|\n|\r")


class LineSplitter:
    def __init__(self) -> None:
        self._tail = ""

    def feed(self, text: str) -> list[tuple[str, str]]:
        """(segment, terminator) pairs for every complete segment; the rest waits."""
        text = self._tail + text
        if text.endswith("\r"):
            text, held = text[:-1], "\r"
        else:
            held = ""
        out = []
        start = 0
        for match in _TERMINATORS.finditer(text):
            out.append((text[start : match.start()], match.group()))
            start = match.end()
        self._tail = text[start:] + held
        return out

    def flush(self) -> list[tuple[str, str]]:
        tail, self._tail = self._tail, ""
        if tail.endswith("\r"):
            return [(tail[:-1], "\r")]
        return [(tail, "")] if tail else []
