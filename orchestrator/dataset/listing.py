"""One directory listing, sorted into what the trainer reads and what it does not.

Rules follow sd-scripts v0.10.1 (library/train_util.py `glob_images`, `read_caption`):
- images: `*.png *.jpg *.jpeg *.webp *.bmp` and the upper-case forms, not recursive. Python's
  glob never matches a name starting with `.` with `*`, so hidden files are skipped, and on a
  case-sensitive filesystem `a.Jpg` is skipped too;
- caption: `<image path minus extension><caption_extension>`, else (when the path minus
  extension splits into 5+ `_` tokens) the same without the last four tokens (a face-crop
  naming scheme); the first that exists is read.
One `os.scandir` per folder, no stat beyond what scandir gives, so listing stays cheap.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.dataset.scan import TRAINER_IMAGE_EXTENSIONS

_TRAINER_SUFFIXES = frozenset(TRAINER_IMAGE_EXTENSIONS + tuple(e.upper() for e in TRAINER_IMAGE_EXTENSIONS))
# Image formats people collect that sd-scripts v0.10.1 does not glob (avif/jxl only with optional plugins).
OTHER_IMAGE_SUFFIXES = frozenset(
    ".gif .tif .tiff .heic .heif .avif .jxl .jfif .pjpeg .pjp .svg .ico .psd .raw .cr2 .nef .arw .dng .jp2 .tga".split()
)
# Extensions taggers and captioning tools write; any of them beside an image is a caption candidate.
CAPTION_SUFFIXES = frozenset((".txt", ".caption", ".cap", ".tags", ".tag"))
JUNK_NAMES = frozenset(("__MACOSX", ".DS_Store", "Thumbs.db", "desktop.ini", "ehthumbs.db", ".directory", "Icon\r"))
BACKUP_DIR = ".orchestrator-backup"  # where `captions --write` keeps the originals; ours, never junk
# Files that belong in an image folder and are neither images nor captions (sd-scripts' own caches).
_KNOWN_EXTRAS = (".npz", ".json", ".toml")


def trainer_reads(name: str) -> bool:
    """Whether sd-scripts' image glob picks up a file of this name (Linux, case-sensitive)."""
    return not name.startswith(".") and os.path.splitext(name)[1] in _TRAINER_SUFFIXES


def caption_candidates(image: Path | str, caption_extension: str) -> list[str]:
    """Caption paths sd-scripts tries for an image, in order."""
    base = os.path.splitext(str(image))[0]
    tokens = base.split("_")
    face_base = "_".join(tokens[:-4]) if len(tokens) >= 5 else base
    return [base + caption_extension, face_base + caption_extension]


@dataclass
class FolderListing:
    folder: Path
    images: list[Path] = field(default_factory=list)  # what the trainer trains on, in its order
    captions: dict[Path, Path] = field(default_factory=dict)  # image -> caption file the trainer reads
    uncaptioned: list[Path] = field(default_factory=list)
    orphan_captions: list[Path] = field(default_factory=list)  # configured extension, no image uses it
    other_captions: dict[Path, list[Path]] = field(default_factory=dict)  # image -> caption-like files not read
    unsupported: list[Path] = field(default_factory=list)  # image formats or spellings the trainer skips
    hidden_images: list[Path] = field(default_factory=list)  # `.x.png`, `._x.jpg`: skipped by the glob
    junk: list[Path] = field(default_factory=list)
    subfolders: list[Path] = field(default_factory=list)
    image_named_folders: list[Path] = field(default_factory=list)  # `x.png/`: the trainer's glob takes it as an image
    other_files: list[Path] = field(default_factory=list)


_IMAGE_LIKE = frozenset(TRAINER_IMAGE_EXTENSIONS) | OTHER_IMAGE_SUFFIXES


def _image_like(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in _IMAGE_LIKE


def _stem_key(name: str) -> str:
    """`a.png.txt` -> `a` and `a.txt` -> `a`: the image a caption-like file was meant for."""
    stem = os.path.splitext(name)[0]
    inner, ext = os.path.splitext(stem)
    return inner if _image_like(stem) and ext else stem


def _exists(path: str, prefix: str, names: set[str]) -> bool:
    """A file in the listed folder is looked up in the listing; elsewhere (face-crop names) on disk."""
    if path.startswith(prefix) and os.sep not in path[len(prefix) :]:
        return path[len(prefix) :] in names
    return os.path.isfile(path)


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # a symlink loop: not a folder; the image probe reports it as unreadable
        return False


def list_folder(folder: Path, caption_extension: str) -> FolderListing:
    listing = FolderListing(folder)
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return listing
    files: dict[str, Path] = {}
    dirs = {entry.name for entry in entries if _is_dir(entry)}
    for entry in entries:
        path = folder / entry.name
        if entry.name in JUNK_NAMES:
            listing.junk.append(path)
        elif entry.name in dirs:
            if trainer_reads(entry.name):
                listing.image_named_folders.append(path)
            elif entry.name != BACKUP_DIR:
                listing.subfolders.append(path)
        elif trainer_reads(entry.name):
            listing.images.append(path)
        elif entry.name.startswith(".") and _image_like(entry.name):
            (listing.junk if entry.name.startswith("._") else listing.hidden_images).append(path)
        elif entry.name.startswith("."):
            listing.junk.append(path)
        elif _image_like(entry.name):
            listing.unsupported.append(path)
        else:
            files[entry.name] = path
    listing.images.sort(key=str)  # the trainer sorts full path strings
    names = {entry.name for entry in entries if entry.name not in dirs}
    used: set[Path] = set()
    prefix = os.path.join(str(folder), "")
    for image in listing.images:
        found = next((c for c in caption_candidates(image, caption_extension) if _exists(c, prefix, names)), None)
        if found is None:
            listing.uncaptioned.append(image)
        else:
            listing.captions[image] = Path(found)
            used.add(listing.captions[image])
    _sort_other_files(listing, files, caption_extension, used)
    return listing


def _sort_other_files(listing: FolderListing, files: dict[str, Path], ext: str, used: set[Path]) -> None:
    image_stems: dict[str, list[Path]] = {}
    for image in listing.images + listing.unsupported:
        image_stems.setdefault(os.path.splitext(image.name)[0], []).append(image)
    for name, path in files.items():
        stem, suffix = os.path.splitext(name)
        stem_key = _stem_key(name)
        named_after_file = stem_key != stem  # `a.png.txt`
        if suffix == ext and not named_after_file:
            if path not in used:
                listing.orphan_captions.append(path)
        elif suffix.lower() in CAPTION_SUFFIXES:
            # A caption-like file the trainer does not read: note it against its image, if any.
            for image in image_stems.get(stem_key, []):
                listing.other_captions.setdefault(image, []).append(path)
            if stem_key not in image_stems:
                listing.other_files.append(path)
        elif suffix.lower() not in _KNOWN_EXTRAS:
            listing.other_files.append(path)
