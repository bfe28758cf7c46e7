"""Just enough of a VT100 to replay what rich Live writes and read the final screen."""

from __future__ import annotations

import re

_CSI = re.compile(r"\x1b\[([?0-9;]*)([A-Za-z])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][A-Z0-9]|\x1b[=>78]")


class Screen:
    def __init__(self, width: int = 100):
        self.width = width
        self.lines: list[list[str]] = [[]]
        self.row = 0
        self.col = 0

    def _put(self, ch: str) -> None:
        line = self.lines[self.row]
        if self.col >= self.width:
            self._newline()
            line = self.lines[self.row]
        while len(line) < self.col:
            line.append(" ")
        if self.col < len(line):
            line[self.col] = ch
        else:
            line.append(ch)
        self.col += 1

    def _newline(self) -> None:
        self.row += 1
        self.col = 0
        while len(self.lines) <= self.row:
            self.lines.append([])

    def feed(self, text: str) -> None:
        pos = 0
        for match in _CSI.finditer(text):
            self._text(text[pos : match.start()])
            if match.group(2):
                self._csi(match.group(1), match.group(2))
            pos = match.end()
        self._text(text[pos:])

    def _text(self, text: str) -> None:
        for ch in text:
            if ch == "\n":
                self._newline()
            elif ch == "\r":
                self.col = 0
            elif ch == "\b":
                self.col = max(0, self.col - 1)
            elif ch >= " ":
                self._put(ch)

    def _csi(self, params: str, command: str) -> None:
        if params.startswith("?"):
            return  # cursor visibility and modes
        n = int(params.split(";")[0]) if params and params.split(";")[0].isdigit() else None
        if command == "A":
            self.row = max(0, self.row - (n or 1))
        elif command == "B":
            self.row += n or 1
            while len(self.lines) <= self.row:
                self.lines.append([])
        elif command == "C":
            self.col += n or 1
        elif command == "D":
            self.col = max(0, self.col - (n or 1))
        elif command == "G":
            self.col = (n or 1) - 1
        elif command == "K":
            line = self.lines[self.row]
            if (n or 0) == 2:
                line.clear()
            elif (n or 0) == 0:
                del line[self.col :]
        elif command == "J" and (n or 0) in (0, 2):
            del self.lines[self.row + 1 :]
            del self.lines[self.row][self.col :]

    def text(self) -> str:
        return "\n".join("".join(line).rstrip() for line in self.lines).rstrip()
