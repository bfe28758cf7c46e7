"""Run one trainer process to its end: read, log, parse, report, stop on request, explain.

The main thread owns everything: it takes byte chunks from the reader threads, cuts
them into segments, writes the redacted raw text to trainer.log, parses events into
metrics.jsonl and hands them to the sinks (dashboard). Ctrl-C only sets a flag; the
loop turns it into signals for the trainer's process group.
"""

from __future__ import annotations

import codecs
import json
import os
import queue
import signal
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from orchestrator.runs.redact import Redactor
from orchestrator.supervise import events as ev
from orchestrator.supervise.diagnose import Diagnosis, diagnose
from orchestrator.supervise.lines import LineSplitter
from orchestrator.supervise.outputs import newest_checkpoint
from orchestrator.supervise.parser import StreamParser
from orchestrator.supervise.signals import Escalation, reap_group
from orchestrator.supervise.spawn import Child, spawn
from orchestrator.supervise.tracker import Tracker

IDLE_FLUSH = 0.3  # seconds of quiet after which a pending wrapped log line is complete
FILE_FLUSH = 0.5  # trainer.log and metrics.jsonl reach the disk at least this often
STATUS_EVERY = 2.0  # progress into status.json at most this often (and at every epoch/checkpoint)
DRAIN_AFTER_EXIT = 2.0  # how long to wait for the pipes to close once the trainer exited


class Sink(Protocol):
    def start(self, info: Mapping[str, Any]) -> None: ...

    def event(self, event: ev.Event, tracker: Tracker) -> None: ...

    def close(self, outcome: "Outcome", tracker: Tracker) -> None: ...


@dataclass
class Outcome:
    state: str  # succeeded | failed | interrupted
    exit_code: int  # what `orchestrator run` exits with: 0, 1 or 130
    trainer_exit: int | None
    reason: str
    diagnosis: Diagnosis | None = None
    last_checkpoint: str | None = None
    final_lora: str | None = None
    signals_sent: list[str] = field(default_factory=list)


@dataclass
class SupervisorConfig:
    argv: list[str]
    env: Mapping[str, str]
    cwd: Path | None
    trainer_log: Path
    metrics: Path
    output_dir: Path
    final_lora: Path
    redactor: Redactor = field(default_factory=Redactor)
    stop_on_nan: bool = True
    grace: float | None = None
    info: dict[str, Any] = field(default_factory=dict)  # shown by the sinks: name, run folder, totals


