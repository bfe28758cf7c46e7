"""`orchestrator presets [list|copy]`: the shipped presets, each with its one-line purpose."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from orchestrator.commands.common import console
from orchestrator.problems import Problem, ProjectInvalid


def presets_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "presets"


def purpose(preset: Path) -> str:
    """The first comment line of a preset is its purpose."""
    for line in preset.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            return line.lstrip("# ").strip()
    return ""


def shipped() -> list[Path]:
    folder = presets_dir()
    return sorted(folder.rglob("*.toml")) if folder.is_dir() else []


def run(args: argparse.Namespace) -> int:
    out = console()
    presets = shipped()
    if args.action == "copy":
        match = [p for p in presets if p.stem == args.name]
        if not match:
            names = ", ".join(p.stem for p in presets)
            raise ProjectInvalid([Problem(args.name, "no shipped preset of that name", f"Choose one of: {names}")])
        dest = Path(args.destination)
        if dest.exists():
            raise ProjectInvalid([Problem(str(dest), "already exists", "Choose another file name; nothing was overwritten")])
        shutil.copyfile(match[0], dest)
        out.print(f"copied {match[0].name} to {dest}: edit it, then `orchestrator plan {dest}`")
        out.print("note: relative paths in it (images, extends) are relative to the new file's folder", style="dim")
        return 0
    for preset in presets:
        out.print(f"[bold]{preset.relative_to(presets_dir())}[/]  {purpose(preset)}")
    return 0
