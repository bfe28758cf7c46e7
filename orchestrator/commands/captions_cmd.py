"""`orchestrator captions ACTION PRESET|DIR`: edit comma-separated captions (dry run by default), count tags."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from orchestrator.commands.common import console, print_json, print_problems
from orchestrator.dataset import tags as T
from orchestrator.dataset.caption_edit import TagEdit, diff, plan_edits, write_edits
from orchestrator.dataset.caption_file import read_caption
from orchestrator.dataset.listing import BACKUP_DIR, list_folder
from orchestrator.dataset.targets import FolderTarget, targets_from_dir, targets_from_project
from orchestrator.problems import Problem, ProjectInvalid


def _targets(args: argparse.Namespace) -> list[FolderTarget]:
    target = Path(args.target)
    if target.is_dir():
        folders = list(targets_from_dir(target, caption_extension=args.caption_extension, trigger=args.trigger).folders)
    elif target.is_file():
        from orchestrator.schema.loader import load_project

        project = load_project(target, args.overrides).project
        folders = [f for f in targets_from_project(project).folders if not f.is_reg]
    else:
        raise ProjectInvalid([Problem(args.target, "not found", "Give a preset .toml file or a caption folder")])
    if args.subject:
        chosen = [f for f in folders if f.subject in args.subject]
        if not chosen:
            names = ", ".join(f.subject for f in folders)
            raise ProjectInvalid([Problem("--subject", f"no subject named {', '.join(args.subject)}", f"Choose from: {names}")])
        folders = chosen
    return folders


def _caption_paths(target: FolderTarget, create: bool) -> list[Path]:
    listing = list_folder(target.folder, target.caption_extension)
    paths = list(listing.captions.values())
    if create:
        paths += [img.with_suffix(target.caption_extension) for img in listing.uncaptioned]
    return list(dict.fromkeys(paths))


def _tag_list(values: list[str]) -> list[str]:
    tags = T.dedupe(t for value in values for t in T.split_caption(value))
    if not tags:
        raise ProjectInvalid([Problem("TAGS", f"no tags given (got {values!r})", 'Write them comma-separated, e.g. "glasses, smile"')])
    return tags


def _edit_for(args: argparse.Namespace, target: FolderTarget) -> TagEdit:
    trigger = args.trigger or target.trigger
    if args.action == "prepend-trigger":
        if not trigger:
            raise ProjectInvalid([Problem("--trigger", "no trigger to prepend", "Pass --trigger WORD (a preset's subjects have their own)")])
        return lambda tags: T.prepend(tags, trigger)
    if args.action == "add":
        new = _tag_list(args.tags)

        def add(tags: list[str]) -> list[str]:
            keep = 1 if trigger and tags and T.key(tags[0]) == T.key(trigger) else 0  # stay behind the trigger
            return T.add(tags, new, front=args.front, keep=keep)

        return add
    if args.action == "remove":
        unwanted = _tag_list(args.tags)
        return lambda tags: T.remove(tags, unwanted)
    if args.action == "replace":
        if len(T.split_caption(args.old)) != 1:
            raise ProjectInvalid([Problem("OLD", f"must be exactly one tag (got {args.old!r})", "e.g. captions replace DIR 1boy 1man")])
        if not T.split_caption(args.new):
            raise ProjectInvalid([Problem("NEW", "is empty: replacing a tag by nothing removes it",
                                          f"Use `orchestrator captions remove TARGET {args.old!r}`")])  # fmt: skip
        return lambda tags: T.replace(tags, args.old, args.new)
    return T.dedupe  # normalize: duplicates out, spelling by --spelling


def _freq(args: argparse.Namespace, folders: list[FolderTarget]) -> int:
    result: dict[str, Any] = {}
    for target in folders:
        listing = list_folder(target.folder, target.caption_extension)
        texts = [read_caption(p).text or "" for p in dict.fromkeys(listing.captions.values())]
        counts = T.frequency(texts)
        result[target.subject] = {
            "captions": len(texts),
            "tags": dict(counts.most_common(args.top or None)),
            "spelling_variants": T.spelling_variants(counts),
        }
    if args.json:
        print_json(result)
        return 0
    out = console()
    for subject, data in result.items():
        out.print(f"[bold]{subject}[/] ({data['captions']} captions)")
        for tag, n in data["tags"].items():
            share = n / data["captions"] if data["captions"] else 0
            out.print(f"  {n:>5}  {share:>4.0%}  {tag}", markup=False, highlight=False)
        for spellings in data["spelling_variants"].values():
            out.print(f"  [yellow]![/] counted apart: {' / '.join(spellings)} (same tag; `captions normalize --spelling spaces` merges them)")
    return 0


def run(args: argparse.Namespace) -> int:
    if not args.action:
        raise ProjectInvalid([Problem("captions", "choose an action", "orchestrator captions --help lists them")])
    folders = _targets(args)
    if args.action == "freq":
        return _freq(args, folders)
    create = bool(getattr(args, "create_missing", False))
    edits, problems = [], []
    for target in folders:
        e, p = plan_edits(_caption_paths(target, create), _edit_for(args, target), args.spelling, create)
        edits += e
        problems += p
    written = write_edits(edits) if args.write else None
    if args.json:
        print_json({
            "action": args.action, "write": bool(args.write),
            "changes": [{"path": str(e.path), "before": e.before, "after": e.after, "note": e.note} for e in edits],
            "written": [str(p) for p in written.written] if written else [],
            "backups": [str(p) for p in written.backup_dirs] if written else [],
            "problems": [p.to_json() for p in problems + (written.skipped if written else [])],
        })  # fmt: skip
    else:
        _show(edits, written, args)
        print_problems(problems + (written.skipped if written else []), stderr=False)
    failed = problems or (written and written.skipped)
    return 1 if failed else 0


def _show(edits: list, written: Any, args: argparse.Namespace) -> None:
    out = console()
    if not written:
        for e in edits:
            for line in diff(e).splitlines():
                style = "green" if line.startswith("+") else "red" if line.startswith("-") else "dim"
                out.print(line, style=style, markup=False, highlight=False)
        n = len(edits)
        if n:
            out.print(f"{n} caption file(s) would change. Dry run: nothing written; add --write to apply "
                      f"(originals are kept in {BACKUP_DIR}/ beside them).")  # fmt: skip
        else:
            out.print("nothing to change.")
        return
    out.print(f"wrote {len(written.written)} caption file(s)")
    for folder in written.backup_dirs:
        out.print(f"originals kept in {folder}", style="dim", markup=False)
    if not edits:
        out.print("nothing to change.")
