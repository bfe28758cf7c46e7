"""Step arithmetic exactly as sd-scripts v0.10.1 does it (facts doc §5).

Pure: image sizes, repeats and schedule in; the numbers the trainer prints out
("num train images * repeats", "num batches per epoch", "num epochs",
"total optimization steps"). `plan`, the dataset doctor and the embedded trainer
all call `plan_steps`, so they can never disagree.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from orchestrator.compile.buckets import BucketSelector, BucketSettings, Size

SD_SCRIPTS_DEFAULT_MAX_STEPS = 1600


@dataclass(frozen=True)
class SubsetImages:
    """One subset as the trainer sees it: image sizes in its (sorted path) order."""

    name: str
    sizes: tuple[Size, ...]
    repeats: int
    is_reg: bool = False


@dataclass(frozen=True)
class DatasetSpec:
    subsets: tuple[SubsetImages, ...]
    buckets: BucketSettings
    batch_size: int


@dataclass(frozen=True)
class Schedule:
    max_train_epochs: int | None = None
    max_train_steps: int | None = None
    gradient_accumulation_steps: int = 1
    num_processes: int = 1


@dataclass(frozen=True)
class BucketCount:
    resolution: Size
    count: int  # images including repeats
    batches: int


@dataclass
class StepPlan:
    num_train_images: int  # Σ train images × repeats
    num_reg_images: int  # Σ reg images × repeats, as printed (before balancing)
    reg_images_used: int  # reg entries actually in the buckets after balancing
    batches_per_epoch: int  # per process, as printed
    epochs: int
    total_steps: int
    steps_source: str  # "epochs" | "max_train_steps" | "default"
    buckets: list[list[BucketCount]] = field(default_factory=list)  # per dataset
    mean_ar_error: list[float] = field(default_factory=list)  # per dataset
    warnings: list[str] = field(default_factory=list)

    @property
    def no_data(self) -> bool:
        return self.num_train_images == 0


def balanced_reg_repeats(reg: list[tuple[SubsetImages, int]], num_train: int) -> list[int]:
    """Effective repeats per reg image (0 = unused), following DreamBoothDataset's loop."""
    repeats = [0] * len(reg)
    n = 0
    first_loop = True
    while n < num_train:
        for i, (subset, _) in enumerate(reg):
            if first_loop:
                repeats[i] = subset.repeats
                n += subset.repeats
            else:
                repeats[i] += 1
                n += 1
            if n >= num_train:
                break
        first_loop = False
    return repeats


def _dataset_buckets(spec: DatasetSpec) -> tuple[list[BucketCount], float, int, int, int]:
    selector = BucketSelector(spec.buckets)
    counts: Counter[Size] = Counter()
    ar_errors: list[float] = []
    num_train = num_reg = 0
    reg: list[tuple[SubsetImages, int]] = []
    for subset in spec.subsets:
        if subset.repeats < 1 or not subset.sizes:
            continue  # the trainer ignores these subsets with a warning
        if subset.is_reg:
            num_reg += subset.repeats * len(subset.sizes)
            reg.extend((subset, i) for i in range(len(subset.sizes)))
            continue
        num_train += subset.repeats * len(subset.sizes)
        for w, h in subset.sizes:
            reso, err = selector.select(w, h)
            counts[reso] += subset.repeats
            ar_errors.append(abs(err))
    reg_used = 0
    if reg:
        for (subset, i), repeats in zip(reg, balanced_reg_repeats(reg, num_train)):
            if repeats:
                w, h = subset.sizes[i]
                reso, err = selector.select(w, h)
                counts[reso] += repeats
                ar_errors.append(abs(err))
                reg_used += repeats
    buckets = [
        BucketCount(reso, count, math.ceil(count / spec.batch_size))
        for reso, count in sorted(counts.items())
    ]
    mean_err = sum(ar_errors) / len(ar_errors) if ar_errors else 0.0
    return buckets, mean_err, num_train, num_reg, reg_used


def plan_steps(datasets: list[DatasetSpec], schedule: Schedule) -> StepPlan:
    """Compute the numbers sd-scripts prints in its training summary."""
    all_buckets: list[list[BucketCount]] = []
    errors: list[float] = []
    num_train = num_reg = reg_used = 0
    for spec in datasets:
        buckets, mean_err, t, r, used = _dataset_buckets(spec)
        all_buckets.append(buckets)
        errors.append(mean_err)
        num_train += t
        num_reg += r
        reg_used += used

    batches = sum(b.batches for buckets in all_buckets for b in buckets)
    procs, ga = schedule.num_processes, schedule.gradient_accumulation_steps
    warnings: list[str] = []
    if num_reg and num_train < num_reg:
        warnings.append(
            f"only {reg_used} of {num_reg} regularisation images (with repeats) are used: "
            "the trainer balances them to the number of training images"
        )
    if schedule.max_train_epochs is not None:
        steps = schedule.max_train_epochs * math.ceil(batches / procs / ga)
        source = "epochs"
    elif schedule.max_train_steps is not None:
        steps, source = schedule.max_train_steps, "max_train_steps"
    else:
        steps, source = SD_SCRIPTS_DEFAULT_MAX_STEPS, "default"
        warnings.append(
            f"neither epochs nor max_steps is set: sd-scripts silently trains "
            f"{SD_SCRIPTS_DEFAULT_MAX_STEPS} steps. Set training.epochs or training.max_steps."
        )
    per_process = math.ceil(batches / procs)  # accelerate shards the loader (even batches)
    updates_per_epoch = math.ceil(per_process / ga)
    epochs = math.ceil(steps / updates_per_epoch) if updates_per_epoch else 0
    return StepPlan(
        num_train_images=num_train,
        num_reg_images=num_reg,
        reg_images_used=reg_used,
        batches_per_epoch=per_process,
        epochs=epochs,
        total_steps=steps,
        steps_source=source,
        buckets=all_buckets,
        mean_ar_error=errors,
        warnings=warnings,
    )
