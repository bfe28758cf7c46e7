"""Shared test set-up: user state goes to a temp dir; golden files update only on request."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import fake_trainer


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite golden files from the current output")


@pytest.fixture(scope="session", autouse=True)
def _isolated_user_state(tmp_path_factory: pytest.TempPathFactory):
    """Caches and runs never touch the developer's home; one cache per test session."""
    cache = tmp_path_factory.mktemp("orchestrator-cache")
    old = os.environ.get("ORCHESTRATOR_CACHE")
    os.environ.setdefault("ORCHESTRATOR_CACHE", str(cache))
    os.environ["HF_HUB_OFFLINE"] = "1"
    yield
    if old is None:
        os.environ.pop("ORCHESTRATOR_CACHE", None)


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


# The fake trainer, registered as backend `fake`, drives the run/supervise/dashboard tests.
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


@pytest.fixture
def runs_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty runs folder that `latest` and every run lookup use."""
    root = tmp_path / "runs"
    root.mkdir()
    monkeypatch.setenv("ORCHESTRATOR_RUNS", str(root))
    return root
