"""`orchestrator tag DIR|PRESET`: auto-caption images with an ONNX tagger, never clobbering hand edits.

A dry run by default: it shows what each caption file would become; `--write` applies it.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from orchestrator.commands.common import console, print_json, print_problems
from orchestrator.problems import Problem, ProjectInvalid
from orchestrator.tagger.captions import tag_key
from orchestrator.tagger.job import TagReport, collect_work, run_job
from orchestrator.tagger.plan import Applied, CaptionChange, apply_changes
from orchestrator.tagger.selection import Selection
from orchestrator.tagger.targets import resolve_targets

if TYPE_CHECKING:
    from orchestrator.tagger.model import Tagger

_MARK = {"create": "[green]+[/]", "merge": "[cyan]~[/]", "overwrite": "[yellow]![/]"}
_VERB = {"create": "new", "merge": "merged", "overwrite": "overwritten"}


def _split_list(values: list[str]) -> list[str]:
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def selection_from_args(args: argparse.Namespace) -> Selection:
    """The tag-selection options, after checking every numeric option (all problems at once)."""
    replace: dict[str, str] = {}
    bad: list[Problem] = []
    for item in args.replace:
        old, sep, new = item.partition("=")
        if not sep or not old.strip():
            bad.append(Problem("--replace", f"expected OLD=NEW (got {item!r})", "e.g. --replace 'male_focus=man'", code="tag-usage"))
        replace[tag_key(old)] = new.strip()
    for flag, value in (("--general-threshold", args.general_threshold), ("--character-threshold", args.character_threshold)):
        if value is not None and not 0.0 <= value <= 1.0:
            bad.append(Problem(flag, f"must be between 0 and 1 (got {value})", code="tag-usage"))
    for flag, number in (("--max-tags", args.max_tags), ("--batch-size", args.batch_size), ("--workers", args.workers), ("--threads", args.threads)):
        if number is not None and number < 1:
            bad.append(Problem(flag, f"must be at least 1 (got {number})", code="tag-usage"))
    if bad:
        raise ProjectInvalid(bad)
    return Selection(
        general_threshold=args.general_threshold,
        character_threshold=args.character_threshold,
        mcut=args.mcut,
        rating=args.rating,
        exclude=frozenset(tag_key(t) for t in _split_list(args.exclude)),
        replace=replace,
        keep_underscores=args.keep_underscores,
        max_tags=args.max_tags,
        character_first=args.character_first,
    )


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except ProjectInvalid as exc:
        if not args.json:
            raise
        print_json({"ok": False, "problems": [p.to_json() for p in exc.problems]})
        return 2


def _run(args: argparse.Namespace) -> int:
    selection = selection_from_args(args)
    targets = resolve_targets(args.target, overrides=args.overrides, subjects=args.subject, trigger=args.trigger,
                              caption_extension=args.caption_extension, use_trigger=not args.no_trigger)
    work = collect_work(targets, args.mode)
    if any(p.severity == "error" for p in work.problems):
        raise ProjectInvalid(work.problems)
    if not work.items:  # nothing to decode: no model is loaded (or downloaded)
        report = TagReport(problems=work.problems, kept=work.kept)
        return _finish(args, report, None, 0.0)

    from orchestrator.tagger.infer import predict
    from orchestrator.tagger.model import Tagger
    from orchestrator.tagger.resolve import resolve_model
    from orchestrator.tagger.selection import Vocabulary

    tagger = Tagger(resolve_model(args.model, args.profile), args.provider, args.threads)
    vocabulary = Vocabulary(tagger.labels, selection, tagger.profile)
    out = console(stderr=True)
    if not args.json:
        spec = tagger.input
        out.print(f"Tagging {len(work.items)} images with {escape(args.model)} ({tagger.profile.name}, {spec.size} px {spec.layout}, "
                  f"{', '.join(tagger.providers)}; general ≥ {'MCut' if selection.mcut else vocabulary.general_threshold}, "
                  f"character ≥ {'MCut' if selection.mcut else vocabulary.character_threshold}), mode {args.mode}")
    started = time.perf_counter()
    with _Progress(out, len(work.items), disable=args.json) as advance:
        report = run_job(work, args.mode, vocabulary,
                         lambda paths: predict(tagger, paths, batch_size=args.batch_size, workers=args.workers, on_done=advance))
    return _finish(args, report, tagger, time.perf_counter() - started)


class _Progress:
    """A rich progress bar on stderr with images/s (nothing when not a terminal or for --json)."""

    def __init__(self, out: Console, total: int, disable: bool):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeRemainingColumn
        from rich.text import Text

        class Rate(ProgressColumn):
            def render(self, task) -> Text:  # type: ignore[no-untyped-def]
                return Text(f"{task.speed:.1f} img/s" if task.speed else "")

        self.bar = Progress(TextColumn("tagging"), BarColumn(), MofNCompleteColumn(), Rate(), TimeRemainingColumn(),
                            console=out, transient=True, disable=disable or not out.is_terminal)
        self.task = self.bar.add_task("tagging", total=total)

    def __enter__(self) -> Callable[[int], None]:
        self.bar.start()
        return lambda n: self.bar.advance(self.task, n)

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()


def _finish(args: argparse.Namespace, report: TagReport, tagger: Tagger | None, seconds: float) -> int:
    changes = [c for c in report.changes if c.writes]
    applied = apply_changes(changes) if args.write else Applied()
    report.problems.extend(applied.problems)
    backups = applied.backups
    if args.json:
        print_json({
            "ok": True,
            "written": bool(args.write),
            "mode": args.mode,
            "model": args.model if tagger else None,
            "profile": tagger.profile.name if tagger else None,
            "providers": tagger.providers if tagger else [],
            "tagged": len(report.changes),
            "kept": report.kept,
            "failed": report.failed,
            "seconds": round(seconds, 3),
            "changes": [{**c.to_json(), "tags": [{"tag": t.tag, "score": round(t.score, 4), "category": t.category}
                                                 for t in report.tags.get(c.image, [])]} for c in report.changes],
            "backups": [str(b) for b in backups],
            "problems": [p.to_json() for p in report.problems],
        })  # fmt: skip
        return 1 if applied.problems else 0
    out = console()
    if not args.write:
        for change in changes:
            _show(out, change)
    print_problems(report.problems, stderr=False)
    out.print(_summary(report, changes, args, backups, seconds))
    return 1 if applied.problems else 0


def _show(out: Console, change: CaptionChange) -> None:
    out.print(f"{_MARK[change.action]} {escape(str(change.caption))} ({change.action})")
    if change.action == "create":
        out.print(f"    {escape(change.new.strip())}", style="green")
        return
    if change.removed:
        out.print(f"    - {escape(', '.join(change.removed))}", style="red")
    if change.added:
        out.print(f"    + {escape(', '.join(change.added))}", style="green")


def _summary(report: TagReport, changes: list[CaptionChange], args: argparse.Namespace, backups: list[Path], seconds: float) -> str:
    counts = {a: sum(c.action == a for c in changes) for a in _VERB}
    parts = [f"{n} {_VERB[a]}" for a, n in counts.items() if n]
    done = ", ".join(parts) if parts else "nothing to change"
    rate = f" in {seconds:.1f} s ({len(report.changes) / seconds:.1f} images/s)" if seconds > 0 and report.changes else ""
    extra = []
    if report.kept:
        extra.append(f"{report.kept} already captioned, left alone (--mode merge or overwrite to change them)")
    if report.failed:
        extra.append(f"{report.failed} unreadable, skipped")
    tail = f"; {'; '.join(extra)}" if extra else ""
    if args.write:
        saved = f"; backups in {backups[0].parent}" if backups else ""
        return f"[green]✓[/] captions written: {done}{rate}{tail}{saved}"
    hint = "; run again with --write to apply" if changes else ""
    return f"Dry run: {done}{rate}{tail}{hint}"
