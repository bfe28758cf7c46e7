"""Typed events parsed from the trainer's console; one JSON object a line in metrics.jsonl."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

Phase = str  # loading | caching latents | training | saving | sampling | evaluating | done


@dataclass
class Event:
    kind: ClassVar[str] = "event"
    t: float = 0.0  # seconds since the trainer started, set by the supervisor

    def to_json(self) -> dict[str, Any]:
        data = {"kind": self.kind, **asdict(self)}
        for key, value in data.items():
            if isinstance(value, float) and not math.isfinite(value):
                data[key] = str(value)  # NaN/inf as strings: JSON has no NaN
        return data


@dataclass
class PhaseChange(Event):
    kind: ClassVar[str] = "phase"
    phase: Phase = "loading"


@dataclass
class Summary(Event):
    """The `running training / 学習開始` block: what the trainer says it will do."""

    kind: ClassVar[str] = "summary"
    values: dict[str, str] = field(default_factory=dict)
    total_steps: int | None = None
    epochs: int | None = None
    batches_per_epoch: int | None = None


@dataclass
class Progress(Event):
    """A tqdm redraw: `steps:  12%|█▏ | 120/1000 [01:02<07:35,  1.93it/s, avr_loss=0.0912]`."""

    kind: ClassVar[str] = "progress"
    bar: str = "steps"
    step: int = 0
    total: int | None = None
    elapsed: str = ""
    remaining: str = ""
    rate: float | None = None  # iterations per second (s/it converted)
    loss: float | None = None
    postfix: dict[str, str] = field(default_factory=dict)


@dataclass
class Epoch(Event):
    kind: ClassVar[str] = "epoch"
    epoch: int = 0
    epochs: int = 0


@dataclass
class Checkpoint(Event):
    kind: ClassVar[str] = "checkpoint"
    path: str = ""
    state: bool = False  # a resumable state folder rather than a LoRA file


@dataclass
class CheckpointRemoved(Event):
    kind: ClassVar[str] = "checkpoint_removed"
    path: str = ""


@dataclass
class Sample(Event):
    kind: ClassVar[str] = "sample"
    step: int = 0


@dataclass
class Log(Event):
    """A trainer log line (rich or plain logging), wrapped lines joined."""

    kind: ClassVar[str] = "log"
    level: str = "INFO"
    message: str = ""
    source: str = ""  # `train_network.py:1729` when rich shows it


@dataclass
class Warning_(Event):
    kind: ClassVar[str] = "warning"
    message: str = ""


@dataclass
class Error(Event):
    kind: ClassVar[str] = "error"
    message: str = ""
    traceback: list[str] = field(default_factory=list)


@dataclass
class ModelSaved(Event):
    kind: ClassVar[str] = "model_saved"


@dataclass
class Exit(Event):
    kind: ClassVar[str] = "exit"
    code: int | None = None
    state: str = ""
    reason: str = ""
