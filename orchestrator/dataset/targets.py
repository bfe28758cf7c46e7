"""What the doctor checks: the image folders of a preset, or of a directory given on the command line.

A preset names its folders and their settings. A directory is read the way sd-scripts reads
`--train_data_dir`: a parent of `N_name` subfolders (N = repeats, the rest = class tokens),
or, when it holds images itself, a single image folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from orchestrator.compile.buckets import BucketSettings

# sd-scripts (config_util `extract_dreambooth_params`) takes int() of the text before the first `_`.
_REPEATS_PREFIX = re.compile(r"^\s*([+-]?\d+)(?:_(.*))?$", re.DOTALL)


@dataclass(frozen=True)
class FolderTarget:
    """One image folder and the settings the trainer applies to it."""

    folder: Path
    location: str  # where the setting lives: `subjects[0].images`, or the folder for a DIR check
    subject: str  # subject name (or folder name for a DIR check)
    repeats: int
    caption_extension: str
    is_reg: bool = False
    subject_index: int | None = None  # position in [[subjects]]; None for a DIR check
    trigger: str | None = None
    class_word: str | None = None
    class_tokens: str | None = None  # what an image without a caption is trained on
    keep_tokens: int = 1
    shuffle_caption: bool = True


@dataclass(frozen=True)
class DatasetTargets:
    folders: tuple[FolderTarget, ...]
    buckets: BucketSettings
    batch_size: int
    max_token_length: int = 75
    root: Path | None = None  # the DIR given on the command line, if any
    ignored_dirs: tuple[Path, ...] = ()  # subfolders of a kohya parent the trainer skips


def parse_repeats_folder(name: str) -> tuple[int, str] | None:
    """(repeats, class tokens) of a kohya `N_name` folder, or None when the trainer would ignore it."""
    match = _REPEATS_PREFIX.match(name)
    if not match:
        return None
    return int(match.group(1)), match.group(2) or ""


def targets_from_project(project) -> DatasetTargets:  # noqa: ANN001 - schema.Project; lazy to keep imports light
    folders: list[FolderTarget] = []
    for i, s in enumerate(project.subjects):
        shuffle = project.training.shuffle_caption if s.shuffle_caption is None else s.shuffle_caption
        common = dict(
            subject=s.name, caption_extension=s.caption_extension, subject_index=i,
            trigger=s.trigger, class_word=s.class_word, class_tokens=s.class_tokens,
            keep_tokens=s.keep_tokens, shuffle_caption=bool(shuffle),
        )  # fmt: skip
        folders.append(FolderTarget(Path(s.images), f"subjects[{i}].images", repeats=s.repeats, **common))
        if s.reg_images is not None:
            folders.append(
                FolderTarget(Path(s.reg_images), f"subjects[{i}].reg_images", repeats=s.reg_repeats, is_reg=True, **common)
            )
    b, t = project.buckets, project.training
    settings = BucketSettings(t.width_height, b.enabled, b.min_resolution, b.max_resolution, b.step, b.no_upscale)
    return DatasetTargets(tuple(folders), settings, t.batch_size, getattr(t, "max_token_length", None) or 75)


def _holds_files(folder: Path) -> bool:
    return any(p.is_file() and not p.name.startswith(".") for p in folder.iterdir())


def targets_from_dir(
    root: Path,
    *,
    caption_extension: str = ".txt",
    buckets: BucketSettings | None = None,
    batch_size: int = 1,
    repeats: int = 1,
    trigger: str | None = None,
) -> DatasetTargets:
    """A kohya parent (`N_name` subfolders) or, when `root` itself holds files, one image folder."""
    buckets = buckets or BucketSettings((512, 512))
    root = Path(root)
    subdirs = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    parsed = {d: parse_repeats_folder(d.name) for d in subdirs}
    convention = [d for d, p in parsed.items() if p is not None and not d.name.startswith(".")]
    if not root.is_dir() or (not convention and _holds_files(root)) or not subdirs:
        single = FolderTarget(root, str(root), root.name, repeats, caption_extension, trigger=trigger,
                              class_tokens=trigger)  # fmt: skip
        return DatasetTargets((single,), buckets, batch_size, root=root)
    folders = []
    for d in convention:
        n, class_tokens = parsed[d]  # type: ignore[misc]
        folders.append(
            FolderTarget(d, str(d), d.name, n, caption_extension, trigger=trigger, class_tokens=class_tokens or None)
        )
    ignored = tuple(d for d in subdirs if d not in convention)
    return DatasetTargets(tuple(folders), buckets, batch_size, root=root, ignored_dirs=ignored)
