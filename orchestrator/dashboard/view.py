"""What every view shows, computed from the tracker: loss history, smoothing, ETA, text helpers."""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass, field

from orchestrator.dashboard.schedule import LrSchedule
from orchestrator.supervise import events as ev

HISTORY = 2000
SMOOTHING = 0.9  # exponential moving average of avr_loss


def duration(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "--:--"
    seconds = int(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def loss_text(value: float | None) -> str:
    if value is None:
        return "-"
    return "NaN" if math.isnan(value) else f"{value:.4f}"


@dataclass
class LossView:
    """Loss per step (one value a step) and its smoothed value."""

    values: deque[float] = field(default_factory=lambda: deque(maxlen=HISTORY))
    smoothed: float | None = None
    last_step: int = -1

    def add(self, event: ev.Progress) -> None:
        if event.bar != "steps" or event.loss is None or event.step == self.last_step:
            return
        self.last_step = event.step
        self.values.append(event.loss)
        if math.isfinite(event.loss):
            self.smoothed = event.loss if self.smoothed is None else SMOOTHING * self.smoothed + (1 - SMOOTHING) * event.loss


@dataclass
class Clock:
    started: float = field(default_factory=time.monotonic)

    def elapsed(self) -> float:
        return time.monotonic() - self.started


def eta(step: int, total: int | None, rate: float | None) -> float | None:
    if not total or not rate or rate <= 0:
        return None
    return max(0, total - step) / rate


def lr_schedule(info: dict) -> LrSchedule | None:
    lr = info.get("learning_rate")
    if not lr:
        return None
    return LrSchedule(float(lr), str(info.get("lr_scheduler") or "constant"), float(info.get("lr_warmup_steps") or 0),
                      int(info.get("total_steps") or 0), int(info.get("lr_scheduler_num_cycles") or 1))  # fmt: skip
