"""Aspect-ratio buckets, computed exactly as sd-scripts v0.10.1 computes them.

Mirrors library/model_util.py `make_bucket_resolutions` and library/train_util.py
`BucketManager.select_bucket` / `BaseDataset.adjust_min_max_bucket_reso_by_steps`
(facts doc §5.1). Pure functions: sizes in, buckets out, so `plan`, the dataset
doctor and the embedded trainer share one implementation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Size = tuple[int, int]


@dataclass(frozen=True)
class BucketSettings:
    """What decides an image's bucket: the dataset's resolution and bucket options."""

    resolution: Size  # (width, height) of the training area
    enabled: bool = True
    min_reso: int = 256
    max_reso: int = 1024
    step: int = 64
    no_upscale: bool = False


def adjust_min_max(settings: BucketSettings) -> tuple[int, int]:
    """Snap min down and max up to the bucket step, as the trainer does before bucketing."""
    step = settings.step
    min_reso, max_reso = settings.min_reso, settings.max_reso
    if min_reso % step != 0:
        min_reso = min_reso - min_reso % step
    if max_reso % step != 0:
        max_reso = max_reso + step - max_reso % step
    return min_reso, max_reso


def candidate_buckets(resolution: Size, min_size: int, max_size: int, step: int) -> list[Size]:
    """The predefined bucket resolutions, sorted by (width, height)."""
    max_area = resolution[0] * resolution[1]
    resos: set[Size] = set()
    side = int(math.sqrt(max_area) // step) * step
    resos.add((side, side))
    width = min_size
    while width <= max_size:
        height = min(max_size, int((max_area // width) // step) * step)
        if height >= min_size:
            resos.add((width, height))
            resos.add((height, width))
        width += step
    return sorted(resos)


class BucketSelector:
    """Assigns image sizes to buckets; one instance per dataset, like the trainer's BucketManager."""

    def __init__(self, settings: BucketSettings):
        self.settings = settings
        self._max_area = settings.resolution[0] * settings.resolution[1]
        if not settings.enabled:
            self._predefined = [settings.resolution]
        elif settings.no_upscale:
            self._predefined = []
        else:
            lo, hi = adjust_min_max(settings)
            self._predefined = candidate_buckets(settings.resolution, lo, hi, settings.step)
        self._predefined_set = set(self._predefined)
        self._aspects = [w / h for w, h in self._predefined]

    @property
    def only_square(self) -> bool:
        """Every bucket is square (a small resolution with a coarse step): no image keeps its shape."""
        return bool(self._predefined) and all(w == h for w, h in self._predefined)

    def _round_to_steps(self, x: float) -> int:
        xi = int(x + 0.5)
        return xi - xi % self.settings.step

    def select(self, width: int, height: int) -> tuple[Size, float]:
        """Return (bucket resolution, aspect-ratio error) for an image of this size."""
        aspect = width / height
        if not self.settings.enabled or not self.settings.no_upscale:
            reso: Size = (width, height)
            if reso not in self._predefined_set:
                errors = [abs(a - aspect) for a in self._aspects]
                reso = self._predefined[errors.index(min(errors))]  # first on ties, like argmin
        else:
            reso = self._select_no_upscale(width, height, aspect)
        return reso, (reso[0] / reso[1]) - aspect if reso[1] else math.inf

    def _select_no_upscale(self, width: int, height: int, aspect: float) -> Size:
        step = self.settings.step
        if width * height > self._max_area:
            resized_w = math.sqrt(self._max_area * aspect)
            resized_h = self._max_area / resized_w
            bw = self._round_to_steps(resized_w)
            bh_in_w = self._round_to_steps(bw / aspect)
            bh = self._round_to_steps(resized_h)
            if bh_in_w == 0 or bh == 0:
                return (0, 0)  # a side rounds to 0: the trainer divides by it here (the doctor reports it)
            ar_w = bw / bh_in_w
            bw_in_h = self._round_to_steps(bh * aspect)
            ar_h = bw_in_h / bh
            if abs(ar_w - aspect) < abs(ar_h - aspect):
                resized = (bw, int(bw / aspect + 0.5))
            else:
                resized = (int(bh * aspect + 0.5), bh)
        else:
            resized = (width, height)
        return (resized[0] - resized[0] % step, resized[1] - resized[1] % step)
