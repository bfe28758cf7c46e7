"""`orchestrator run` end to end on the fake trainer: folders, status, diagnosis, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrator.cli import main
from orchestrator.runs.index import all_runs

TOKEN = "hf_abcdefghijklmnopqrstuvwxyz0123456789"


def only_run() -> Path:
    runs = all_runs()
    assert len(runs) == 1
    return runs[0].folder.path


def status(folder: Path) -> dict:
    return json.loads((folder / "status.json").read_text())


def test_success_leaves_a_complete_run_folder(preset: Path, fake_env, monkeypatch, capsys) -> None:
    fake_env("success", speed=0.3, FAKE_TRAINER_ECHO=f"HF_TOKEN={TOKEN}")
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    assert main(["run", str(preset), "--backend", "fake"]) == 0
    folder = only_run()
    assert folder.name.startswith("fake-") and len(folder.name.split("-")[-1]) == 4
    for name in ("project.toml", "manifest.json", "status.json", "metrics.jsonl", "logs/trainer.log", "loss.png",
                 "compiled/config.toml", "compiled/dataset_config.toml", "compiled/command.json", "compiled/command.sh",
                 "output/fake.safetensors", "output/fake-000001.safetensors"):  # fmt: skip
        assert (folder / name).exists(), name
    s = status(folder)
    assert (s["state"], s["exit_code"], s["step"], s["total_steps"], s["epoch"]) == ("succeeded", 0, 12, 12, 3)
    assert s["final_lora"].endswith("output/fake.safetensors") and s["loss"] == pytest.approx(0.123)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["trainer"]["backend"] == "fake" and manifest["orchestrator"]["version"]
    assert manifest["models"]["base"]["sha256"] and manifest["seeds"]["training"] == 7
    files = manifest["dataset"]["subsets"][0]["files"]
    assert len(files) == 8 and all(len(f["sha256"]) == 64 for f in files)
    assert manifest["times"]["started"] and manifest["times"]["ended"]
    # the resolved project re-runs as is
    from orchestrator.runs.diff import read_project

    project = read_project(folder / "project.toml")
    assert project["name"] == "fake" and Path(project["subjects"][0]["images"]).is_absolute()
    # the token the trainer printed is masked in the log, and no file of the run holds it
    log = (folder / "logs" / "trainer.log").read_text()
    assert "HF_TOKEN=***" in log and "epoch 3/3" in log
    for path in folder.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path
    out = capsys.readouterr().out
    assert "succeeded" in out and "epoch 2/3" in out and "checkpoint" in out


@pytest.mark.parametrize(
    ("scenario", "code"),
    [("oom", "out-of-memory"), ("nodata", "no-data"), ("nan", "nan-loss"), ("crash", "unknown")],
)
def test_failures_are_diagnosed(scenario: str, code: str, preset: Path, fake_env, capsys) -> None:
    fake_env(scenario, speed=0.0 if scenario != "nan" else 0.5)
    assert main(["run", str(preset), "--backend", "fake"]) == 1
    s = status(only_run())
    assert s["state"] == "failed" and s["diagnosis"]["code"] == code
    out = capsys.readouterr().out
    assert "failed" in out and s["diagnosis"]["fix"] in out
    if scenario == "nodata":
        assert s["exit_code"] == 0  # sd-scripts exits 0 having written nothing: still a failure
    if scenario == "nan":
        assert s["step"] < 12  # stopped at the first NaN instead of training on
    if scenario == "crash":
        assert any("ValueError: Expected a tensor" in line for line in s["diagnosis"]["tail"])


def test_invalid_project_and_backend_create_nothing(preset: Path, fake_env, tmp_path: Path) -> None:
    assert main(["run", str(preset), "--backend", "nope"]) == 2
    assert main(["run", str(preset), "--backend", "fake", "--set", "training.batch_size=0"]) == 2
    assert not (tmp_path / "runs").exists()


def test_dry_run_prints_the_command_and_writes_nothing(preset: Path, fake_env, tmp_path: Path, capsys) -> None:
    assert main(["run", str(preset), "--backend", "fake", "--dry-run", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["backend"] == "fake" and data["total_steps"] == 12 and "fake_trainer.py" in data["argv"][1]
    assert not (tmp_path / "runs").exists()


def test_json_streams_events(preset: Path, fake_env, capsys) -> None:
    assert main(["run", str(preset), "--backend", "fake", "--json", "--name", "streamed"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    kinds = [line["kind"] for line in lines]
    assert kinds[0] == "start" and kinds[-1] == "outcome" and "epoch" in kinds and "progress" in kinds
    assert lines[-1]["state"] == "succeeded" and "/streamed-" in lines[-1]["run"]


def test_supervisor_does_not_import_torch(preset: Path, fake_env, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    code = ("import sys; from orchestrator.cli import main; rc = main(['run', sys.argv[1], '--backend', 'fake']); "
            "assert 'torch' not in sys.modules, 'torch imported'; sys.exit(rc)")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code, str(preset)], env=dict(os.environ), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
