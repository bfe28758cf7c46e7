"""On a terminal: a rich Live panel redrawn at most 4 times a second by rich's own thread.

The supervisor's thread only updates the tracker and a few counters (O(1) per event);
the refresh thread reads them when it draws, so a slow terminal can delay a frame but
never the reading of the trainer's pipes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from orchestrator.dashboard.report import print_report
from orchestrator.dashboard.sparkline import sparkline
from orchestrator.dashboard.view import Clock, LossView, duration, eta, loss_text, lr_schedule
from orchestrator.supervise import events as ev
from orchestrator.supervise.supervisor import Outcome
from orchestrator.supervise.tracker import Tracker

REFRESH_PER_SECOND = 4


class LiveSink:
    def __init__(self, console: Console):
        self.console = console
        self.clock = Clock()
        self.info: Mapping[str, Any] = {}
        self.loss = LossView()
        self.tracker: Tracker | None = None
        self.side_bar: ev.Progress | None = None  # latent caching, validation
        self.last_sample: str = "-"
        self.live: Live | None = None
        self.schedule = None

    def start(self, info: Mapping[str, Any]) -> None:
        self.info = info
        self.clock = Clock()
        self.schedule = lr_schedule(dict(info))
        self.live = Live(
            get_renderable=self.render,
            console=self.console,
            refresh_per_second=REFRESH_PER_SECOND,
            redirect_stdout=False,
            redirect_stderr=False,
            transient=False,
        )
        self.live.start()

    def event(self, event: ev.Event, tracker: Tracker) -> None:
        self.tracker = tracker
        if isinstance(event, ev.Progress):
            if event.bar == "steps":
                self.loss.add(event)
            else:
                self.side_bar = event
        elif isinstance(event, ev.Sample):
            self.last_sample = f"step {event.step}"

    # -- drawing (rich's refresh thread) ---------------------------------------------------------
    def render(self) -> Group:
        t = self.tracker or Tracker()
        total = t.total_steps or self.info.get("total_steps")
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold cyan", no_wrap=True, min_width=10)
        table.add_column(no_wrap=True, overflow="ellipsis")
        title = f"[bold]{escape(str(self.info.get('name', 'run')))}[/] · {escape(str(self.info.get('backend', '')))}"
        table.add_row("run", title)
        phase = t.phase
        if self.side_bar is not None and phase in ("caching latents", "evaluating") and self.side_bar.total:
            phase += f" {self.side_bar.step}/{self.side_bar.total}"
        table.add_row("phase", phase)
        bar = ProgressBar(total=float(total or 1), completed=float(t.step), width=40)
        pct = f"{t.step * 100 // total}%" if total else ""
        steps = Table.grid(padding=(0, 1))
        steps.add_row(bar, Text(f"{t.step}/{total or '?'} {pct}"))
        table.add_row("steps", steps)
        epochs = t.epochs or self.info.get("epochs")
        table.add_row("epoch", f"{t.epoch}/{epochs or '?'}")
        rate = f"{t.rate:.2f} it/s" if t.rate else "-"
        table.add_row("speed", f"{rate} · elapsed {duration(self.clock.elapsed())} · ETA {duration(eta(t.step, total, t.rate))}")
        smooth = loss_text(self.loss.smoothed)
        spark = sparkline(list(self.loss.values), 40)
        table.add_row("loss", f"{loss_text(t.loss)} (smoothed {smooth})  {spark}")
        if self.schedule is not None:
            table.add_row("lr", f"{self.schedule.at(t.step):.2e} ({self.schedule.scheduler}, scheduled)")
        table.add_row("checkpoint", escape(self._short(t.last_checkpoint) or "-"))
        table.add_row("sample", self.last_sample)
        if t.warnings:
            table.add_row("warnings", Text(f"{len(t.warnings)}: {t.warnings[-1]}", style="yellow", overflow="ellipsis", no_wrap=True))
        return Group(table)

    def _short(self, path: str | None) -> str | None:
        run = str(self.info.get("run") or "")
        return path[len(run) + 1 :] if path and run and path.startswith(run + "/") else path

    def close(self, outcome: Outcome, tracker: Tracker) -> None:
        self.tracker = tracker
        if self.live is not None:
            self.live.refresh()
            self.live.stop()
        print_report(self.console, outcome, tracker, self.info)
