"""Findings about captions: present, paired, read by the trainer, and readable as it reads them."""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

from orchestrator.dataset.caption_file import CaptionFacts
from orchestrator.dataset.listing import FolderListing
from orchestrator.dataset.targets import FolderTarget
from orchestrator.problems import Problem

MAX_LISTED = 5


def listed(paths: list[Path]) -> str:
    names = [p.name for p in paths[:MAX_LISTED]]
    more = len(paths) - MAX_LISTED
    return ", ".join(names) + (f" (+{more} more)" if more > 0 else "")


def _setting(target: FolderTarget) -> str:
    if target.subject_index is None:
        return "--caption-extension for this check and caption_extension in your dataset config"
    return f"caption_extension in [[subjects]] {target.subject_index} ({target.subject})"


def _falls_back_to(target: FolderTarget) -> str:
    return f"the class tokens '{target.class_tokens}'" if target.class_tokens else "an empty caption"


def extension_problems(target: FolderTarget, listing: FolderListing) -> list[Problem]:
    """Captions that exist under another name than the one the trainer looks for (one line per cause)."""
    by_cause: dict[str, list[Path]] = defaultdict(list)
    for image in listing.uncaptioned:
        for other in listing.other_captions.get(image, []):
            inner, ext = os.path.splitext(other.name)
            cause = f"{os.path.splitext(inner)[1]}{ext}" if inner != image.stem else ext  # `.png.txt` or `.caption`
            by_cause[cause].append(other)
    problems = []
    for cause, files in sorted(by_cause.items()):
        n = len({os.path.splitext(f.name)[0] for f in files})
        ext = target.caption_extension
        if cause.count(".") > 1:  # a.png.txt: named after the whole image file name
            message = f"{n} captions are named like '{files[0].name}', but sd-scripts looks for '<image stem>{ext}'"
            fix = f"Rename them without the image extension (e.g. {files[0].name} → {Path(files[0].stem).stem}{ext})"
        else:
            message = (
                f"{n} image{' has' if n == 1 else 's have'} {cause} captions ({listed(files)}) but the caption extension is {ext}: "
                f"sd-scripts ignores them and trains those images on {_falls_back_to(target)}"
            )
            fix = f'Set {_setting(target)} to "{cause}", or rename the files to {ext}'
        where = f"subjects[{target.subject_index}].caption_extension" if target.subject_index is not None else str(target.folder)
        problems.append(Problem(where, message, fix, "error", "caption-extension"))
    return problems


def missing_problems(target: FolderTarget, listing: FolderListing) -> list[Problem]:
    have_other = {image for image in listing.uncaptioned if listing.other_captions.get(image)}
    severity = "info" if target.is_reg else "warning"  # class images usually train on their class tokens
    return [
        Problem(
            str(image), f"has no caption ({image.stem}{target.caption_extension}); sd-scripts trains it on {_falls_back_to(target)}",
            f"Write {image.stem}{target.caption_extension} beside it, or remove the image", severity, "caption-missing",
        )  # fmt: skip
        for image in listing.uncaptioned
        if image not in have_other
    ]


def orphan_problems(listing: FolderListing) -> list[Problem]:
    skipped = {p.stem: p for p in listing.unsupported + listing.hidden_images}
    problems = []
    for caption in listing.orphan_captions:
        other = skipped.get(caption.stem) or skipped.get("." + caption.stem)
        why = f": its image {other.name} is a file the trainer skips" if other else ""
        fix = "Convert or rename that image (see its own finding)" if other else "Delete it, or add the image it describes"
        problems.append(Problem(str(caption), f"caption has no image the trainer reads{why}", fix, "warning", "caption-orphan"))
    return problems


def content_problems(facts: CaptionFacts, target: FolderTarget) -> list[Problem]:
    where = str(facts.path)
    if facts.is_zero_bytes:
        return [Problem(
            where, "caption file is empty (0 bytes): sd-scripts stops with 'caption file is empty'",
            f"Write a caption, or delete the file to train the image on {_falls_back_to(target)}", "error", "caption-empty",
        )]  # fmt: skip
    if facts.text is None:
        guess = f" (it looks like {facts.likely_encoding})" if facts.likely_encoding else ""
        return [Problem(
            where, f"is not UTF-8{guess}: {facts.decode_error}; sd-scripts stops with 'illegal char in file (not UTF-8)'",
            "Re-save it as UTF-8" + (f", e.g. iconv -f {facts.likely_encoding} -t utf-8" if facts.likely_encoding else ""),
            "error", "caption-encoding",
        )]  # fmt: skip
    problems = []
    if facts.has_bom:
        first = facts.text.split(",")[0].strip()
        problems.append(Problem(
            where, f"starts with a UTF-8 byte-order mark, which sd-scripts keeps as part of the first tag ('\\ufeff{first.lstrip(chr(0xFEFF))}')",
            "Re-save it as UTF-8 without BOM", "warning", "caption-bom",
        ))  # fmt: skip
    if facts.is_blank:
        later = " (the text is on a later line)" if facts.extra_lines else ""
        problems.append(Problem(
            where, f"first line is blank{later}: sd-scripts reads only the first line, so this image trains with an empty caption",
            "Put the caption on the first line" if later else "Write a caption, or delete the file", "warning", "caption-blank",
        ))  # fmt: skip
    elif facts.extra_lines:
        problems.append(Problem(
            where, f"has {facts.extra_lines} more non-empty line(s) after the first; sd-scripts reads only the first",
            "Join the lines into the first one, separated by commas", "warning", "caption-multiline",
        ))  # fmt: skip
    return problems
