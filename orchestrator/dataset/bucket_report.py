"""Bucket histogram, batches per bucket and total steps, from the one step planner `plan` uses.

No arithmetic of its own: sizes and repeats go into `compile.steps.plan_steps`, and this
module only shapes its answer for the report.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from orchestrator.compile.buckets import BucketSelector, BucketSettings, Size
from orchestrator.compile.steps import DatasetSpec, Schedule, StepPlan, SubsetImages, plan_steps


def step_plan(subsets: list[SubsetImages], settings: BucketSettings, batch_size: int, schedule: Schedule) -> StepPlan:
    return plan_steps([DatasetSpec(tuple(subsets), settings, batch_size)], schedule)


def images_per_bucket(sizes: list[Size], settings: BucketSettings) -> Counter[Size]:
    """Distinct images per bucket (without repeats), for the histogram's second column."""
    selector = BucketSelector(settings)
    return Counter(selector.select(w, h)[0] for w, h in sizes if w > 0 and h > 0)


def bucket_json(plan: StepPlan, distinct: Counter[Size]) -> dict[str, Any]:
    buckets = [b for dataset in plan.buckets for b in dataset]
    widest = max((b.count for b in buckets), default=1)
    return {
        "buckets": [
            {
                "resolution": list(b.resolution),
                "images": distinct.get(b.resolution, 0),
                "images_x_repeats": b.count,
                "batches_per_epoch": b.batches,
                "bar": "█" * max(1, round(30 * b.count / widest)),
            }
            for b in buckets
        ],
        "mean_ar_error": round(plan.mean_ar_error[0], 4) if plan.mean_ar_error else 0.0,
        "num_train_images": plan.num_train_images,
        "num_reg_images": plan.num_reg_images,
        "batches_per_epoch": plan.batches_per_epoch,
        "epochs": plan.epochs,
        "total_steps": plan.total_steps,
        "steps_from": plan.steps_source,
        "notes": list(plan.warnings),
    }
