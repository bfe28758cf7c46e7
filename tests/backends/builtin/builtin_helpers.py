"""Helpers for the builtin trainer's tests: tiny image sets, compiled-style TOMLs, in-process runs."""

from __future__ import annotations

import contextlib
import io
import random
from dataclasses import dataclass
from pathlib import Path

import toml

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "builtin"


def make_images(folder: Path, sizes: list[tuple[int, int]], caption_every: int = 1, seed: int = 0) -> Path:
    """Flat-colour PNGs with a shape; captions `<stem>.txt` for every `caption_every`-th image."""
    from PIL import Image, ImageDraw

    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    for i, (w, h) in enumerate(sizes):
        img = Image.new("RGB", (w, h), tuple(rng.randrange(256) for _ in range(3)))
        ImageDraw.Draw(img).ellipse((w // 6, h // 6, w - w // 6, h - h // 6), fill=(200, 30, 30))
        img.save(folder / f"{i:02d}.png")
        if i % caption_every == 0:
            (folder / f"{i:02d}.txt").write_text(f"sks, red circle, tag{i}, plain background\n")
    return folder


def write_configs(tmp: Path, image_dir: Path, training: dict | None = None, dataset: dict | None = None,
                  subset: dict | None = None, extra_subsets: list[dict] | None = None) -> tuple[Path, Path]:
    """The fixture TOMLs with paths filled in and sections overridden."""
    tmp.mkdir(parents=True, exist_ok=True)
    config = toml.loads((FIXTURES / "config.toml").read_text())
    config["output"]["output_dir"] = str(tmp / "out")
    for key, value in (training or {}).items():
        if value is None:  # None removes the key (TOML has no null)
            for section in config.values():
                section.pop(key, None)
        else:
            config.setdefault("overrides", {})[key] = value
    data = toml.loads((FIXTURES / "dataset_config.toml").read_text())
    data["datasets"][0].update(dataset or {})
    data["datasets"][0]["subsets"][0]["image_dir"] = str(image_dir)
    data["datasets"][0]["subsets"][0].update(subset or {})
    data["datasets"][0]["subsets"] += extra_subsets or []
    config_path, dataset_path = tmp / "config.toml", tmp / "dataset_config.toml"
    config_path.write_text(toml.dumps(config))
    dataset_path.write_text(toml.dumps(data))
    return config_path, dataset_path


@dataclass
class Run:
    code: int
    out: str
    err: str


def run_trainer(argv: list[str]) -> Run:
    from orchestrator.backends.builtin.train import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return Run(code, out.getvalue(), err.getvalue())


def train_args(config: Path, dataset: Path, *extra: str) -> list[str]:
    return ["--config_file", str(config), "--dataset_config", str(dataset), *extra]
