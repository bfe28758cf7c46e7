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


# Folder-only options: (argparse dest, flag, default, the preset key that sets it instead)
FOLDER_OPTIONS = (
    ("caption_extension", "--caption-extension", ".txt", "subjects[i].caption_extension"),
    ("trigger", "--trigger", None, "subjects[i].trigger"),
    ("resolution", "--resolution", "512", "training.resolution"),
    ("batch_size", "--batch-size", 1, "training.batch_size"),
    ("epochs", "--epochs", None, "training.epochs"),
    ("min_bucket", "--min-bucket", 256, "buckets.min_resolution"),
    ("max_bucket", "--max-bucket", 1024, "buckets.max_resolution"),
    ("bucket_step", "--bucket-step", 64, "buckets.step"),
    ("no_upscale", "--no-upscale", False, "buckets.no_upscale"),
    ("no_buckets", "--no-buckets", False, "buckets.enabled"),
)


def _resolution(text: str) -> tuple[int, int]:
    parts = [p.strip() for p in text.split(",")]
    try:
        values = [int(p) for p in parts]
    except ValueError:
        values = []
    if len(values) not in (1, 2) or min(values, default=0) < 64:
        raise ProjectInvalid([Problem("--resolution", f"expected SIZE or WIDTH,HEIGHT of at least 64 px (got {text!r})", "e.g. 512 or 768,512")])
    return (values[0], values[-1])


def _preset_refuses_folder_options(args: argparse.Namespace) -> None:
    """A preset brings its own settings: a folder option beside it would be silently ignored."""
    given = [(flag, key) for dest, flag, _, key in FOLDER_OPTIONS if getattr(args, dest) not in (None, False)]
    if given:
        raise ProjectInvalid([
            Problem(flag, "applies to a folder; a preset brings its own settings", f"Drop it, or use --set {key}=…")
            for flag, key in given
        ])  # fmt: skip


def _folder_settings(args: argparse.Namespace):  # noqa: ANN202 - BucketSettings, imported lazily
    """The folder options with their defaults, checked like the preset's own [buckets] and [training]."""
    from orchestrator.compile.buckets import BucketSettings

    for dest, _, default, _ in FOLDER_OPTIONS:
        if getattr(args, dest) is None:
            setattr(args, dest, default)
    width, height = _resolution(args.resolution)
    problems = [
        Problem(flag, f"must be at least {low} (got {value})", f"e.g. {flag} {default}")
        for flag, value, low, default in (
            ("--batch-size", args.batch_size, 1, 1), ("--epochs", args.epochs, 1, 10), ("--min-bucket", args.min_bucket, 8, 256),
            ("--max-bucket", args.max_bucket, 8, 1024), ("--bucket-step", args.bucket_step, 8, 64),
        )
        if value is not None and value < low
    ]  # fmt: skip
    if not problems and not args.no_buckets:
        if args.min_bucket < args.bucket_step and not args.no_upscale:
            problems.append(Problem("--min-bucket", f"{args.min_bucket} is below --bucket-step ({args.bucket_step}): sd-scripts "
                                    "rounds it down to 0 and divides by it", f"Use --min-bucket {args.bucket_step} or more"))  # fmt: skip
        if args.min_bucket > min(width, height):
            problems.append(Problem("--min-bucket", f"{args.min_bucket} is above the resolution's short side ({min(width, height)})",
                                    f"Rule: min bucket ≤ resolution ≤ max bucket. Use --min-bucket {min(width, height)} or less"))  # fmt: skip
        if args.max_bucket < max(width, height):
            problems.append(Problem("--max-bucket", f"{args.max_bucket} is below the resolution's long side ({max(width, height)})",
                                    f"Rule: min bucket ≤ resolution ≤ max bucket. Use --max-bucket {max(width, height)} or more"))  # fmt: skip
    if problems:
        raise ProjectInvalid(problems)
    return BucketSettings((width, height), not args.no_buckets, args.min_bucket, args.max_bucket, args.bucket_step, args.no_upscale)


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
        if args.overrides:
            raise ProjectInvalid([Problem("--set", "applies to a preset; a folder takes the options listed under "
                                          "`orchestrator dataset check --help`", "e.g. --resolution 768 --batch-size 2")])  # fmt: skip
        buckets = _folder_settings(args)
        return check_directory(
            target, caption_extension=args.caption_extension, buckets=buckets, batch_size=args.batch_size,
            epochs=args.epochs, trigger=args.trigger, use_cache=not args.no_cache, progress=progress,
        )  # fmt: skip
    if not target.is_file():
        raise ProjectInvalid([Problem(args.target, "not found", "Give a preset .toml file or a dataset folder")])
    from orchestrator.schema.loader import load_project

    _preset_refuses_folder_options(args)
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
