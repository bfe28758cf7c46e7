"""The dataset doctor: every check over a preset's (or a directory's) image folders, in one pass.

`check_dataset(project)` is what `plan`/`run` call; `check_directory(path)` serves
`orchestrator dataset check DIR`. Both return a `DoctorReport`: problems (errors stop a
run), per-folder counts, the bucket and step plan, and timing. Folders are listed once,
images probed once (cached by path, size and mtime), captions read as sd-scripts reads them.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from orchestrator.compile.buckets import BucketSelector, BucketSettings
from orchestrator.compile.steps import Schedule, StepPlan, SubsetImages
from orchestrator.dataset import caption_checks, folder_checks
from orchestrator.dataset.bucket_report import bucket_json, images_per_bucket, step_plan
from orchestrator.dataset.caption_file import CaptionFacts, read_caption
from orchestrator.dataset.duplicates import exact_problems, near_problems
from orchestrator.dataset.image_checks import image_problems, unbucketable
from orchestrator.dataset.listing import FolderListing, list_folder
from orchestrator.dataset.probe import ImageFacts
from orchestrator.dataset.probe_cache import lint_cache, problems_from_json
from orchestrator.dataset.probing import Progress, probe_images
from orchestrator.dataset.targets import DatasetTargets, FolderTarget, targets_from_dir, targets_from_project
from orchestrator.problems import Problem

_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass
class FolderSummary:
    target: FolderTarget
    images: int = 0
    captioned: int = 0
    skipped: int = 0  # image-like files the trainer does not read
    formats: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        t = self.target
        return {
            "subject": t.subject, "location": t.location, "folder": str(t.folder), "regularisation": t.is_reg,
            "repeats": t.repeats, "caption_extension": t.caption_extension, "trigger": t.trigger,
            "images": self.images, "captioned": self.captioned, "skipped": self.skipped, "formats": self.formats,
        }  # fmt: skip


@dataclass
class DoctorReport:
    targets: DatasetTargets
    folders: list[FolderSummary]
    problems: list[Problem]
    steps: StepPlan | None
    buckets: dict[str, Any]
    images: int
    cached: int
    seconds: float
    captions: dict[Path, CaptionFacts] = field(default_factory=dict)

    def count(self, severity: str) -> int:
        return sum(p.severity == severity for p in self.problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        """One line for `plan` and logs."""
        e, w, i = self.count("error"), self.count("warning"), self.count("info")
        state = "clean" if not (e or w) else f"{e} error(s), {w} warning(s)"
        cache = f", {self.cached} from cache" if self.cached else ""
        return (f"dataset: {self.images} images in {len(self.folders)} folder(s): {state}"
                f"{f', {i} note(s)' if i else ''} ({self.seconds:.2f} s{cache})")  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "summary": self.summary(),
            "counts": {s: self.count(s) for s in ("error", "warning", "info")},
            "images": self.images,
            "from_cache": self.cached,
            "seconds": round(self.seconds, 3),
            "folders": [f.to_json() for f in self.folders],
            "problems": [p.to_json() for p in self.problems],
            "buckets": self.buckets,
        }


def check_dataset(
    project: Any,
    *,
    use_cache: bool = True,
    lint: bool = True,
    progress: Progress | None = None,
    tokenizer: Any = None,
) -> DoctorReport:
    """Check a validated `Project`'s folders with its own settings; what preflight calls."""
    from orchestrator.dataset.inventory import schedule

    return check_targets(
        targets_from_project(project), schedule(project),
        use_cache=use_cache, lint=lint, progress=progress, tokenizer=tokenizer,
    )  # fmt: skip


def check_directory(
    root: Path,
    *,
    caption_extension: str = ".txt",
    buckets: BucketSettings | None = None,
    batch_size: int = 1,
    epochs: int | None = None,
    trigger: str | None = None,
    use_cache: bool = True,
    progress: Progress | None = None,
    tokenizer: Any = None,
) -> DoctorReport:
    """Check a kohya parent folder (`N_name` subfolders) or a single image folder."""
    targets = targets_from_dir(root, caption_extension=caption_extension, buckets=buckets, batch_size=batch_size, trigger=trigger)
    return check_targets(
        targets, Schedule(max_train_epochs=epochs), use_cache=use_cache, lint=trigger is not None,
        progress=progress, tokenizer=tokenizer,
    )  # fmt: skip


def _read_captions(listings: list[tuple[FolderTarget, FolderListing]]) -> dict[Path, CaptionFacts]:
    found: dict[Path, CaptionFacts] = {}
    for _, listing in listings:
        for caption in listing.captions.values():
            if caption not in found:
                try:
                    found[caption] = read_caption(caption)
                except OSError as exc:
                    found[caption] = CaptionFacts(caption, -1, None, decode_error=f"cannot read: {exc.strerror or exc}")
    return found


