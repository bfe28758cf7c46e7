"""A generated two-subject dataset for `bench_plan`: mixed sizes and formats, with captions.

Generated once per size into `$ORCHESTRATOR_BENCH_CACHE` (default
`~/.cache/orchestrator/bench`) and reused: 5,000 images take about a minute to draw on two
cores, far longer than the benchmark itself. The content is cheap to encode (gradient and
ellipses, a few KB a file) but the dimensions are those of real LoRA datasets, which is what
a full decode pays for.
"""

from __future__ import annotations

import os
import random
import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from benchmarks._common import cache_root

VERSION = 1  # bump when the generated content changes, so old caches are not reused
SUBJECTS = (("face", "hxh", "man"), ("captain_america", "uscaption", "man"))
# Typical dataset sizes: squares, SD 1.5 portrait/landscape, SDXL-style and odd phone crops.
SIZES = (
    (512, 512), (512, 768), (768, 512), (640, 448), (448, 640), (768, 768),
    (768, 1024), (1024, 768), (832, 1216), (1216, 832), (1024, 1024), (600, 900),
)
FORMATS = ((".png", "PNG", {}), (".jpg", "JPEG", {"quality": 85}), (".webp", "WEBP", {"quality": 80}))
TAGS = ("1boy", "male_focus", "portrait", "smile", "outdoors", "shield", "star emblem", "gloves", "upper body")


def subject_dir(root: Path, subject: str) -> Path:
    return root / subject


def _draw_one(args: tuple[Path, int, str]) -> None:
    from PIL import Image, ImageDraw  # in the worker: keeps the parent's import light

    folder, index, trigger = args
    rng = random.Random(index)  # seeded by index: the same dataset on every machine
    width, height = rng.choice(SIZES)
    suffix, fmt, options = rng.choice(FORMATS)
    colours = [tuple(rng.randrange(256) for _ in range(3)) for _ in range(2)]
    ramp = Image.linear_gradient("L").resize((width, height))
    img = Image.composite(Image.new("RGB", (width, height), colours[0]), Image.new("RGB", (width, height), colours[1]), ramp)
    draw = ImageDraw.Draw(img)
    for _ in range(6):
        x, y = rng.randrange(width), rng.randrange(height)
        fill = tuple(rng.randrange(256) for _ in range(3))
        draw.ellipse((x, y, x + rng.randrange(20, width // 2), y + rng.randrange(20, height // 2)), fill=fill)
    stem = folder / f"img_{index:05d}"
    img.save(stem.with_suffix(suffix), fmt, **options)
    caption = ", ".join([trigger, *rng.sample(TAGS, 4)])
    stem.with_suffix(".txt").write_text(caption + "\n", encoding="utf-8")


def ensure_dataset(images: int) -> Path:
    """The folder holding `images` images split over the two subjects; drawn only if absent."""
    root = cache_root() / f"plan-{images}-v{VERSION}"
    if root.is_dir():
        return root
    partial = root.with_name(root.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)  # an interrupted earlier attempt
    jobs: list[tuple[Path, int, str]] = []
    for i, (subject, trigger, _) in enumerate(SUBJECTS):
        folder = subject_dir(partial, subject)
        folder.mkdir(parents=True)
        share = range(i, images, len(SUBJECTS))  # alternate indices: even split, mixed sizes in each
        jobs += [(folder, index, trigger) for index in share]
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(_draw_one, jobs, chunksize=64))
    partial.rename(root)  # only a complete dataset gets the real name
    return root
