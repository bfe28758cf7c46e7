"""The live dashboard in a real pseudo-terminal, its final screen asserted; plain and JSON off a TTY."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import fake_trainer
from screen_model import Screen


def run_in_pty(argv: list[str], env: dict[str, str], cols: int = 110, rows: int = 40, timeout: float = 60) -> tuple[int, bytes]:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    chunks = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO: the slave side closed
                    break
                if not data:
                    break
                chunks.append(data)
            elif proc.poll() is not None:
                break
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    return proc.returncode, b"".join(chunks)


def test_live_dashboard_on_a_tty(tmp_path: Path) -> None:
    preset = fake_trainer.make_project(tmp_path / "project")
    env = {**os.environ, **fake_trainer.environment(tmp_path, "success", speed=1.0), "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    code, raw = run_in_pty([sys.executable, "-m", "orchestrator", "run", str(preset), "--backend", "fake"], env)
    assert code == 0, raw.decode(errors="replace")[-2000:]
    text = raw.decode("utf-8", errors="replace")
    assert "\x1b[" in text  # drawn with terminal control codes, not plain lines
    screen = Screen(110)
    screen.feed(text)
    final = screen.text()
    # the last frame of the Live view, then the report
    for expected in ("phase", "steps", "12/12 100%", "epoch", "3/3", "speed", "it/s", "ETA", "loss", "smoothed",
                     "lr", "cosine", "checkpoint", "fake.safetensors", "succeeded: trained 12 steps"):  # fmt: skip
        assert expected in final, f"{expected!r} not on screen:\n{final}"
    assert "▁" in final or "█" in final  # the loss sparkline
    # at most 4 refreshes a second: the Live frames in the stream stay few for a ~1.5 s run
    frames = text.count("phase")
    assert 1 <= frames <= 4 * 10, frames


def test_plain_lines_off_a_tty(tmp_path: Path) -> None:
    preset = fake_trainer.make_project(tmp_path / "project")
    env = {**os.environ, **fake_trainer.environment(tmp_path, "success", speed=0.3)}
    done = subprocess.run([sys.executable, "-m", "orchestrator", "run", str(preset), "--backend", "fake"],
                          env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "\x1b[" not in done.stdout
    timestamped = [line for line in lines if line[:2].isdigit() and line[2] == ":"]
    assert timestamped[0].split(" ", 1)[1].startswith("start fake-")
    body = "\n".join(timestamped)
    assert "epoch 1/3" in body and "epoch 3/3" in body and "checkpoint" in body and "100% step 12/12" in body
    assert timestamped[-1].split(" ", 1)[1].startswith("end after")
