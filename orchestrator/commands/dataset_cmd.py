"""`orchestrator dataset check PRESET|DIR`: every dataset check, a bucket report, exit 1 on errors."""

from __future__ import annotations

import argparse
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from orchestrator.commands.common import console, print_json
from orchestrator.problems import Problem, ProjectInvalid

EXIT_CLEAN, EXIT_ERRORS = 0, 1


def _resolution(text: str) -> tuple[int, int]:
    parts = [p.strip() for p in text.split(",")]
    try:
        values = [int(p) for p in parts]
    except ValueError:
        values = []
    if len(values) not in (1, 2) or min(values, default=0) < 8:
        raise ProjectInvalid([Problem("--resolution", f"expected SIZE or WIDTH,HEIGHT (got {text!r})", "e.g. 512 or 768,512")])
    return (values[0], values[-1])


@contextmanager
def _progress(enabled: bool) -> Iterator:
    """A progress bar on stderr while images are decoded; refreshed by hand (no thread across the fork)."""
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    bar = Progress("checking images", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                   console=console(stderr=True), auto_refresh=False, transient=True)  # fmt: skip
    task = bar.add_task("images", total=None)
    with bar:
        def update(done: int, total: int) -> None:
            if done == 1 or done == total or done % 16 == 0:
                bar.update(task, completed=done, total=total, refresh=True)

        yield update


def _check(args: argparse.Namespace, progress):  # noqa: ANN202
    from orchestrator.dataset.doctor import check_dataset, check_directory

    target = Path(args.target)
    if target.is_dir():
        from orchestrator.compile.buckets import BucketSettings

        buckets = BucketSettings(_resolution(args.resolution), not args.no_buckets, args.min_bucket, args.max_bucket,
                                 args.bucket_step, args.no_upscale)  # fmt: skip
        return check_directory(
            target, caption_extension=args.caption_extension, buckets=buckets, batch_size=args.batch_size,
            epochs=args.epochs, trigger=args.trigger, use_cache=not args.no_cache, progress=progress,
        )  # fmt: skip
    if not target.is_file():
        raise ProjectInvalid([Problem(args.target, "not found", "Give a preset .toml file or a dataset folder")])
    from orchestrator.schema.loader import load_project

    project = load_project(target, args.overrides).project
    return check_dataset(project, use_cache=not args.no_cache, progress=progress)


def run(args: argparse.Namespace) -> int:
    if args.action != "check":
        raise ProjectInvalid([Problem("dataset", "choose an action", "orchestrator dataset check PRESET|DIR")])
    interactive = not args.json and sys.stderr.isatty()
    with _progress(interactive) as progress:
        report = _check(args, progress)
    if args.json:
        print_json(report.to_json())
    else:
        from orchestrator.dataset.report_view import render_report

        render_report(report, console())
        if report.errors and args.force:
            console().print("[dim]--force: exiting 0 despite the errors[/]")
    return EXIT_ERRORS if report.errors and not args.force else EXIT_CLEAN
