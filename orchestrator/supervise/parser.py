"""sd-scripts' console output → typed events (facts §6; the builtin trainer prints the same).

Understands tqdm bars redrawn with `\\r` (`steps:` with `avr_loss=`; the latent-caching
bar), the training summary block, `epoch i/N`, saving and sample lines, rich log lines
(time, level, message wrapped at the console width, `file.py:line` on the right),
plain `LEVEL message` lines, Python and accelerate warnings, and tracebacks.

One parser per stream (stdout and stderr interleave unpredictably). Wrapped log lines
and tracebacks are only complete when the next line arrives, so `flush()` releases
what is pending when the stream goes quiet or ends.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from rich.cells import cell_len

from orchestrator.supervise import events as ev

BAR = re.compile(
    r"(?:(?P<desc>[^\r\n|]{0,80}?): *)?(?P<pct>\d{1,3})%\|[^|]*\| *(?P<n>\d+)/(?P<total>\d+) "
    r"\[(?P<elapsed>[^<\],]*)(?:<(?P<remaining>[^,\]]*))?(?:, *(?P<rate>[^,\]]*))?(?P<postfix>[^\]]*)\]"
)
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG = re.compile(
    r"^(?P<time>\[[^\]]{4,30}\]|\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d+)?)?(?P<gap>\s*)"
    r"(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL)(?: +|$)(?P<message>.*?)"
    r"(?: +(?P<source>[\w.-]+\.py:\d+))?(?P<pad> *)$"
)
SUMMARY_LINE = re.compile(r"^\s+(.+?) / .*?[:=] (.+)$")
EPOCH = re.compile(r"^epoch (\d+)/(\d+)\s*$")
SAVING = re.compile(r"^saving checkpoint: (.+?)\s*$")
REMOVING = re.compile(r"^removing old checkpoint: (.+?)\s*$")
SAMPLE = re.compile(r"generating sample images at step[^:]*: (\d+)")
PY_WARNING = re.compile(r"^\S.*?:\d+: (\w*Warning): (.+)$")
EXCEPTION = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Interrupt|Exit|Warning)|[\w.]+\.\w*Error)(?::\s?(.*))?$")
_SUMMARY_KEYS = {
    "total optimization steps": "total_steps",
    "num epochs": "epochs",
    "num batches per epoch": "batches_per_epoch",
}


def parse_bar(text: str) -> ev.Progress | None:
    match = BAR.search(text)
    if match is None:
        return None
    postfix: dict[str, str] = {}
    for part in match.group("postfix").split(","):
        key, sep, value = part.partition("=")
        if sep:
            postfix[key.strip()] = value.strip()
    loss = _float(postfix.get("avr_loss") or postfix.get("loss"))
    return ev.Progress(
        bar=(match.group("desc") or "").strip(),
        step=int(match.group("n")),
        total=int(match.group("total")),
        elapsed=match.group("elapsed").strip(),
        remaining=(match.group("remaining") or "").strip(),
        rate=_rate(match.group("rate") or ""),
        loss=loss,
        postfix=postfix,
    )


def _float(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _rate(text: str) -> float | None:
    text = text.strip()
    if text.endswith("it/s"):
        return _float(text[:-4])
    if text.endswith("s/it"):
        value = _float(text[:-4])
        return 1 / value if value else None
    return None


@dataclass
class _PendingLog:
    level: str
    parts: list[str]
    source: str
    indent: int  # continuation lines start with this many spaces
    width: int  # the message column's width (a fragment that fills it was folded mid-word)

    def add(self, fragment: str) -> None:
        previous = self.parts[-1] if self.parts else ""
        if not fragment:  # a blank line inside a multi-line message
            return
        self.parts.append(fragment)
        if self.width > 0 and cell_len(previous) >= self.width:
            # A full line ending in a long token was folded mid-word (rich folds only words
            # longer than the column); a full line of short words was wrapped at a space.
            last_token = previous.rsplit(" ", 1)[-1]
            if len(last_token) >= min(12, self.width // 2):
                self.parts[-2:] = [previous + fragment]

    def event(self) -> ev.Event:
        message = " ".join(p for p in self.parts if p)
        if self.level in ("ERROR", "CRITICAL"):
            return ev.Error(message=message)
        if self.level == "WARNING":
            return ev.Warning_(message=message)
        return ev.Log(level=self.level, message=message, source=self.source)


@dataclass
class _PendingTraceback:
    lines: list[str] = field(default_factory=list)
    message: str | None = None

    def event(self) -> ev.Error:
        return ev.Error(message=self.message or (self.lines[-1] if self.lines else "traceback"), traceback=self.lines)


class StreamParser:
    """Events from one stream's segments. `feed_segment` for each segment, `flush` when quiet."""

    def __init__(self) -> None:
        self._log: _PendingLog | None = None
        self._tb: _PendingTraceback | None = None
        self._summary: dict[str, str] | None = None

    # -- pending multi-line constructs ------------------------------------------------------
    def flush(self) -> list[ev.Event]:
        out: list[ev.Event] = []
        if self._log is not None:
            out += self._log_events(self._log.event())
            self._log = None
        if self._tb is not None:
            out.append(self._tb.event())
            self._tb = None
        return out

    def feed_segment(self, text: str, terminator: str = "\n") -> list[ev.Event]:
        if "%|" in text:  # cheap test first: most segments of a long run are bar redraws
            bar = parse_bar(text)
            if bar is not None:
                out = self.flush()
                out.append(bar)
                rest = text[BAR.search(text).end() :]  # a log line written right after an unfinished bar
                if rest.strip():
                    out += self.feed_segment(rest, terminator)
                return out
        return self._line(text.rstrip("\n"))

    # -- one line -----------------------------------------------------------------------------
    def _line(self, line: str) -> list[ev.Event]:
        out: list[ev.Event] = []
        if self._tb is not None:
            done = self._traceback_line(line)
            if not done:
                return out
            out.append(self._tb.event())
            self._tb = None
        if self._log is not None:
            if line.startswith(" " * self._log.indent) and not LOG.match(line):
                self._log.add(line[self._log.indent :].rstrip())
                return out
            out += self._log_events(self._log.event())
            self._log = None
        out += self._new_line(line)
        return out

    def _traceback_line(self, line: str) -> bool:
        """Add a line to the pending traceback; True when the line is not part of it."""
        tb = self._tb
        assert tb is not None
        if tb.message is None:
            if line.startswith((" ", "\t")) or not line.strip() or line.startswith("Traceback"):
                tb.lines.append(line)
                return False
            tb.lines.append(line)
            tb.message = line.strip()
            return False
        if line.startswith(("\t", "  ")) and line.strip():  # a multi-line exception message
            tb.lines.append(line)
            return False
        return True

    def _new_line(self, line: str) -> list[ev.Event]:
        stripped = line.strip()
        if not stripped:
            return []
        if stripped.startswith("Traceback (most recent call last)"):
            self._tb = _PendingTraceback([line])
            return []
        if self._summary is not None:
            match = SUMMARY_LINE.match(line)
            if match:
                key, value = match.group(1).strip(), match.group(2).strip()
                self._summary[key] = value
                if key == "total optimization steps":
                    return [self._finish_summary()]
                return []
            out = [self._finish_summary()]
            return out + self._new_line(line)
        if stripped.startswith("running training"):
            self._summary = {}
            return [ev.PhaseChange(phase="training")]
        match = LOG.match(line)
        if match and (match.group("time") or match.group("level")):
            return self._start_log(line, match)
        return self._plain(stripped)

    def _start_log(self, line: str, match: re.Match[str]) -> list[ev.Event]:
        message = match.group("message").rstrip()
        source = match.group("source") or ""
        pending = _PendingLog(match.group("level"), [message], source, match.start("message"), 0)
        if not (match.group("time") or len(match.group("gap")) >= 10):  # plain `LEVEL message`: never wrapped
            return self._log_events(pending.event())
        # rich pads each line to the console width; the source column sits at its right end
        pending.width = cell_len(line) - pending.indent - (len(source) + 1 if source else 0)
        self._log = pending
        return []

    def _log_events(self, event: ev.Event) -> list[ev.Event]:
        message = getattr(event, "message", "")
        return [event, *self._plain(message, from_log=True)]

    def _finish_summary(self) -> ev.Summary:
        values, self._summary = self._summary or {}, None
        summary = ev.Summary(values=values)
        for key, attr in _SUMMARY_KEYS.items():
            number = re.match(r"\d+", values.get(key, ""))
            if number:
                setattr(summary, attr, int(number.group()))
        return summary

    def _plain(self, text: str, from_log: bool = False) -> list[ev.Event]:
        """Meaning of a message, whether printed bare or inside a log line."""
        match = EPOCH.match(text)
        if match:
            return [ev.Epoch(epoch=int(match.group(1)), epochs=int(match.group(2)))]
        match = SAVING.match(text)
        if match:
            return [ev.PhaseChange(phase="saving"), ev.Checkpoint(path=match.group(1))]
        match = REMOVING.match(text)
        if match:
            return [ev.CheckpointRemoved(path=match.group(1))]
        match = SAMPLE.search(text)
        if match:
            return [ev.PhaseChange(phase="sampling"), ev.Sample(step=int(match.group(1)))]
        if text.startswith("model saved."):
            return [ev.ModelSaved()]
        if text.startswith(("saving state", "saving last state", "save train state")):
            return [ev.PhaseChange(phase="saving")]
        if text.startswith("caching latents"):
            return [ev.PhaseChange(phase="caching latents")]
        if from_log:
            return []
        match = PY_WARNING.match(text)
        if match:
            return [ev.Warning_(message=f"{match.group(1)}: {match.group(2)}")]
        if text.startswith(("WARNING:", "Warning:")) or "were not passed to `accelerate launch`" in text:
            return [ev.Warning_(message=text)]
        if text.startswith("NaN found in latents"):
            return [ev.Warning_(message=text)]
        if EXCEPTION.match(text) and not text.endswith("Warning"):
            return [ev.Error(message=text)]
        return []


def is_nan_loss(event: ev.Event) -> bool:
    return isinstance(event, ev.Progress) and event.bar == "steps" and event.loss is not None and math.isnan(event.loss)
