"""What tagging does to each caption file, and doing it.

Modes: `new` writes captions only for images without one (the default: hand edits are
never touched), `merge` keeps an existing caption's text and tag order and appends the
tags it lacks, `overwrite` replaces it. Planning is pure; `apply_changes` writes
atomically and copies every caption it replaces into a dated backup folder first.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

# One backup folder for every caption writer (`tag`, `captions`); sd-scripts does not look into sub-folders.
from orchestrator.dataset.listing import BACKUP_DIR
from orchestrator.fsutil import write_atomic
from orchestrator.problems import Problem
from orchestrator.tagger.captions import first_line, join_tags, merged_text, new_tags, split_tags, tag_key, with_trigger

Mode = Literal["new", "merge", "overwrite"]
Action = Literal["create", "merge", "overwrite", "unchanged"]
MODES: tuple[Mode, ...] = ("new", "merge", "overwrite")


@dataclass(frozen=True)
class CaptionChange:
    image: Path
    caption: Path
    action: Action
    old: str | None  # the file's text before, None when there was none
    new: str  # the file's text after
    added: tuple[str, ...]
    removed: tuple[str, ...]

    @property
    def writes(self) -> bool:
        return self.action != "unchanged"

    def to_json(self) -> dict:
        return {"image": str(self.image), "caption": str(self.caption), "action": self.action, "old": self.old,
                "new": self.new, "added": list(self.added), "removed": list(self.removed)}


def plan_change(image: Path, caption: Path, existing: str | None, predicted: list[str], mode: Mode, trigger: str | None) -> CaptionChange:
    """The change one image's tags make to its caption file under `mode`."""
    if existing is None:
        tags = with_trigger(predicted, trigger)
        return CaptionChange(image, caption, "create", None, join_tags(tags) + "\n", tuple(tags), ())
    old_tags = split_tags(first_line(existing)[0])
    if mode == "new":
        return CaptionChange(image, caption, "unchanged", existing, existing, (), ())
    if mode == "merge":
        added = new_tags(old_tags, predicted)
        action: Action = "merge" if added else "unchanged"
        return CaptionChange(image, caption, action, existing, merged_text(existing, added), tuple(added), ())
    tags = with_trigger(predicted, trigger)
    text = join_tags(tags) + "\n"
    if text.strip() == first_line(existing)[0].strip() and not first_line(existing)[1].strip():
        return CaptionChange(image, caption, "unchanged", existing, existing, (), ())
    kept = {tag_key(t) for t in tags}
    return CaptionChange(image, caption, "overwrite", existing, text, tuple(new_tags(old_tags, tags)),
                         tuple(t for t in old_tags if tag_key(t) not in kept))


def backup_folder(image_folder: Path, stamp: str) -> Path:
    return image_folder / BACKUP_DIR / stamp


@dataclass
class Applied:
    backups: list[Path] = field(default_factory=list)  # copies of the captions that were replaced
    problems: list[Problem] = field(default_factory=list)  # files that could not be written


def apply_changes(changes: list[CaptionChange], stamp: str | None = None) -> Applied:
    """Write every change, backing up each caption it replaces; a failing file does not stop the rest."""
    stamp = stamp or time.strftime("%Y%m%d-%H%M%S")
    applied = Applied()
    for change in changes:
        if not change.writes:
            continue
        try:
            if change.old is not None and change.caption.exists():
                backup = backup_folder(change.caption.parent, stamp) / change.caption.name
                backup.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(change.caption, backup)
                applied.backups.append(backup)
            write_atomic(change.caption, change.new)
        except OSError as exc:
            applied.problems.append(Problem(str(change.caption), f"cannot be written ({exc.strerror or exc})",
                                            "Check the folder's permissions and free space", code="caption-write"))
    return applied
