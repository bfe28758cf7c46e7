"""A real LoRA from the embedded trainer (presets/demo.toml, shrunk to 5 steps, once per module):
healthy after `orchestrator run`, inspectable, and publishable offline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrator.cli import main
from testpaths import REPO

pytestmark = pytest.mark.slow
pytest.importorskip("torch")
pytest.importorskip("diffusers")


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo-runs")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ORCHESTRATOR_RUNS", str(root))
        code = main(["run", str(REPO / "presets" / "demo.toml"), "--set", "subjects[0].repeats=1", "--set", "subjects[1].repeats=1",
                     "--set", "training.epochs=1", "--set", "samples.enabled=false"])  # fmt: skip
    assert code == 0
    (folder,) = root.iterdir()
    return folder


def test_the_trained_lora_is_healthy(demo_run: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    status = json.loads((demo_run / "status.json").read_text())
    assert status["state"] == "succeeded" and status["health"]["state"] == "ok", status["health"]
    assert status["health"]["modules"] > 0
    monkeypatch.setenv("ORCHESTRATOR_RUNS", str(demo_run.parent))
    capsys.readouterr()
    assert main(["lora", "inspect", "latest", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["health"]["state"] == "ok"
    assert data["metadata"]["trigger_words"] == ["hxh", "uscaption"]
    assert data["metadata"]["network_module"] == "networks.lora" and data["metadata"]["network_dim"] == 8
    assert data["effective_scale"] == 0.5
    blocks = {b["block"]: b for b in data["blocks"]}
    assert {"te", "mid_block"} <= set(blocks) and all(b["zero_modules"] == 0 and b["delta_norm"] > 0 for b in blocks.values())


def test_the_trained_lora_publishes_offline(demo_run: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ORCHESTRATOR_RUNS", str(demo_run.parent))
    assert main(["publish", "latest", "--repo", "alice/demo-lora", "--dry-run", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert {"README.md", "demo.safetensors", "comfyui_workflow.json", "project.toml"} <= set(result["files"])
    assert main(["export", "a1111", "latest"]) == 0
    assert capsys.readouterr().out.startswith("<lora:demo:0.8>, hxh, uscaption")
