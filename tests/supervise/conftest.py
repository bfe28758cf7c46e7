"""Runs go to a temp folder and the fake trainer is registered as backend `fake`."""

from __future__ import annotations

from pathlib import Path

import pytest

import fake_trainer


@pytest.fixture
def fake_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    def apply(scenario: str = "success", speed: float = 0.0, **extra: str) -> dict[str, str]:
        env = fake_trainer.environment(tmp_path, scenario, speed, **extra)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        return env

    apply()
    return apply


@pytest.fixture
def preset(tmp_path: Path) -> Path:
    return fake_trainer.make_project(tmp_path / "project")
