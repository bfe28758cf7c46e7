"""Where a run's files live, and how a new run folder gets its unique name."""

from __future__ import annotations

import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from orchestrator.compile.compiled import CompilePaths

RUNS_ENV = "ORCHESTRATOR_RUNS"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def runs_root() -> Path:
    """`$ORCHESTRATOR_RUNS`, else `./runs` (git-ignored next to the presets)."""
    return Path(os.environ.get(RUNS_ENV) or "runs").absolute()


def safe_name(name: str) -> str:
    return _UNSAFE.sub("-", name).strip("-.") or "run"


@dataclass(frozen=True)
class RunFolder:
    path: Path

    @property
    def name(self) -> str:
        return self.path.name

    project_toml = property(lambda self: self.path / "project.toml")
    compiled_dir = property(lambda self: self.path / "compiled")
    manifest = property(lambda self: self.path / "manifest.json")
    status = property(lambda self: self.path / "status.json")
    logs_dir = property(lambda self: self.path / "logs")
    trainer_log = property(lambda self: self.path / "logs" / "trainer.log")
    metrics = property(lambda self: self.path / "metrics.jsonl")
    output_dir = property(lambda self: self.path / "output")
    samples_dir = property(lambda self: self.path / "samples")
    eval_dir = property(lambda self: self.path / "eval")
    loss_png = property(lambda self: self.path / "loss.png")

    def compile_paths(self) -> CompilePaths:
        # TensorBoard goes under logs/ beside trainer.log; sd-scripts adds its own subfolder.
        return CompilePaths(self.compiled_dir, self.output_dir, self.logs_dir / "tensorboard")

    def exists(self) -> bool:
        return self.status.exists() or self.project_toml.exists()


def plan_folder(name: str, root: Path | None = None, now: float | None = None) -> RunFolder:
    """A folder name that is not taken yet (the folder itself is made by `create`)."""
    root = root or runs_root()
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    while True:
        path = root / f"{safe_name(name)}-{stamp}-{secrets.token_hex(2)}"
        if not path.exists():
            return RunFolder(path)


def create(folder: RunFolder) -> RunFolder:
    """Make the folder; `exist_ok=False` so a run never overwrites another."""
    folder.path.parent.mkdir(parents=True, exist_ok=True)
    folder.path.mkdir(exist_ok=False)
    for sub in (folder.compiled_dir, folder.logs_dir, folder.output_dir):
        sub.mkdir()
    # sd-scripts writes samples to <output_dir>/sample; expose them where the layout promises.
    try:
        folder.samples_dir.symlink_to(Path("output") / "sample", target_is_directory=True)
    except OSError:  # filesystems without symlinks: the samples stay in output/sample
        pass
    return folder
