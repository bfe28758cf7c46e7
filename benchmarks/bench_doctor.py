"""`dataset check` on 2,000 generated images against the naive loop: decode every image, read every caption.

Ours is measured in-process: `orchestrator.dataset.doctor.check_dataset(project)` — every
check of the doctor (listing, sha256 of every file, headers, a decode for integrity and the
perceptual hash, captions as sd-scripts reads them, duplicates, near-duplicates, buckets,
steps and the trigger lint). The first check starts from an empty cache; the second reuses
it (nothing changed), which is what every later `plan`/`run` pays. The baseline is the loop
a script would write: `Image.open(p).convert("RGB")` and `read_text()` of the caption, and
nothing else. Both read warm files (every byte is read once beforehand).

The dataset (benchmarks/_dataset.py) is a third each PNG, JPEG and WebP. JPEG is where
draft mode pays (decoded at 1/8 scale); PNG and WebP have no reduced decode, so their
hash costs a full decode, and only the two cores separate us from the baseline there.
The rows carry per-format counts so the figure can be read against a dataset's own mix.

Every `check` row also carries `ceiling_ratio`, measured in the same run: the naive time over
one decode of the same files (JPEG in draft mode) split over the cores. No checker that
hashes every picture's pixels can beat it on this machine; read our ratio against it.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
from pathlib import Path
from typing import Any

from PIL import Image

from benchmarks._common import empty_orchestrator_cache, make_row, sig, timed
from benchmarks._dataset import SUBJECTS, ensure_dataset, subject_dir
from benchmarks.bench_plan import write_preset
from orchestrator.dataset.doctor import check_dataset, check_directory
from orchestrator.dataset.phash import NEAR_DUPLICATE_BITS, near_pairs
from orchestrator.dataset.scan import list_images
from orchestrator.schema.loader import load_project

IMAGES, QUICK_IMAGES = 2000, 300
PAIR_HASHES, QUICK_PAIR_HASHES = 10_000, 2000
RUNS, QUICK_RUNS = 1, 1


def naive_check(files: list[Path]) -> int:
    """The baseline: decode every image in full and read its caption."""
    chars = 0
    for path in files:
        with Image.open(path) as img:
            img.convert("RGB")
        caption = path.with_suffix(".txt")
        if caption.exists():
            chars += len(caption.read_text(encoding="utf-8"))
    return chars


def decode_only(files: list[Path]) -> None:
    """The least a checker that hashes pixels can do: decode each picture once, JPEG at 1/8 scale.

    PNG and WebP have no reduced decode. A JPEG draft decode still reads every entropy-coded
    block (that is what catches truncation), so it is cheaper, but not free.
    """
    for path in files:
        with Image.open(path) as img:
            if img.format in ("JPEG", "MPO"):
                img.draft("RGB", (64, 64))
            img.load()


def ceiling(naive_s: float, files: list[Path]) -> float:
    """The best ratio any pixel-hashing checker can reach on these files: the naive time over
    one (reduced where possible) decode of each, split over every core."""
    return naive_s / (timed(lambda: decode_only(files)) / (os.cpu_count() or 1))


def link_subset(files: list[Path], folder: Path) -> Path:
    """A folder of symlinks to some of the images and their captions (one format's share)."""
    folder.mkdir(parents=True)
    for path in files:
        (folder / f"{path.parent.name}-{path.name}").symlink_to(path)
        caption = path.with_suffix(".txt")
        if caption.exists():
            (folder / f"{path.parent.name}-{caption.name}").symlink_to(caption)
    return folder


def format_rows(files: list[Path], images: int) -> list[dict[str, Any]]:
    """One row per format: the same check on that format's files only, against the same naive loop."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-doctor-formats-") as tmp:
        for suffix in sorted({p.suffix for p in files}):
            share = [p for p in files if p.suffix == suffix]
            folder = link_subset(share, Path(tmp) / suffix.lstrip("."))
            with empty_orchestrator_cache():
                ours_s = timed(lambda: check_directory(folder))
            naive_s = timed(lambda: naive_check(share))
            rows.append(make_row(
                f"doctor.check_{images}_{suffix.lstrip('.')}", len(share) / ours_s, len(share) / naive_s, "images/s",
                "higher", images=len(share), ours_s=sig(ours_s), baseline_s=sig(naive_s), target=5.0,
                ceiling_ratio=sig(ceiling(naive_s, share), 3),
                measured=f"check_directory on the {suffix} files only, empty cache",
            ))  # fmt: skip
    return rows


def loop_pairs(items: list[tuple[str, int]], max_bits: int) -> list[tuple[str, str, int]]:
    """The near-pair baseline: XOR and popcount per pair in Python (map keeps the loops in C)."""
    keys, values = [k for k, _ in items], [h for _, h in items]
    found = []
    for i, h in enumerate(values):
        row = list(map(int.bit_count, map(h.__xor__, values[i + 1 :])))
        found += [(keys[i], keys[i + 1 + j], d) for j, d in enumerate(row) if d <= max_bits]
    return found


def near_pairs_row(count: int) -> dict[str, Any]:
    """All-pairs hash comparison of a large dataset (the part of the check that grows as n²)."""
    rng = random.Random(11)
    centres = [rng.getrandbits(64) for _ in range(count // 20)]  # clusters: some real near pairs
    items = [(f"img_{i:05d}", rng.choice(centres) ^ rng.getrandbits(64) >> rng.randrange(50, 64)) for i in range(count)]
    found: list = []
    ours_s = timed(lambda: found.append(near_pairs(items, NEAR_DUPLICATE_BITS)))
    loop_s = timed(lambda: found.append(loop_pairs(items, NEAR_DUPLICATE_BITS)))
    if found[0] != found[1]:
        raise AssertionError("near_pairs and the plain loop disagree")
    pairs = count * (count - 1) // 2
    return make_row(f"doctor.near_pairs_{count}", pairs / ours_s, pairs / loop_s, "comparisons/s", "higher",
                    hashes=count, close_pairs=len(found[0]), ours_s=sig(ours_s), baseline_s=sig(loop_s),
                    baseline_method="Python loop: map(int.bit_count, map(h.__xor__, later hashes)) per image",
                    measured="phash.near_pairs: numpy XOR + popcount in blocks of rows")  # fmt: skip


def run(quick: bool = False, runs: int | None = None) -> list[dict[str, Any]]:
    images = QUICK_IMAGES if quick else IMAGES
    n = runs or (QUICK_RUNS if quick else RUNS)
    root = ensure_dataset(images)
    project = load_project(write_preset(root)).project
    files = [p for name, _, _ in SUBJECTS for p in list_images(subject_dir(root, name))]
    for path in files:
        path.read_bytes()  # warm page cache for both sides
    naive_check(files[:50])  # warm-up: imports, plugins

    first, cached, naive = [], [], []
    for _ in range(n):  # alternate, so a busy spell of the machine hits both sides
        with empty_orchestrator_cache():
            report: list = []
            first.append(timed(lambda: report.append(check_dataset(project))))
            cached.append(timed(lambda: report.append(check_dataset(project))))
        naive.append(timed(lambda: naive_check(files)))
        if report[0].images != len(files) or report[1].cached != len(files):
            raise AssertionError(f"checked {report[0].images} of {len(files)} images; {report[1].cached} from cache")
    first_s, cached_s, naive_s = (statistics.median(x) for x in (first, cached, naive))
    # The bound: a checker that hashes every picture decodes each at least once (JPEG at 1/8).
    bound = ceiling(naive_s, files)
    formats = {s: sum(p.suffix == s for p in files) for s in sorted({p.suffix for p in files})}
    common = dict(images=images, runs=n, formats=formats, cores=os.cpu_count(), baseline_s=sig(naive_s),
                  baseline_method="Image.open(p).convert('RGB') and the caption's read_text() for every image",
                  dataset=str(root))  # fmt: skip
    return [
        *format_rows(files, images),
        near_pairs_row(QUICK_PAIR_HASHES if quick else PAIR_HASHES),
        make_row(f"doctor.check_{images}", images / first_s, images / naive_s, "images/s", "higher",
                 ours_s=sig(first_s), target=5.0, measured="check_dataset(project), empty cache: every check",
                 ceiling_ratio=sig(bound, 3),
                 ceiling="naive time / (one decode of every file, JPEG in draft mode at 1/8, divided by the "
                         "cores): the best ratio any checker that hashes every picture can reach here",
                 **common),  # fmt: skip
        make_row(f"doctor.cached_{images}", images / cached_s, images / naive_s, "images/s", "higher",
                 ours_s=sig(cached_s), measured="check_dataset(project) again, nothing changed: cache by path+size+mtime",
                 **common),  # fmt: skip
    ]
