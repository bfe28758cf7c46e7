"""Training scalars (loss, learning rates) in `logging_dir`, one JSON object a line.

sd-scripts writes TensorBoard event files there; the embedded trainer keeps the same
folder naming (`<logging_dir>/<log_prefix><YYYYmmddHHMMSS>/`) and tags (`loss/current`,
`loss/average`, `lr/<group>`) but writes plain JSON lines, so it needs no tensorboard.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, TextIO


class ScalarLog:
    def __init__(self, logging_dir: str | None, log_prefix: str | None) -> None:
        self._file: TextIO | None = None
        if logging_dir:
            folder = Path(logging_dir) / f"{log_prefix or ''}{time.strftime('%Y%m%d%H%M%S')}"
            folder.mkdir(parents=True, exist_ok=True)
            self._file = (folder / "scalars.jsonl").open("a", encoding="utf-8")

    def log(self, step: int, values: dict[str, Any]) -> None:
        if self._file is not None:
            self._file.write(json.dumps({"step": step, **values}) + "\n")
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
