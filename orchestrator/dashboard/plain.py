"""Off a terminal (CI, pipes, nohup): plain timestamped lines at the moments that matter.

Start, each epoch, each checkpoint and sample, every 10 % of the steps, warnings (once),
and the end. Nothing is redrawn, so a log file reads top to bottom.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import IO, Any

from rich.console import Console

from orchestrator.dashboard.report import print_report
from orchestrator.dashboard.view import Clock, duration, eta, loss_text
from orchestrator.supervise import events as ev
from orchestrator.supervise.supervisor import Outcome
from orchestrator.supervise.tracker import Tracker


class PlainSink:
    def __init__(self, stream: IO[str]):
        self.stream = stream
        self.clock = Clock()
        self.info: Mapping[str, Any] = {}
        self.next_decile = 1
        self.warned: set[str] = set()

    def _line(self, text: str) -> None:
        self.stream.write(f"{time.strftime('%H:%M:%S')} {text}\n")
        self.stream.flush()

    def start(self, info: Mapping[str, Any]) -> None:
        self.info = info
        self.clock = Clock()
        name = info.get("name") or "run"
        self._line(f"start {name}: {info.get('total_steps') or '?'} steps · backend {info.get('backend', '?')} · {info.get('run', '')}")

    def event(self, event: ev.Event, tracker: Tracker) -> None:
        if isinstance(event, ev.Progress):
            total = event.total or tracker.total_steps
            if event.bar != "steps" or not total:
                return
            if event.step * 10 >= self.next_decile * total:
                while event.step * 10 >= self.next_decile * total:
                    self.next_decile += 1
                pct = min(100, event.step * 100 // total)
                left = duration(eta(event.step, total, tracker.rate))
                self._line(f"{pct:3d}% step {event.step}/{total} · loss {loss_text(event.loss)} · "
                           f"{tracker.rate or 0:.2f} it/s · ETA {left}")  # fmt: skip
        elif isinstance(event, ev.Epoch):
            self._line(f"epoch {event.epoch}/{event.epochs}")
        elif isinstance(event, ev.Checkpoint):
            self._line(f"checkpoint {event.path}")
        elif isinstance(event, ev.Sample):
            self._line(f"samples at step {event.step}")
        elif isinstance(event, ev.Warning_) and event.message not in self.warned:
            self.warned.add(event.message)
            self._line(f"warning: {event.message}")
        elif isinstance(event, ev.Error) and event.message:
            self._line(f"error: {event.message}")

    def close(self, outcome: Outcome, tracker: Tracker) -> None:
        self._line(f"end after {duration(self.clock.elapsed())}")
        console = Console(file=self.stream, highlight=False, no_color=True, width=200, soft_wrap=True)
        print_report(console, outcome, tracker, self.info)
