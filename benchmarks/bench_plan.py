"""`plan` on a large dataset: our whole planning path against decoding every image for its size.

Ours is measured in-process: `orchestrator.preflight.preflight(preset)` — load and validate
the preset, list both folders, run the dataset doctor (sha256, headers, an integrity decode
and perceptual hash per image, captions, duplicates, trigger lint; its results are cached
by path + size + mtime), compile the sd-scripts configs, assign buckets and count steps. In
process so the figure is our code, not interpreter start-up (bench_cli has that). Two rows:
the first `plan` of a new dataset (empty `$ORCHESTRATOR_CACHE`, one run: it is slow) and
a repeated `plan` of the unchanged dataset (warm cache, median of N), which is what every
later `plan`/`run` pays.

The baseline is the naive loop a script would write, `Image.open(p).convert("RGB")` for
every image: it only learns the sizes, no buckets, steps or checks. Median of N passes after
a warm-up pass. Both sides read warm files (every byte is read once beforehand), and they
must agree on every image's size.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path
from typing import Any

import tomli_w
from PIL import Image

if sys.version_info >= (3, 11):
    import tomllib
else:  # the project supports 3.10, where the reader is the tomli package
    import tomli as tomllib

from benchmarks._common import REPO, empty_orchestrator_cache, make_row, sig, timed
from benchmarks._dataset import SUBJECTS, ensure_dataset, subject_dir
from orchestrator.dataset.scan import list_images
from orchestrator.preflight import preflight

IMAGES, QUICK_IMAGES = 5000, 300
RUNS, QUICK_RUNS = 3, 3


def write_preset(root: Path) -> Path:
    """presets/captain.toml with its two subjects pointed at the generated folders."""
    data = tomllib.loads((REPO / "presets" / "captain.toml").read_text(encoding="utf-8"))
    data["name"] = "bench-plan"
    data["description"] = "benchmarks/bench_plan.py: captain.toml on a generated dataset"
    for subject, (folder, trigger, _) in zip(data["subjects"], SUBJECTS, strict=True):
        subject["images"] = str(subject_dir(root, folder))
        subject["trigger"] = trigger
    path = root / "preset.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


def naive_sizes(folders: list[Path]) -> dict[str, tuple[int, int]]:
    """The baseline: list the folders, decode every image in full, keep its size."""
    sizes: dict[str, tuple[int, int]] = {}
    for folder in folders:
        for path in list_images(folder):  # the same listing rule as ours, so only reading differs
            with Image.open(path) as img:
                sizes[str(path)] = img.convert("RGB").size
    return sizes


def our_sizes(preset: Path) -> dict[str, tuple[int, int]]:
    pf = preflight(preset)
    return {str(entry.path): entry.size for inv in pf.inventory for entry in inv.images}


def run(quick: bool = False, runs: int | None = None) -> list[dict[str, Any]]:
    images = QUICK_IMAGES if quick else IMAGES
    n = runs or (QUICK_RUNS if quick else RUNS)
    root = ensure_dataset(images)
    preset = write_preset(root)
    folders = [subject_dir(root, name) for name, _, _ in SUBJECTS]
    files = [p for folder in folders for p in list_images(folder)]
    for path in files:
        path.read_bytes()  # page cache warm for both sides: we compare code, not the disk

    with empty_orchestrator_cache():  # ours, not the user's: the first plan really is a first
        first_s = timed(lambda: preflight(preset))
        ours_seen = our_sizes(preset)  # also the warm-up of the repeated path
        repeat_s = statistics.median(timed(lambda: preflight(preset)) for _ in range(n))
    naive_seen = naive_sizes(folders)  # warm-up pass of the baseline
    if ours_seen != naive_seen or len(ours_seen) != images:
        raise AssertionError(f"sizes disagree: ours {len(ours_seen)} images, naive {len(naive_seen)}, expected {images}")
    naive_s = statistics.median(timed(lambda: naive_sizes(folders)) for _ in range(n))

    common = dict(
        images=images,
        baseline_s=sig(naive_s),
        formats={s: sum(p.suffix == s for p in files) for s in sorted({p.suffix for p in files})},
        baseline_method=f"list folders, Image.open(p).convert('RGB').size for every image, median of {n}",
        dataset=str(root),
    )
    return [
        make_row(
            f"plan.first_{images}",
            images / first_s,
            images / naive_s,
            "images/s",
            "higher",
            ours_s=sig(first_s),
            measured="in-process preflight(preset), empty orchestrator cache (every doctor check), 1 run",
            **common,
        ),
        make_row(
            f"plan.repeat_{images}",
            images / repeat_s,
            images / naive_s,
            "images/s",
            "higher",
            ours_s=sig(repeat_s),
            measured=f"in-process preflight(preset) again, dataset unchanged (doctor cache warm), median of {n}",
            **common,
        ),
    ]
