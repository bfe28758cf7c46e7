"""The learning rate at a step, from the scheduler sd-scripts was given (its bar does not print it).

Same shapes as diffusers' `get_scheduler`, which sd-scripts uses: linear warm-up, then
constant / linear / cosine (with restarts) / polynomial decay.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class LrSchedule:
    base: float
    scheduler: str = "constant"
    warmup: float = 0  # steps, or a fraction of all steps when below 1
    total: int = 0
    cycles: int = 1

    def warmup_steps(self) -> int:
        return int(self.warmup * self.total) if 0 < self.warmup < 1 else int(self.warmup)

    def at(self, step: int) -> float:
        warm = self.warmup_steps()
        if step < warm:
            return self.base * step / max(1, warm)
        if self.scheduler.startswith("constant") or self.total <= warm:
            return self.base
        progress = min(1.0, (step - warm) / max(1, self.total - warm))
        if self.scheduler in ("linear", "polynomial"):
            return self.base * (1 - progress)
        if self.scheduler == "cosine":
            return self.base * 0.5 * (1 + math.cos(math.pi * progress))
        if self.scheduler == "cosine_with_restarts":
            if progress >= 1:
                return 0.0
            return self.base * 0.5 * (1 + math.cos(math.pi * ((self.cycles * progress) % 1.0)))
        return self.base
