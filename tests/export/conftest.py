"""Export tests: runs go to a temp folder (see exportruns.py for the run folders they hold)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def runs_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "runs"
    root.mkdir()
    monkeypatch.setenv("ORCHESTRATOR_RUNS", str(root))
    return root
