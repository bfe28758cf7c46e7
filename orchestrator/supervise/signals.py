"""Stopping a trainer: SIGINT to its whole process group, then SIGTERM, then SIGKILL.

`accelerate launch` runs the real trainer as its child: signalling only the launcher's
pid would leave the trainer running as an orphan, so every signal goes to the group.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass, field

DEFAULT_GRACE = 10.0  # seconds for a trainer to stop on SIGINT, then again on SIGTERM
GRACE_ENV = "ORCHESTRATOR_STOP_GRACE"


def default_grace() -> float:
    try:
        return float(os.environ.get(GRACE_ENV, DEFAULT_GRACE))
    except ValueError:
        return DEFAULT_GRACE


def signal_group(pgid: int, sig: int) -> bool:
    """Send `sig` to every process of the group; False when the group is gone."""
    try:
        os.killpg(pgid, sig)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return False


def group_members(pgid: int) -> list[int] | None:
    """Live (non-zombie) pids of a process group from /proc; None where there is no /proc."""
    proc = "/proc"
    if not os.path.isdir(f"{proc}/self"):
        return None
    members = []
    for entry in os.listdir(proc):
        if not entry.isdigit():
            continue
        try:
            with open(f"{proc}/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] not in (b"Z", b"X"):
            members.append(int(entry))
    return members


def group_alive(pgid: int) -> bool:
    # A zombie left unreaped (a container whose pid 1 does not reap) still answers killpg(0).
    if not signal_group(pgid, 0):
        return False
    members = group_members(pgid)
    return True if members is None else bool(members)


@dataclass
class Escalation:
    """SIGINT → (grace) → SIGTERM → (grace) → SIGKILL; `force()` goes straight to SIGKILL."""

    pgid: int
    grace: float = field(default_factory=default_grace)
    sent: list[str] = field(default_factory=list)
    _next_at: float | None = None

    @property
    def started(self) -> bool:
        return bool(self.sent)

    def request(self) -> None:
        if not self.sent:
            self._send(signal.SIGINT)

    def force(self) -> None:
        self._send(signal.SIGKILL)

    def tick(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        if self._next_at is None or now < self._next_at:
            return
        self._send(signal.SIGTERM if self.sent[-1] == "SIGINT" else signal.SIGKILL)

    def _send(self, sig: signal.Signals) -> None:
        signal_group(self.pgid, sig)
        self.sent.append(sig.name)
        self._next_at = None if sig == signal.SIGKILL else time.monotonic() + self.grace


def reap_group(pgid: int, grace: float = 3.0) -> list[str]:
    """After the leader exited: stop whatever is left of its group (workers, a stray grandchild)."""
    sent: list[str] = []
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if not group_alive(pgid):
            break
        signal_group(pgid, sig)
        sent.append(sig.name)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and group_alive(pgid):
            time.sleep(0.02)
    return sent
