"""Edit caption files safely: plan, show the diff, and only on request write with a backup.

Safety rules, so a hand-edited caption is never lost:
- only the first line (the one sd-scripts trains on) is rewritten; later lines, the line
  ending and a trailing newline are kept byte for byte;
- a file that is not UTF-8 is reported and left alone, never decoded lossily;
- before a file is replaced its current bytes are compared with the bytes the edit was
  planned from; if someone changed it in between, it is skipped and reported;
- every original is copied first to `<folder>/.orchestrator-backup/<time stamp>/`, a new
  folder per write that never overwrites an earlier backup; the new text is written
  atomically (temp file + rename).
"""

from __future__ import annotations

import difflib
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.dataset.caption_file import BOM
from orchestrator.dataset.listing import BACKUP_DIR
from orchestrator.dataset.tags import Spelling, join_tags, respell, split_caption
from orchestrator.fsutil import write_atomic
from orchestrator.problems import Problem

TagEdit = Callable[[list[str]], list[str]]


@dataclass(frozen=True)
class CaptionEdit:
    path: Path
    before: str  # whole file text ("" for a new file)
    after: str
    original: bytes | None  # bytes the edit was planned from; None = the file must not exist yet
    note: str = ""

    @property
    def created(self) -> bool:
        return self.original is None


@dataclass
class WriteResult:
    written: list[Path] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)
    backup_dirs: list[Path] = field(default_factory=list)


def _split_first_line(text: str) -> tuple[str, str]:
    """(first line without its ending, everything from the line ending on)."""
    for i, ch in enumerate(text):
        if ch in "\r\n":
            return text[:i], text[i:]
    return text, ""


def plan_edit(path: Path, edit: TagEdit, spelling: Spelling | None = None, create: bool = False) -> CaptionEdit | Problem | None:
    """The edit for one caption file, a Problem when it cannot be edited, None when nothing changes."""
    if not path.exists():
        if not create:
            return None
        tags = [respell(t, spelling) for t in edit([])]
        return CaptionEdit(path, "", join_tags(tags) + "\n", None, "new file") if tags else None
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return Problem(str(path), "is not UTF-8, so it was left alone", "Re-save it as UTF-8, then run the edit again",
                       "error", "caption-encoding")  # fmt: skip
    body, note = (text[1:], "byte-order mark removed") if text.startswith(BOM) else (text, "")
    first, rest = _split_first_line(body)
    old_tags = split_caption(first)
    tags = [respell(t, spelling) for t in edit(old_tags)]
    if tags == old_tags and not note:
        return None  # same tags: the file's own formatting is left alone
    after = join_tags(tags) + (rest if rest else "\n")
    return CaptionEdit(path, text, after, raw, note)


def plan_edits(paths: list[Path], edit: TagEdit, spelling: Spelling | None = None, create: bool = False) -> tuple[list[CaptionEdit], list[Problem]]:
    edits, problems = [], []
    for path in paths:
        result = plan_edit(path, edit, spelling, create)
        if isinstance(result, CaptionEdit):
            edits.append(result)
        elif isinstance(result, Problem):
            problems.append(result)
    return edits, problems


def diff(edit: CaptionEdit, label: str | None = None) -> str:
    name = label or str(edit.path)
    before = edit.before.replace(BOM, "<BOM>").splitlines(keepends=True)
    lines = difflib.unified_diff(before, edit.after.splitlines(keepends=True),
                                 fromfile="/dev/null" if edit.created else name, tofile=name, n=0)  # fmt: skip
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _backup_dir(folder: Path, stamp: str) -> Path:
    base = folder / BACKUP_DIR / stamp
    candidate, n = base, 1
    while candidate.exists():  # two writes in one second: never reuse a backup folder
        n += 1
        candidate = base.with_name(f"{stamp}-{n}")
    return candidate


def write_edits(edits: list[CaptionEdit], stamp: str | None = None) -> WriteResult:
    stamp = stamp or time.strftime("%Y%m%d-%H%M%S")
    result = WriteResult()
    backups: dict[Path, Path] = {}
    for e in edits:
        current = e.path.read_bytes() if e.path.exists() else None
        if current != e.original:
            result.skipped.append(Problem(str(e.path), "changed since the edit was planned; left as it is now",
                                          "Run the command again to edit the current text", "warning", "caption-changed"))  # fmt: skip
            continue
        if current is not None:
            folder = e.path.parent
            if folder not in backups:
                backups[folder] = _backup_dir(folder, stamp)
                backups[folder].mkdir(parents=True)
                result.backup_dirs.append(backups[folder])
            shutil.copy2(e.path, backups[folder] / e.path.name)
        write_atomic(e.path, e.after)
        result.written.append(e.path)
    return result
