"""Deciding before a download whether the Hub can be used: HF_HUB_OFFLINE, or no DNS for its host."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from orchestrator import hub


def test_hf_hub_offline_wins_without_a_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: pytest.fail("looked up the host"))
    assert hub.cache_only() == (True, "HF_HUB_OFFLINE is set")


def test_a_host_that_does_not_resolve_means_cache_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "https://mirror.example.invalid/")
    asked: list[str] = []

    def no_dns(host: str, *args, **kwargs):
        asked.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    assert hub.cache_only() == (True, "mirror.example.invalid cannot be reached (no network?)")
    assert asked == ["mirror.example.invalid"]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: [("resolved",)])
    assert hub.cache_only() == (False, "")


def test_tagging_offline_fails_at_once_with_the_reason(tmp_path: Path) -> None:
    """The real command in a fresh process: a Hub host that cannot resolve (.invalid never does),
    an empty cache, HF_HUB_OFFLINE unset. huggingface_hub alone would retry for ~25 s first."""
    images = tmp_path / "images"
    images.mkdir()
    Image.new("RGB", (64, 64), (255, 0, 0)).save(images / "a.png")
    env = {**os.environ, "HF_ENDPOINT": "https://hub.invalid", "HF_HOME": str(tmp_path / "hf home")}
    for name in ("HF_HUB_OFFLINE", "HF_HUB_CACHE"):
        env.pop(name, None)
    done = subprocess.run([sys.executable, "-m", "orchestrator", "tag", str(images), "--model", "someone/wd-tagger"],
                          capture_output=True, text=True, env=env, timeout=60)  # fmt: skip
    assert done.returncode == 2, done.stderr
    message = " ".join(done.stderr.split())
    assert "model.onnx is not in the Hugging Face cache and hub.invalid cannot be reached (no network?)" in message
    assert "Traceback" not in done.stderr and "Retrying" not in done.stderr
