"""Ctrl-C, escalation and crashes on real process groups (the orchestrator as a real process)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import fake_trainer


def start(preset: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "orchestrator", "run", str(preset), "--backend", "fake"],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def run_folder(runs: Path, timeout: float = 20) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [p for p in runs.glob("*/status.json")] if runs.exists() else []
        if found:
            return found[0].parent
        time.sleep(0.05)
    raise AssertionError("no run folder appeared")


def wait_for(predicate, timeout: float = 20, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is not alive
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def status(folder: Path) -> dict:
    return json.loads((folder / "status.json").read_text())


@pytest.fixture
def hang(tmp_path: Path):
    preset = fake_trainer.make_project(tmp_path / "project")
    pid_file = tmp_path / "grandchild.pid"
    env = fake_trainer.environment(tmp_path, "hang", speed=0.2, FAKE_TRAINER_GRANDCHILD_PID=str(pid_file))
    procs: list[subprocess.Popen] = []

    def launch(**extra: str) -> tuple[subprocess.Popen, Path]:
        proc = start(preset, {**env, **extra})
        procs.append(proc)
        folder = run_folder(tmp_path / "runs")
        wait_for(lambda: pid_file.exists() and pid_file.read_text().strip(), what="the grandchild")
        wait_for(lambda: (folder / "output" / "fake-000001.safetensors").exists(), what="the first checkpoint")
        return proc, folder

    yield launch, pid_file
    for proc in procs:  # never leave processes behind, whatever failed
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if pid_file.exists() and pid_file.read_text().strip():
        try:
            os.kill(int(pid_file.read_text()), signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_ctrl_c_stops_the_whole_group_and_names_the_checkpoint(hang) -> None:
    launch, pid_file = hang
    proc, folder = launch()
    trainer = status(folder)["trainer_pid"]
    grandchild = int(pid_file.read_text())
    assert alive(trainer) and alive(grandchild)
    proc.send_signal(signal.SIGINT)  # what Ctrl-C on the terminal delivers to the orchestrator
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 130, out
    s = status(folder)
    assert s["state"] == "interrupted"
    assert s["last_checkpoint"].endswith("fake-000001.safetensors") and "fake-000001.safetensors" in s["reason"]
    assert not alive(trainer) and not alive(grandchild)  # the grandchild ignored SIGINT: SIGTERM got it
    assert "interrupted" in out


def test_escalates_to_sigkill_and_a_second_ctrl_c_forces(hang) -> None:
    launch, pid_file = hang
    # trainer ignores SIGINT, grandchild ignores SIGINT and SIGTERM; grace 30 s would be far too long to wait
    proc, folder = launch(FAKE_TRAINER_STUBBORN="1", FAKE_TRAINER_GRANDCHILD_STUBBORN="1", ORCHESTRATOR_STOP_GRACE="30")
    grandchild = int(pid_file.read_text())
    trainer = status(folder)["trainer_pid"]
    proc.send_signal(signal.SIGINT)
    time.sleep(0.5)
    assert alive(trainer)  # still within the grace period
    begun = time.monotonic()
    proc.send_signal(signal.SIGINT)  # the second Ctrl-C: SIGKILL to the group now
    proc.communicate(timeout=30)
    assert time.monotonic() - begun < 10
    assert proc.returncode == 130 and status(folder)["state"] == "interrupted"
    assert not alive(trainer) and not alive(grandchild)


def test_grace_period_then_sigterm_then_sigkill(hang) -> None:
    launch, pid_file = hang
    proc, folder = launch(FAKE_TRAINER_STUBBORN="1", FAKE_TRAINER_GRANDCHILD_STUBBORN="1", ORCHESTRATOR_STOP_GRACE="0.5")
    grandchild = int(pid_file.read_text())
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert not alive(status(folder)["trainer_pid"]) and not alive(grandchild)


def test_killed_orchestrator_shows_as_orphaned(hang, tmp_path: Path) -> None:
    launch, pid_file = hang
    proc, folder = launch()
    assert status(folder)["state"] == "running"
    proc.kill()  # kill -9: no chance to write an end
    proc.wait()
    trainer = status(folder)["trainer_pid"]
    try:
        env = {**os.environ, **fake_trainer.environment(tmp_path)}
        listed = subprocess.run([sys.executable, "-m", "orchestrator", "runs", "list", "--json"], env=env,
                                capture_output=True, text=True, timeout=30)  # fmt: skip
        rows = json.loads(listed.stdout)
        assert [r["status"] for r in rows] == ["orphaned"]
    finally:
        os.killpg(trainer, signal.SIGKILL)