def _lint(listings: list[tuple[FolderTarget, FolderListing]], captions: dict[Path, CaptionFacts],
          targets: DatasetTargets, tokenizer: Any, use_cache: bool) -> list[Problem]:  # fmt: skip
    from orchestrator.text.trigger_lint import SubjectText

    subjects = []
    renames: dict[str, str] = {}  # a folder check has no [[subjects]]: name the folder instead
    for i, (target, listing) in enumerate(listings):
        if target.is_reg or not target.trigger:
            continue
        texts = {str(c): captions[c].text for c in listing.captions.values() if captions[c].text is not None}
        index = target.subject_index if target.subject_index is not None else i
        if target.subject_index is None:
            renames[f"subjects[{index}]"] = str(target.folder)
        subjects.append(SubjectText(
            target.subject, index, target.trigger, target.class_word, target.keep_tokens, texts, target.shuffle_caption,
        ))  # fmt: skip
    if not subjects:
        return []
    return [_rename(p, renames) for p in _lint_cached(subjects, targets, tokenizer, use_cache)]


def _rename(problem: Problem, renames: dict[str, str]) -> Problem:
    head, dot, setting = problem.location.partition(".")
    if head not in renames:
        return problem
    return replace(problem, location=f"{renames[head]} ({setting})" if dot else renames[head])


def _lint_cached(subjects: list, targets: DatasetTargets, tokenizer: Any, use_cache: bool) -> list[Problem]:
    from orchestrator.text.trigger_lint import lint_triggers

    cache = lint_cache(subjects, targets.max_token_length) if use_cache and tokenizer is None else None
    cached = problems_from_json(cache.load()) if cache else None
    if cached is not None:
        return cached
    problems = lint_triggers(subjects, tokenizer, targets.max_token_length)
    if cache:
        cache.save([p.to_json() for p in problems])
    return problems


def check_targets(
    targets: DatasetTargets,
    schedule: Schedule,
    *,
    use_cache: bool = True,
    lint: bool = True,
    progress: Progress | None = None,
    tokenizer: Any = None,
) -> DoctorReport:
    started = time.perf_counter()
    problems: list[Problem] = []
    if targets.root is not None:
        problems += folder_checks.parent_problems(targets)
        if not targets.folders:
            problems.append(Problem(
                str(targets.root), "holds no N_name folders with images: sd-scripts would log 'No data found' and train nothing",
                "Put the images in subfolders named <repeats>_<name>, e.g. 10_hxh", "error", "no-data",
            ))  # fmt: skip
    listings: list[tuple[FolderTarget, FolderListing]] = []
    summaries: list[FolderSummary] = []
    for target in targets.folders:
        summary = FolderSummary(target)
        summaries.append(summary)
        problems += folder_checks.repeats_problems(target)
        missing = folder_checks.existence_problems(target)
        if missing:
            problems += missing
            continue
        listing = list_folder(target.folder, target.caption_extension)
        listings.append((target, listing))
        summary.images, summary.captioned = len(listing.images), len(listing.captions)
        summary.skipped = len(listing.unsupported) + len(listing.hidden_images)
        summary.formats = dict(sorted(Counter(p.suffix.lower() for p in listing.images).items()))
        problems += folder_checks.empty_problems(target, listing) + folder_checks.file_problems(listing)

    images = list(dict.fromkeys(p for _, listing in listings for p in listing.images))
    facts, cached = probe_images(images, use_cache=use_cache, progress=progress)
    selector = BucketSelector(targets.buckets)
    captions = _read_captions(listings)
    for target, listing in listings:
        for image in listing.images:
            problems += image_problems(image, facts[image], targets.buckets, selector)
        problems += caption_checks.extension_problems(target, listing)
        problems += caption_checks.missing_problems(target, listing)
        problems += caption_checks.orphan_problems(listing)
        for caption in dict.fromkeys(listing.captions.values()):
            problems += caption_checks.content_problems(captions[caption], target)
    problems += exact_problems(facts) + near_problems(facts, use_cache=use_cache)
    if lint:
        problems += _lint(listings, captions, targets, tokenizer, use_cache)

    subsets = _subsets(listings, facts, selector)
    plan = step_plan(subsets, targets.buckets, targets.batch_size, schedule) if subsets else None
    train_sizes = [s for sub in subsets if not sub.is_reg for s in sub.sizes]
    buckets = bucket_json(plan, images_per_bucket(train_sizes, targets.buckets)) if plan else {}
    problems = _dedupe(problems)
    problems.sort(key=lambda p: _ORDER[p.severity])  # stable: keeps folder and file order within a severity
    return DoctorReport(targets, summaries, problems, plan, buckets, len(images), cached,
                        time.perf_counter() - started, captions)  # fmt: skip


def _subsets(listings: list[tuple[FolderTarget, FolderListing]], facts: dict[Path, ImageFacts],
             selector: BucketSelector) -> list[SubsetImages]:  # fmt: skip
    """What the trainer buckets: header sizes of each folder's images, in its order.

    Images the trainer cannot bucket (no size; with no_upscale, a side that rounds to 0) are
    left out: they are reported as errors, and the trainer would crash on them anyway.
    """
    subsets = []
    for target, listing in listings:
        sizes = tuple(
            (f.width, f.height) for f in (facts[p] for p in listing.images)
            if f.width > 0 and f.height > 0 and not unbucketable(f.width, f.height, selector)
        )  # fmt: skip
        subsets.append(SubsetImages(target.subject, sizes, target.repeats, target.is_reg))
    return subsets


def _dedupe(problems: list[Problem]) -> list[Problem]:
    """The same folder checked twice (as images and reg images) reports each file once."""
    return list(dict.fromkeys(problems))
