"""What the events say so far: the progress a status file, a dashboard and a diagnosis need."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

from orchestrator.supervise import events as ev

TAIL = 200


@dataclass
class Tracker:
    total_steps: int | None = None
    epochs: int | None = None
    step: int = 0
    epoch: int = 0
    loss: float | None = None
    rate: float | None = None
    phase: str = "loading"
    last_checkpoint: str | None = None
    last_sample_step: int | None = None
    model_saved: bool = False
    nan_at: int | None = None
    warnings: list[str] = field(default_factory=list)
    errors: list[ev.Error] = field(default_factory=list)
    lines: deque[str] = field(default_factory=lambda: deque(maxlen=TAIL))

    def update(self, event: ev.Event) -> None:
        if isinstance(event, ev.Progress):
            if event.bar == "steps":
                self.step = event.step
                self.total_steps = event.total or self.total_steps
                self.rate = event.rate if event.rate is not None else self.rate
                if event.loss is not None:
                    self.loss = event.loss
                    if math.isnan(event.loss) and self.nan_at is None:
                        self.nan_at = event.step
                if self.phase not in ("training", "evaluating"):
                    self.phase = "training"
            elif "validation" in event.bar:
                self.phase = "evaluating"
        elif isinstance(event, ev.PhaseChange):
            self.phase = event.phase
        elif isinstance(event, ev.Summary):
            self.total_steps = event.total_steps or self.total_steps
            self.epochs = event.epochs or self.epochs
        elif isinstance(event, ev.Epoch):
            self.epoch, self.epochs = event.epoch, event.epochs
        elif isinstance(event, ev.Checkpoint):
            self.last_checkpoint = event.path
        elif isinstance(event, ev.Sample):
            self.last_sample_step = event.step
        elif isinstance(event, ev.ModelSaved):
            self.model_saved = True
            self.phase = "done"
        elif isinstance(event, ev.Exit):
            self.phase = event.state or "done"
        elif isinstance(event, ev.Warning_):
            if event.message not in self.warnings[-20:]:  # "NaN found in latents" repeats every step
                self.warnings.append(event.message)
        elif isinstance(event, ev.Error):
            self.errors.append(event)
