"""Findings about a folder as a whole and the files in it that are not training data."""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

from orchestrator.dataset.caption_checks import listed
from orchestrator.dataset.listing import JUNK_NAMES, FolderListing, trainer_reads
from orchestrator.dataset.scan import TRAINER_IMAGE_EXTENSIONS
from orchestrator.dataset.targets import DatasetTargets, FolderTarget, parse_repeats_folder
from orchestrator.problems import Problem

READ_EXTENSIONS = " ".join(TRAINER_IMAGE_EXTENSIONS)


def existence_problems(target: FolderTarget) -> list[Problem]:
    if not target.folder.exists():
        return [Problem(target.location, f"folder not found: {target.folder}",
                        "Check the path (relative paths start at the preset's folder)", "error", "folder-missing")]  # fmt: skip
    if not target.folder.is_dir():
        return [Problem(target.location, f"not a folder: {target.folder}", "Point it at the folder that holds the images",
                        "error", "folder-missing")]  # fmt: skip
    return []


def empty_problems(target: FolderTarget, listing: FolderListing) -> list[Problem]:
    if listing.images:
        return []
    skipped = listing.unsupported + listing.hidden_images
    why = f"; it skips {listed(skipped)}" if skipped else ""
    nested = [d.name for d in listing.subfolders if _nested_images(d)]
    where = f" (the images are in subfolder {', '.join(nested)}, and it does not look into subfolders)" if nested else ""
    return [Problem(
        target.location, f"{target.folder} has no images sd-scripts reads ({READ_EXTENSIONS}){why}{where}: "
        "the trainer skips this subset ('no images found')",
        "Add images there, convert the skipped ones, or point the setting at the right folder", "error", "no-images",
    )]  # fmt: skip


def repeats_problems(target: FolderTarget) -> list[Problem]:
    """A preset folder named in the kohya `N_name` style whose N is not the preset's repeats."""
    if target.subject_index is None:
        if target.repeats < 1:
            return [Problem(target.location, f"folder name gives {target.repeats} repeats: sd-scripts ignores it",
                            "Rename it with a repeat count of 1 or more (e.g. 10_name)", "warning", "repeats-zero")]  # fmt: skip
        return []
    parsed = parse_repeats_folder(target.folder.name)
    if parsed is None or parsed[0] == target.repeats:
        return []
    n, name = parsed
    setting = "reg_repeats" if target.is_reg else "repeats"
    return [Problem(
        f"subjects[{target.subject_index}].{setting}",
        f"folder {target.folder.name} says {n} repeats in the kohya N_name convention, but {setting} = {target.repeats} "
        f"(the compiled config trains {target.repeats})",
        f"Set {setting} = {n}, or rename the folder to {target.repeats}_{name}, so the two agree", "warning", "repeats-mismatch",
    )]  # fmt: skip


def _nested_images(folder: Path) -> int:
    try:
        return sum(1 for e in os.scandir(folder) if e.is_file() and trainer_reads(e.name))
    except OSError:
        return 0


def _junk_kind(name: str) -> str:
    if name in JUNK_NAMES:
        return "is operating-system metadata (macOS/Windows), not training data"
    if name.startswith("._"):
        return "is a macOS resource-fork file ('._' prefix) from a copy or zip, not an image"
    return "is a hidden file, not training data (the trainer ignores it)"


def file_problems(listing: FolderListing) -> list[Problem]:
    """Files the trainer skips: junk, hidden or unsupported images, images in subfolders, same-stem pairs."""
    problems = [Problem(str(p), _junk_kind(p.name), "Delete it", "warning", "junk") for p in listing.junk]
    problems += [
        Problem(str(p), "is hidden (starts with '.'), so sd-scripts' image glob skips it",
                "Rename it without the leading dot to train on it, or delete it", "warning", "hidden-image")  # fmt: skip
        for p in listing.hidden_images
    ]
    for p in listing.unsupported:
        suffix = os.path.splitext(p.name)[1]
        if suffix.lower() in {e for e in TRAINER_IMAGE_EXTENSIONS}:
            message = (f"extension {suffix} is neither lower nor upper case; sd-scripts globs {suffix.lower()} and "
                       f"{suffix.upper()} only (case-sensitive on Linux), so it skips this image")  # fmt: skip
            fix = f"Rename it to {p.stem}{suffix.lower()}"
        else:
            message = f"{suffix} is a format sd-scripts does not read ({READ_EXTENSIONS}); it skips this image"
            fix = "Convert it to PNG or JPEG"
        problems.append(Problem(str(p), message, fix, "warning", "unsupported-format"))
    problems += [
        Problem(str(d), "is a folder named like an image: sd-scripts' image glob picks it up and fails when it opens it",
                f"Rename it (e.g. {d.stem}_{d.suffix.lstrip('.')}) or move it out", "error", "image-is-folder")  # fmt: skip
        for d in listing.image_named_folders
    ]
    for d in listing.subfolders:
        count = _nested_images(d)
        if count:
            problems.append(Problem(
                str(d), f"holds {count} image(s) in a subfolder; sd-scripts does not look into subfolders",
                "Move them up into the image folder, or make the subfolder its own subject", "warning", "nested-images",
            ))  # fmt: skip
    return problems + same_stem_problems(listing)


def same_stem_problems(listing: FolderListing) -> list[Problem]:
    stems: dict[str, list[Path]] = defaultdict(list)
    for image in listing.images:
        stems[image.stem].append(image)
    problems = []
    for stem, images in stems.items():
        if len(images) < 2:
            continue
        caption = listing.captions.get(images[0])
        shared = f", with the same caption {caption.name}" if caption else ""
        for image in images[1:]:
            problems.append(Problem(
                str(image), f"shares the name '{stem}' with {images[0].name}: sd-scripts trains both{shared}",
                "Keep one of them (usually the same picture in two formats), or rename one and give it its own caption",
                "warning", "same-stem",
            ))  # fmt: skip
    return problems


def parent_problems(targets: DatasetTargets) -> list[Problem]:
    """For a kohya parent folder: subfolders the trainer ignores, and no data at all."""
    problems = []
    for d in targets.ignored_dirs:
        if d.name in ("__MACOSX",):
            problems.append(Problem(str(d), "is macOS zip metadata, not training data", "Delete it", "warning", "junk"))
        elif not d.name.startswith("."):
            problems.append(Problem(
                str(d), "has no repeat count prefix, so sd-scripts ignores it ('ignore directory without repeats')",
                f"Rename it N_{d.name} (N = repeats, e.g. 10_{d.name}), or move it out", "warning", "folder-ignored",
            ))  # fmt: skip
    return problems
