"""`--json`: every event as one JSON line on stdout, then the outcome, for other tools."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from typing import IO, Any

from orchestrator.supervise import events as ev
from orchestrator.supervise.supervisor import Outcome
from orchestrator.supervise.tracker import Tracker


class JsonSink:
    def __init__(self, stream: IO[str]):
        self.stream = stream
        self.info: Mapping[str, Any] = {}

    def _write(self, data: Mapping[str, Any]) -> None:
        self.stream.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")

    def start(self, info: Mapping[str, Any]) -> None:
        self.info = info
        self._write({"kind": "start", **info})
        self.stream.flush()

    def event(self, event: ev.Event, tracker: Tracker) -> None:
        self._write(event.to_json())
        if not isinstance(event, ev.Progress):
            self.stream.flush()

    def close(self, outcome: Outcome, tracker: Tracker) -> None:
        data = {k: v for k, v in asdict(outcome).items()}
        self._write({"kind": "outcome", **data, "run": str(self.info.get("run", ""))})
        self.stream.flush()
