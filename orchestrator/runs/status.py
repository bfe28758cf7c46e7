"""status.json: how a run is going or how it ended, written atomically at every change.

created → running → succeeded | failed | interrupted. A run whose supervisor died
without writing an end (kill -9, power loss) reads back as `orphaned`; a status.json that
cannot be parsed (edited by hand, a full disk) as `unreadable`, so the run stays visible.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from orchestrator.fsutil import write_atomic

State = Literal["created", "running", "succeeded", "failed", "interrupted", "orphaned", "unreadable"]
ACTIVE: tuple[str, ...] = ("created", "running")


@dataclass
class Status:
    state: State = "created"
    backend: str = ""
    created: float = field(default_factory=time.time)
    started: float | None = None
    ended: float | None = None
    exit_code: int | None = None
    reason: str = ""
    diagnosis: dict[str, Any] | None = None
    last_checkpoint: str | None = None
    final_lora: str | None = None
    supervisor_pid: int | None = None
    supervisor_started: float | None = None  # process start time, against pid reuse
    trainer_pid: int | None = None
    step: int = 0
    total_steps: int | None = None
    epoch: int = 0
    epochs: int | None = None
    loss: float | None = None
    resumed_from: str | None = None
    health: dict[str, Any] | None = None  # the LoRA health check after a successful run

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Status":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    @property
    def duration(self) -> float | None:
        if self.started is None:
            return None
        return (self.ended or time.time()) - self.started


def write_status(path: Path, status: Status) -> None:
    write_atomic(path, json.dumps(status.to_json(), indent=2, ensure_ascii=False, allow_nan=False, default=str) + "\n")


def read_status(path: Path) -> Status | None:
    try:
        return Status.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, AttributeError):  # not JSON, or not an object of our fields
        return None


def load_status(path: Path) -> Status:
    """status.json, or an `unreadable` stand-in dated by the folder: the run stays listed and usable."""
    status = read_status(path)
    if status is not None:
        return status
    try:
        created = path.parent.stat().st_mtime
    except OSError:
        created = 0.0
    return Status(state="unreadable", created=created,
                  reason=f"{path.name} cannot be read; the run's other files are untouched")  # fmt: skip


def process_start_time(pid: int) -> float | None:
    """Start time of a live process in clock ticks since boot (Linux), else None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return float(stat.rsplit(")", 1)[1].split()[19])


def pid_alive(pid: int, started: float | None = None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive, and so not our supervisor
    if started is not None:
        now = process_start_time(pid)
        if now is not None and now != started:
            return False  # the pid was reused by another process
    return True


def effective(status: Status) -> Status:
    """The status as it really is: an active run whose supervisor is gone is `orphaned`."""
    if status.state in ACTIVE and status.supervisor_pid and not pid_alive(status.supervisor_pid, status.supervisor_started):
        status.state = "orphaned"
        status.reason = status.reason or f"the supervising orchestrator (pid {status.supervisor_pid}) is gone"
    return status
