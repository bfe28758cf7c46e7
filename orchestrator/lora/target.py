"""FILE|RUN: a LoRA given as a file path, or as a run (a unique prefix of its folder name, or `latest`)."""

from __future__ import annotations

from pathlib import Path

from orchestrator.problems import Problem, ProjectInvalid
from orchestrator.runs.index import RunInfo, resolve

LORA_SUFFIXES = (".safetensors", ".ckpt", ".pt", ".pth", ".bin")


def run_lora(run: RunInfo) -> Path:
    """The run's final LoRA, else its newest saved one."""
    status = run.status
    for candidate in (status.final_lora, status.last_checkpoint):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    saved = sorted(run.folder.output_dir.glob("*.safetensors"), key=lambda p: p.stat().st_mtime, reverse=True)
    if saved:
        return saved[0]
    raise ProjectInvalid([Problem(run.name, f"the run has no LoRA file yet (state {status.state})",
                                  "Wait for it to save one, or pick another run (`orchestrator runs list`)", code="no-lora")])  # fmt: skip


def resolve_target(ref: str) -> tuple[Path, RunInfo | None]:
    path = Path(ref).expanduser()
    if path.is_file() or path.suffix.lower() in LORA_SUFFIXES:
        return path, None  # a missing file is reported by the reader, with the path
    run = resolve(ref)
    return run_lora(run), run
