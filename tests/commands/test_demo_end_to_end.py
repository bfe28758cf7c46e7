"""`orchestrator run presets/demo.toml` for real: the embedded trainer on the bundled dataset.

One interrupted run (Ctrl-C after the epoch-1 checkpoint), its resume, and a rerun: a
complete run folder, a real LoRA reopened and inspected, the history commands on it.
Repeats are lowered with --set so the three trainings take seconds, not minutes.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from safetensors import safe_open

from testpaths import FIXTURES, REPO

pytestmark = pytest.mark.slow
DEMO = str(REPO / "presets" / "demo.toml")
SMALL = ["--set", "subjects[0].repeats=2", "--set", "subjects[1].repeats=2", "--set", "training.save_state=true"]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("demo")
    return {**os.environ, "ORCHESTRATOR_RUNS": str(root / "runs"), "COLUMNS": "120"}


def cli(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "orchestrator", *args], env=env, capture_output=True, text=True,
                          cwd=REPO, timeout=600)
    if check:
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done


def runs(env: dict[str, str]) -> list[dict]:
    return json.loads(cli(env, "runs", "list", "--json").stdout)


@pytest.fixture(scope="module")
def interrupted(env: dict[str, str]) -> Path:
    """A demo run stopped with Ctrl-C once epoch 1's LoRA and state are on disk."""
    proc = subprocess.Popen([sys.executable, "-m", "orchestrator", "run", DEMO, *SMALL, "--json"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    for line in proc.stdout:
        event = json.loads(line)
        if event.get("kind") == "epoch" and event.get("epoch") == 2:  # epoch 1 is saved by now
            proc.send_signal(signal.SIGINT)
            break
    proc.stdout.read()
    assert proc.wait(timeout=120) == 130, proc.stderr.read()[-2000:]
    (run,) = [Path(r["path"]) for r in runs(env)]
    return run


def test_interrupted_run_is_consistent(interrupted: Path):
    status = json.loads((interrupted / "status.json").read_text())
    assert status["state"] == "interrupted"
    assert status["last_checkpoint"].endswith("demo-000001.safetensors")
    for name in ("project.toml", "manifest.json", "metrics.jsonl", "logs/trainer.log", "compiled/config.toml"):
        assert (interrupted / name).exists(), name
    assert (interrupted / "output" / "demo-000001-state" / "train_state.json").exists()
    trainer_pid = status["trainer_pid"]
    with pytest.raises(ProcessLookupError):
        os.killpg(trainer_pid, 0)  # nothing of the trainer's process group is left


@pytest.fixture(scope="module")
def resumed(env: dict[str, str], interrupted: Path) -> Path:
    cli(env, "runs", "resume", interrupted.name)
    newest = [Path(r["path"]) for r in runs(env) if Path(r["path"]) != interrupted]
    assert len(newest) == 1
    return newest[0]


def test_resume_finishes_the_training(resumed: Path, env: dict[str, str]):
    status = json.loads((resumed / "status.json").read_text())
    assert status["state"] == "succeeded" and status["step"] == status["total_steps"]
    assert (resumed / "output" / "demo.safetensors").exists()


def test_the_lora_is_real_and_matches_plan(resumed: Path, env: dict[str, str]):
    plan = json.loads(cli(env, "plan", DEMO, *SMALL, "--json").stdout)
    events = [json.loads(line) for line in (resumed / "metrics.jsonl").read_text().splitlines()]
    summary = next(e for e in events if e["kind"] == "summary")
    assert summary["total_steps"] == plan["total_steps"] and summary["epochs"] == 2  # printed == plan
    with safe_open(str(resumed / "output" / "demo.safetensors"), "pt") as f:
        keys, meta = set(f.keys()), f.metadata()
        ups = [f.get_tensor(k) for k in keys if k.endswith(".lora_up.weight")]
    assert all(k.startswith(("lora_unet_", "lora_te_text_model_encoder_layers_")) for k in keys)
    assert all(k.endswith((".lora_down.weight", ".lora_up.weight", ".alpha")) for k in keys)
    assert all(t.isfinite().all() for t in ups) and all(t.abs().sum() > 0 for t in ups)
    assert meta["ss_network_dim"] == "8" and meta["ss_network_alpha"] == "4.0"
    assert meta["ss_num_train_images"] == str(plan["num_train_images"])
    assert meta["ss_output_name"] == "demo" and json.loads(meta["ss_tag_frequency"])["hxh"]["hxh"] == 10
    # the same metadata keys as the real sd-scripts v0.10.1 writes (model hashes only for a file on disk)
    real = json.loads((FIXTURES / "trainer_output" / "real-sd-scripts-v0.10.1-cpu.lora.json").read_text())
    assert set(real["metadata_keys"]) - set(meta) == {"ss_sd_model_hash", "ss_new_sd_model_hash"}
    assert set(meta) <= set(real["metadata_keys"])
    assert math.isclose(sum(1 for k in keys if k.endswith(".alpha")) * 3, len(keys))


def test_history_commands_work_on_the_runs(resumed: Path, interrupted: Path, env: dict[str, str]):
    listed = {Path(r["path"]).name: r for r in runs(env)}
    assert listed[interrupted.name]["status"] == "interrupted" and listed[resumed.name]["status"] == "succeeded"
    shown = cli(env, "runs", "show", resumed.name).stdout
    assert "succeeded" in shown and "demo.safetensors" in shown
    cli(env, "runs", "rerun", "latest")
    rerun = [Path(r["path"]) for r in runs(env) if Path(r["path"]) not in (interrupted, resumed)]
    assert len(rerun) == 1 and json.loads((rerun[0] / "status.json").read_text())["state"] == "succeeded"
    diff = cli(env, "runs", "diff", resumed.name, rerun[0].name).stdout
    assert "project" in diff.lower()
    cli(env, "runs", "rm", rerun[0].name)
    assert rerun[0].name not in {Path(r["path"]).name for r in runs(env)}
