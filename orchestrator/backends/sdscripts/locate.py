"""Find the sd-scripts checkout and the Python of its environment.

Order: the preset's `trainer.path` / `trainer.python`, then `$ORCHESTRATOR_SD_SCRIPTS` /
`$ORCHESTRATOR_SD_SCRIPTS_PYTHON`, then the pinned submodule `vendor/sd-scripts`.
The Python defaults to a virtual environment inside the checkout (`venv/`, `.venv/`),
as sd-scripts' README sets one up.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from orchestrator.problems import Problem

PINNED_TAG = "v0.10.1"
PINNED_COMMIT = "ae72efb92babe89ff8e70f057e42db68440e8d61"
REPO_ROOT = Path(__file__).resolve().parents[3]
VENDORED = REPO_ROOT / "vendor" / "sd-scripts"
_MARKERS = ("train_network.py", "library/train_util.py")
_VENV_PYTHONS = ("venv/bin/python", ".venv/bin/python", "venv/Scripts/python.exe", ".venv/Scripts/python.exe")


@dataclass(frozen=True)
class Installation:
    checkout: Path
    python: Path
    commit: str | None

    @property
    def is_pinned(self) -> bool:
        return self.commit == PINNED_COMMIT


def is_checkout(path: Path) -> bool:
    return all((path / marker).is_file() for marker in _MARKERS)


def checkout_commit(checkout: Path) -> str | None:
    """HEAD of the checkout (works for submodules, whose .git is a file), or None."""
    try:
        done = subprocess.run(
            ["git", "-C", str(checkout), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = done.stdout.strip()
    return text if done.returncode == 0 and len(text) == 40 else None


def find_checkout(configured: Path | None = None) -> tuple[Path | None, list[Path]]:
    """The checkout to use and the places looked at (for the error message)."""
    candidates = [configured] if configured else []
    if os.environ.get("ORCHESTRATOR_SD_SCRIPTS"):
        candidates.append(Path(os.environ["ORCHESTRATOR_SD_SCRIPTS"]).expanduser())
    candidates.append(VENDORED)
    for path in candidates:
        if path and is_checkout(path):
            return path, candidates
        if configured is not None and path == configured:
            return None, candidates  # an explicit setting that is wrong must not fall through silently
    return None, candidates


def find_python(checkout: Path, configured: Path | None = None) -> Path | None:
    if configured is not None:
        return configured if configured.exists() else None
    if os.environ.get("ORCHESTRATOR_SD_SCRIPTS_PYTHON"):
        path = Path(os.environ["ORCHESTRATOR_SD_SCRIPTS_PYTHON"]).expanduser()
        return path if path.exists() else None
    for relative in _VENV_PYTHONS:
        if (checkout / relative).exists():
            return checkout / relative
    return None


def locate(path: Path | None = None, python: Path | None = None) -> tuple[Installation | None, list[Problem]]:
    checkout, looked = find_checkout(path)
    if checkout is None:
        places = ", ".join(str(p) for p in looked)
        return None, [
            Problem(
                "trainer.path",
                f"no sd-scripts checkout found (looked at {places})",
                "Run `git submodule update --init vendor/sd-scripts` and install it by its README (see vendor/README.md), "
                "or set trainer.path / $ORCHESTRATOR_SD_SCRIPTS. To try orchestrator without a GPU: "
                "`orchestrator run presets/demo.toml` (the embedded CPU trainer)",
                code="trainer-missing",
            )
        ]
    interpreter = find_python(checkout, python)
    if interpreter is None:
        return None, [
            Problem(
                "trainer.python",
                f"no Python environment found for {checkout} (looked for {', '.join(_VENV_PYTHONS)})",
                "Create the venv as sd-scripts' README says, or set trainer.python / $ORCHESTRATOR_SD_SCRIPTS_PYTHON",
                code="trainer-python-missing",
            )
        ]
    return Installation(checkout, interpreter, checkout_commit(checkout)), []