class _Interrupts:
    """Ctrl-C (and SIGTERM/SIGHUP from a batch system) counted by a handler that only sets flags."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def __init__(self) -> None:
        self.count = 0
        self.names: list[str] = []
        self._old: dict[int, Any] = {}

    def __enter__(self) -> "_Interrupts":
        for sig in self.SIGNALS:
            if signal.getsignal(sig) == signal.SIG_IGN:
                continue  # `nohup` ignores SIGHUP on purpose: a closed terminal must not stop the run
            try:
                self._old[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread (tests calling us from a thread): no handlers
                pass
        return self

    def _handle(self, signum: int, frame: object) -> None:
        self.count += 1
        self.names.append(signal.Signals(signum).name)

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._old.items():
            signal.signal(sig, handler)


class Supervisor:
    def __init__(self, config: SupervisorConfig, sinks: list[Sink], on_progress: Callable[[Tracker, bool], None] | None = None):
        self.config = config
        self.sinks = sinks
        self.on_progress = on_progress or (lambda tracker, important: None)
        self.tracker = Tracker()
        self.splitters = {"stdout": LineSplitter(), "stderr": LineSplitter()}
        self.parsers = {"stdout": StreamParser(), "stderr": StreamParser()}
        self.decoders = {name: codecs.getincrementaldecoder("utf-8")("replace") for name in self.splitters}
        self.started = time.monotonic()
        self._last_step_written = -1
        self.trainer_pid: int | None = None

    # -- output handling ---------------------------------------------------------------------
    def _emit(self, event: ev.Event) -> None:
        event.t = round(time.monotonic() - self.started, 3)
        self.tracker.update(event)
        if not isinstance(event, ev.Log) and not self._redundant(event):
            self._metrics.write(json.dumps(event.to_json(), ensure_ascii=False) + "\n")
        for sink in self.sinks:
            sink.event(event, self.tracker)
        if isinstance(event, (ev.Epoch, ev.Checkpoint, ev.Summary)):
            self.on_progress(self.tracker, True)

    def _redundant(self, event: ev.Event) -> bool:
        """tqdm redraws a step several times (update, set_postfix, timers): keep one line a step."""
        if isinstance(event, ev.Progress) and event.bar == "steps":
            if event.step == self._last_step_written:
                return True
            self._last_step_written = event.step
        return False

    def _segments(self, stream: str, segments: list[tuple[str, str]]) -> None:
        redact = self.config.redactor.text
        parser = self.parsers[stream]
        log = self._log
        for i, (text, terminator) in enumerate(segments):
            text = redact(text) if text else text
            log.write(text + terminator)
            is_bar = "%|" in text
            if is_bar and i + 1 < len(segments) and "%|" in segments[i + 1][0]:
                continue  # a flood of redraws in one read: the next one supersedes this one
            if not is_bar and text.strip():
                self.tracker.lines.append(text.rstrip())
            for event in parser.feed_segment(text, terminator):
                self._emit(event)

    def _flush_parsers(self) -> None:
        for parser in self.parsers.values():
            for event in parser.flush():
                self._emit(event)

    # -- the run -----------------------------------------------------------------------------
    def run(self) -> Outcome:
        cfg = self.config
        cfg.trainer_log.parent.mkdir(parents=True, exist_ok=True)
        with open(cfg.trainer_log, "a", encoding="utf-8", newline="") as self._log, open(
            cfg.metrics, "a", encoding="utf-8"
        ) as self._metrics, _Interrupts() as interrupts:
            for sink in self.sinks:
                sink.start({**cfg.info, "argv": cfg.redactor.argv(cfg.argv), "log": str(cfg.trainer_log)})
            try:
                child = spawn(cfg.argv, cfg.env, cfg.cwd)
            except OSError as exc:
                reason = f"cannot start the trainer ({cfg.argv[0]}): {exc.strerror or exc}"
                self._log.write(reason + "\n")
                outcome = Outcome("failed", 1, None, reason,
                                  Diagnosis("trainer-not-started", reason, "Check the trainer's Python and path (trainer.python, trainer.path)"))  # fmt: skip
                self._finish(outcome)
                return outcome
            self.trainer_pid = child.pid
            self.on_progress(self.tracker, True)
            trainer_exit, escalation, stopped_for_nan = self._loop(child, interrupts)
            outcome = self._outcome(trainer_exit, escalation, interrupts, stopped_for_nan)
            self._finish(outcome)
            return outcome

    def _loop(self, child: Child, interrupts: _Interrupts) -> tuple[int, Escalation, bool]:
        cfg = self.config
        escalation = Escalation(child.pgid) if cfg.grace is None else Escalation(child.pgid, cfg.grace)
        open_streams = {"stdout", "stderr"}
        seen_interrupts = 0
        stopped_for_nan = False
        last_data = last_flush = last_status = time.monotonic()
        exited_at: float | None = None
        while True:
            try:
                stream, data = child.chunks.get(timeout=0.1)
            except queue.Empty:
                stream, data = None, b""
            now = time.monotonic()
            if stream is not None:
                if data is None:
                    open_streams.discard(stream)
                    text = self.decoders[stream].decode(b"", final=True)
                    segments = self.splitters[stream].feed(text) + self.splitters[stream].flush()
                else:
                    last_data = now
                    segments = self.splitters[stream].feed(self.decoders[stream].decode(data))
                if segments:
                    self._segments(stream, segments)
                if data is None:
                    for event in self.parsers[stream].flush():
                        self._emit(event)
            elif now - last_data > IDLE_FLUSH:
                self._flush_parsers()
            # requests to stop
            if interrupts.count > seen_interrupts:
                if seen_interrupts == 0 and not escalation.started:
                    escalation.request()
                else:
                    escalation.force()  # a second Ctrl-C: stop now
                seen_interrupts = interrupts.count
            if cfg.stop_on_nan and self.tracker.nan_at is not None and not escalation.started:
                stopped_for_nan = True
                escalation.request()
            escalation.tick(now)
            if now - last_flush > FILE_FLUSH:
                self._log.flush()
                self._metrics.flush()
                last_flush = now
            if now - last_status > STATUS_EVERY:
                self.on_progress(self.tracker, False)
                last_status = now
            # the end: the trainer exited and its pipes closed (or a stray grandchild holds them)
            if exited_at is None and child.process.poll() is not None:
                exited_at = now
            if exited_at is not None:
                if not open_streams:
                    break
                if escalation.started or now - exited_at > DRAIN_AFTER_EXIT:
                    # what is left of the group (a grandchild that ignored SIGINT) keeps the pipes open
                    reap_group(child.pgid, grace=min(3.0, escalation.grace))
                    if now - exited_at > DRAIN_AFTER_EXIT + 7:
                        break
        reap_group(child.pgid, grace=min(3.0, escalation.grace))  # no orphans: dataloader workers, a grandchild that ignored SIGINT
        self._flush_parsers()
        return child.process.returncode, escalation, stopped_for_nan

    def _outcome(self, code: int, escalation: Escalation, interrupts: _Interrupts, nan: bool) -> Outcome:
        cfg = self.config
        tracker = self.tracker
        last = newest_checkpoint(cfg.output_dir)
        last_text = str(last) if last else None
        final = cfg.final_lora if cfg.final_lora.is_file() else None
        lines = list(tracker.lines) + [e.message for e in tracker.errors]
        if nan:
            reason = f"stopped: the loss became NaN at step {tracker.nan_at}"
            return Outcome("failed", 1, code, reason, diagnose(lines, nan=True), last_text, None, escalation.sent)
        if interrupts.count and escalation.started:
            how = "a second Ctrl-C (forced)" if "SIGKILL" in escalation.sent and interrupts.count > 1 else interrupts.names[0]
            saved = f"; last checkpoint on disk: {last}" if last else "; no checkpoint was saved yet"
            return Outcome("interrupted", 130, code, f"interrupted by {how}{saved}", None, last_text, None, escalation.sent)
        if code == 0 and final is not None:
            return Outcome("succeeded", 0, code, f"trained {tracker.step} steps", None, last_text, str(final), escalation.sent)
        if code == 0:
            diagnosis = diagnose(lines, exited_clean_without_output=True)
            reason = f"the trainer exited 0 but the final LoRA {cfg.final_lora.name} does not exist"
            return Outcome("failed", 1, code, reason, diagnosis, last_text, None, escalation.sent)
        how = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
        return Outcome("failed", 1, code, f"the trainer failed ({how})", diagnose(lines), last_text, None, escalation.sent)

    def _finish(self, outcome: Outcome) -> None:
        self._emit(ev.Exit(code=outcome.trainer_exit, state=outcome.state, reason=outcome.reason))
        self._log.flush()
        self._metrics.flush()
        for sink in self.sinks:
            sink.close(outcome, self.tracker)


def child_env(base: Mapping[str, str], extra: Mapping[str, str]) -> dict[str, str]:
    """The trainer's environment: ours plus the backend's, unbuffered so lines arrive as printed."""
    env = dict(base)
    env.update(extra)
    env.setdefault("PYTHONUNBUFFERED", "1")  # accelerator.print on a pipe would otherwise sit in a buffer
    env.setdefault("PYTHONIOENCODING", "utf-8")
    # rich wraps log lines at 80 columns off a TTY; wider lines mean fewer wraps to undo
    env.setdefault("COLUMNS", "160")
    return env


def environment() -> dict[str, str]:
    return dict(os.environ)
