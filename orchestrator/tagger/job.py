"""One tagging run: targets → images to tag → predictions → caption changes and problems.

Nothing is written here: the command shows the changes (a dry run) or applies them with
`plan.apply_changes`. In `new` mode images that already have a caption are not even
decoded, so re-running over a finished dataset costs nothing (and loads no model).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.dataset.scan import list_images
from orchestrator.problems import Problem
from orchestrator.tagger.captions import caption_path, first_line, has_tag, read_caption, split_tags
from orchestrator.tagger.infer import Prediction
from orchestrator.tagger.plan import CaptionChange, Mode, plan_change
from orchestrator.tagger.selection import ScoredTag, Vocabulary
from orchestrator.tagger.targets import Target


@dataclass(frozen=True)
class WorkItem:
    image: Path
    caption: Path
    existing: str | None
    target: Target


@dataclass
class Work:
    items: list[WorkItem] = field(default_factory=list)
    kept: int = 0  # images whose caption `new` mode leaves alone
    problems: list[Problem] = field(default_factory=list)


@dataclass
class TagReport:
    changes: list[CaptionChange] = field(default_factory=list)
    tags: dict[Path, list[ScoredTag]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    kept: int = 0
    failed: int = 0


def collect_work(targets: list[Target], mode: Mode) -> Work:
    """The images to run through the tagger, with their current captions."""
    work = Work()
    seen: set[Path] = set()  # two subjects may share a folder: tag each image once
    for target in targets:
        if not target.folder.is_dir():
            work.problems.append(Problem(str(target.folder), "folder not found", "Check the path", code="tag-folder"))
            continue
        images = list_images(target.folder)
        if not images:
            work.problems.append(Problem(str(target.folder), "no images the trainer reads", "sd-scripts reads .png .jpg .jpeg .webp .bmp", "warning", "tag-folder"))
        for image in images:
            if image in seen:
                continue
            seen.add(image)
            caption = caption_path(image, target.caption_extension)
            try:
                existing = read_caption(caption)
            except (UnicodeDecodeError, OSError) as exc:
                work.problems.append(Problem(str(caption), f"caption cannot be read ({exc.__class__.__name__})", "Left alone; save it as UTF-8 text", "warning", "caption-unreadable"))
                continue
            if existing is not None and mode == "new":
                work.kept += 1
                continue
            work.items.append(WorkItem(image, caption, existing, target))
    return work


def plan_item(item: WorkItem, tags: list[ScoredTag], mode: Mode) -> tuple[CaptionChange, list[Problem]]:
    change = plan_change(item.image, item.caption, item.existing, [t.tag for t in tags], mode, item.target.trigger)
    if change.writes and not change.new.strip():
        # nothing scored above the thresholds and there is no trigger: an empty caption file stops
        # sd-scripts ("caption file is empty"), and overwriting would throw the old caption away
        kept = CaptionChange(item.image, item.caption, "unchanged", item.existing, item.existing or "", (), ())
        return kept, [Problem(str(item.image), "no tag scored above the thresholds, so no caption was "
                              + ("written (sd-scripts stops on an empty caption file)" if item.existing is None else "changed"),
                              "Lower --general-threshold, pass --trigger, or write the caption by hand",
                              "warning", "tag-empty")]  # fmt: skip
    problems = []
    trigger = item.target.trigger
    if mode == "merge" and item.existing is not None and trigger and not has_tag(split_tags(first_line(item.existing)[0]), trigger):
        problems.append(Problem(str(item.caption), f"has no trigger word {trigger!r}; merge keeps the existing order, so it is not added",
                                "Add it by hand at the front, or use --mode overwrite", "warning", "caption-no-trigger"))
    return change, problems


def run_job(
    work: Work,
    mode: Mode,
    vocabulary: Vocabulary,
    predict: Callable[[list[Path]], Iterable[Prediction]],
) -> TagReport:
    """Tag every work item; `predict(paths)` yields `infer.Prediction`s in order."""
    report = TagReport(problems=list(work.problems), kept=work.kept)
    by_image = {item.image: item for item in work.items}
    for prediction in predict([item.image for item in work.items]):
        item = by_image[prediction.path]
        if prediction.scores is None:
            report.failed += 1
            report.problems.append(Problem(str(item.image), f"cannot be decoded ({prediction.error})",
                                           "Skipped; re-export or remove the file", "warning", "image-corrupt"))
            continue
        tags = vocabulary.select(prediction.scores)
        report.tags[item.image] = tags
        change, problems = plan_item(item, tags, mode)
        report.changes.append(change)
        report.problems.extend(problems)
    return report
