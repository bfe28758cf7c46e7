"""The health check after a successful `orchestrator run`: a warning line and `health` in
status.json; it never changes how the run ended."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import fake_trainer
import lorafiles
from orchestrator.cli import main
from orchestrator.lora.autocheck import after_training
from orchestrator.runs.layout import RunFolder
from orchestrator.runs.status import Status, read_status, write_status


def run_folder(tmp_path: Path) -> RunFolder:
    folder = RunFolder(tmp_path / "run")
    folder.output_dir.mkdir(parents=True)
    write_status(folder.status, Status(state="succeeded", backend="builtin"))
    folder.metrics.write_text('{"kind": "exit", "t": 1.0, "code": 0}\n')
    return folder


def test_a_zeroed_lora_is_reported_after_training(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = run_folder(tmp_path)
    lora = lorafiles.make(folder.output_dir / "demo.safetensors", edit=lambda k, v: v * 0 if "lora_up" in k else v)
    report = after_training(folder, str(lora))
    assert report is not None and report.state == "error"
    err = capsys.readouterr().err
    assert "warning: LoRA health error" in err and "does nothing" in err and "orchestrator lora inspect" in err
    status = json.loads(folder.status.read_text())
    assert status["health"]["state"] == "error" and status["health"]["problems"][0]["code"] == "zero-lora"
    assert status["state"] == "succeeded" and read_status(folder.status).state == "succeeded"  # still readable as a Status
    assert json.loads(folder.metrics.read_text().splitlines()[-1])["kind"] == "exit"  # metrics.jsonl is left alone


def test_a_healthy_lora_is_one_quiet_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = run_folder(tmp_path)
    lora = lorafiles.make(folder.output_dir / "demo.safetensors")
    assert after_training(folder, str(lora)).state == "ok"
    assert capsys.readouterr().err.strip() == "LoRA health: ok (264 modules, 792 tensors)"
    assert json.loads(folder.status.read_text())["health"]["state"] == "ok"


def test_the_run_command_checks_the_final_lora(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for key, value in fake_trainer.environment(tmp_path, "success", 0.0).items():
        monkeypatch.setenv(key, value)
    preset = fake_trainer.make_project(tmp_path / "project")
    assert main(["run", str(preset), "--backend", "fake"]) == 0  # a broken LoRA file does not fail the run
    (folder,) = (tmp_path / "runs").iterdir()
    status = json.loads((folder / "status.json").read_text())
    assert status["state"] == "succeeded"
    assert status["health"]["state"] == "error"  # the fake trainer writes b"fake lora\n"
    assert status["health"]["problems"][0]["code"] == "lora-unreadable"
    assert "LoRA health error" in capsys.readouterr().err
