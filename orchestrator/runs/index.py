"""Run history: find run folders, resolve `RUN` (a unique prefix or `latest`), summarise them."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from orchestrator.problems import Problem, ProjectInvalid
from orchestrator.runs.layout import RunFolder, runs_root
from orchestrator.runs.status import Status, effective, load_status


@dataclass
class RunInfo:
    folder: RunFolder
    status: Status

    @property
    def name(self) -> str:
        return self.folder.name


def all_runs(root: Path | None = None) -> list[RunInfo]:
    """Every run folder under the root, newest first (by creation time)."""
    root = root or runs_root()
    if not root.is_dir():
        return []
    runs = []
    for path in root.iterdir():
        folder = RunFolder(path)
        if not path.is_dir() or not folder.status.exists():
            continue
        runs.append(RunInfo(folder, effective(load_status(folder.status))))
    return sorted(runs, key=lambda r: (r.status.created, r.name), reverse=True)


def resolve(ref: str, root: Path | None = None) -> RunInfo:
    runs = all_runs(root)
    if ref == "latest":
        if not runs:
            raise ProjectInvalid([Problem("RUN", f"no runs yet in {root or runs_root()}", "Start one with `orchestrator run PRESET`")])
        return runs[0]
    path = Path(ref)
    if path.is_dir() and RunFolder(path).status.exists():
        return RunInfo(RunFolder(path.absolute()), effective(load_status(RunFolder(path).status)))
    exact = [r for r in runs if r.name == ref]
    matches = exact or [r for r in runs if r.name.startswith(ref)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise ProjectInvalid([Problem("RUN", f"no run matches {ref!r}", "See `orchestrator runs list`; RUN is a prefix of a folder name or `latest`")])
    names = ", ".join(r.name for r in matches[:5])
    raise ProjectInvalid([Problem("RUN", f"{ref!r} matches {len(matches)} runs ({names})", "Type more of the name")])


def final_loss(folder: RunFolder) -> float | None:
    """The last finite avr_loss in metrics.jsonl (read from the end, without loading it all)."""
    try:
        with open(folder.metrics, "rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - 65536))
            tail = handle.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return None
    for line in reversed(tail):
        if '"progress"' in line:
            try:
                data = json.loads(line)
            except ValueError:
                continue
            loss = data.get("loss")
            if data.get("bar") == "steps" and isinstance(loss, (int, float)) and math.isfinite(loss):
                return float(loss)
    return None


def metrics_summary(folder: RunFolder) -> dict[str, float | int | None]:
    losses: list[float] = []
    rate = None
    checkpoints = 0
    try:
        with open(folder.metrics, encoding="utf-8") as handle:
            for line in handle:
                data = json.loads(line)
                if data.get("kind") == "progress" and data.get("bar") == "steps":
                    if isinstance(data.get("loss"), (int, float)):
                        losses.append(float(data["loss"]))
                    rate = data.get("rate") or rate
                elif data.get("kind") == "checkpoint":
                    checkpoints += 1
    except (OSError, ValueError):
        pass
    finite = [v for v in losses if math.isfinite(v)]
    tail = finite[-max(1, len(finite) // 10) :]
    return {
        "steps_logged": len(losses),
        "final_loss": finite[-1] if finite else None,
        "min_loss": min(finite) if finite else None,
        "mean_loss_last_10pct": sum(tail) / len(tail) if tail else None,
        "it_per_s": rate,
        "checkpoints": checkpoints,
    }
