"""A one-line loss chart from Unicode eighth blocks."""

from __future__ import annotations

import math
from collections.abc import Sequence

BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float], width: int = 40) -> str:
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return ""
    if len(values) > width:  # average into `width` buckets
        size = len(values) / width
        buckets = [values[int(i * size) : max(int((i + 1) * size), int(i * size) + 1)] for i in range(width)]
        values = [sum(b) / len(b) if all(math.isfinite(x) for x in b) else math.nan for b in buckets]
    low, high = min(finite), max(finite)
    span = high - low or 1.0
    return "".join(
        BLOCKS[min(len(BLOCKS) - 1, int((v - low) / span * len(BLOCKS)))] if math.isfinite(v) else "!" for v in values
    )
