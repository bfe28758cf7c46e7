"""`orchestrator publish RUN --repo user/name`: model-card folder, then the Hugging Face upload."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.markup import escape

from orchestrator.commands.common import console, print_json, print_problems
from orchestrator.problems import Problem


def run(args: argparse.Namespace) -> int:
    from orchestrator.export import publish
    from orchestrator.export.source import resolve_source

    publish.check_repo(args.repo)  # before any work: a typo costs nothing
    src = resolve_source(args.run)
    if args.output:
        folder = Path(args.output)
    elif src.run is not None:
        folder = src.run.folder.path / "publish"
    else:
        folder = Path(f"{src.name}-hf")
    result = publish.write_folder(src, args.repo, folder, license=args.license, weight=args.weight)
    if not args.dry_run:
        result = publish.upload(result, args.repo, private=args.private)
    if args.json:
        print_json({**result.to_json(), "repo": args.repo, "dry_run": args.dry_run})
        return 0
    out = console()
    out.print(f"model card folder: {escape(str(result.folder))}")
    for name in result.files:
        out.print(f"  {escape(name)}")
    print_problems([Problem("publish", n, severity="info") for n in result.notes], stderr=False)
    if result.url:
        out.print(f"[bold green]uploaded[/]: {escape(result.url)}" + (" (private)" if args.private else ""))
    else:
        out.print(f"dry run: nothing uploaded. Upload with: orchestrator publish {escape(args.run)} --repo {escape(args.repo)}")
    return 0
