"""Supervision overhead: a fake trainer printing 100k tqdm updates, directly on a pty vs under
`orchestrator run` with the live dashboard on a pty.

Both sides run the same process (tests/fake_trainer.py, scenario `bench`: real tqdm with
`mininterval=0`, so every one of the 100k steps is a `\\r` redraw with `avr_loss=`, about
8 MB of bar text, as fast as Python can print it — far denser than any real trainer).
Directly, its stderr is a pty drained by this process, like a terminal. Supervised, it
writes to pipes that the orchestrator reads, logs (redacted), parses into metrics.jsonl
and shows in rich Live on a pty.

Rows: the trainer's own wall time (measured inside it, so it shows whether supervision
slows training; target: supervised/direct ≤ 1.03, i.e. ratio ≥ 0.97 in the harness's
"ratio > 1 is better" convention), the whole command's wall time (adds our start-up,
checks, manifest and hashing: a fixed cost), and the supervisor's peak RSS (VmHWM) against
the trainer's own.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path
from typing import Any

from benchmarks._common import REPO, child_env, make_row, sig

UPDATES, QUICK_UPDATES = 100_000, 20_000
RUNS, QUICK_RUNS = 3, 1
FAKE = REPO / "tests" / "fake_trainer.py"


def _peak_rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def run_on_pty(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, int, int | None]:
    """(wall seconds, exit code, peak RSS KiB of the process) with stdio on a 120x40 pty, drained."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd, close_fds=True)
    os.close(slave)
    peak = None
    next_sample = 0.0
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    if not os.read(master, 1 << 16):
                        break
                except OSError:
                    break
            now = time.perf_counter()
            if now >= next_sample:  # VmHWM only grows: sampling it 10 times a second is enough
                rss = _peak_rss_kib(proc.pid)
                peak = rss if rss is not None else peak
                next_sample = now + 0.1
            if not ready and proc.poll() is not None:
                break
    finally:
        os.close(master)
        proc.wait()
    return time.perf_counter() - started, proc.returncode, peak


def run_on_pipes(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    """Wall seconds with stdout and stderr on pipes drained by this process (no terminal at all)."""
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, check=False)
    assert done.returncode == 0, "the fake trainer failed"
    return time.perf_counter() - started


def _project(root: Path) -> Path:
    sys.path.insert(0, str(REPO / "tests"))
    try:
        import fake_trainer
    finally:
        sys.path.pop(0)
    return fake_trainer.make_project(root / "project", name="bench")


def run(quick: bool = False, runs: int | None = None) -> list[dict[str, Any]]:
    updates = QUICK_UPDATES if quick else UPDATES
    n = runs or (QUICK_RUNS if quick else RUNS)
    direct_wall, direct_own, direct_rss = [], [], []
    ours_wall, ours_own, ours_rss = [], [], []
    piped_own = []
    with tempfile.TemporaryDirectory(prefix="bench-supervise-") as tmp:
        root = Path(tmp)
        preset = _project(root)
        env = {**child_env(), "FAKE_TRAINER_SCENARIO": "bench", "FAKE_TRAINER_UPDATES": str(updates),
               "ORCHESTRATOR_RUNS": str(root / "runs"), "ORCHESTRATOR_BACKENDS": f"{FAKE}:BACKEND",
               "ORCHESTRATOR_CACHE": str(root / "cache"), "TERM": "xterm-256color"}  # fmt: skip
        timing = root / "trainer-seconds"
        env["FAKE_TRAINER_TIMING"] = str(timing)
        direct = [sys.executable, str(FAKE), "--bench"]
        ours = [sys.executable, "-m", "orchestrator", "run", str(preset), "--backend", "fake"]
        run_on_pty(direct, env, root)  # warm-up: imports and .pyc files
        for _ in range(n):
            wall, code, rss = run_on_pty(direct, {**env, "FAKE_TRAINER_OUTPUT": str(root / "direct.safetensors")}, root)
            assert code == 0, "the fake trainer failed"
            direct_wall.append(wall)
            direct_own.append(float(timing.read_text()))
            direct_rss.append(rss or 0)
            run_on_pipes(direct, {**env, "FAKE_TRAINER_OUTPUT": str(root / "direct.safetensors")}, root)
            piped_own.append(float(timing.read_text()))
            wall, code, rss = run_on_pty(ours, env, root)
            assert code == 0, "orchestrator run failed on the fake trainer"
            ours_wall.append(wall)
            ours_own.append(float(timing.read_text()))
            ours_rss.append(rss or 0)
    med = statistics.median
    note = f"{updates} tqdm updates, median of {n}"
    return [
        make_row("supervise: trainer wall time, supervised with dashboard vs direct on a pty", med(ours_own), med(direct_own),
                 "s", "lower", target="supervised/direct <= 1.03 (ratio >= 0.97)",
                 overhead=sig(med(ours_own) / med(direct_own) - 1, 3), note=note),
        make_row("supervise: trainer wall time, supervised vs direct on pipes (no terminal)", med(ours_own), med(piped_own),
                 "s", "lower", overhead=sig(med(ours_own) / med(piped_own) - 1, 3),
                 note=note + "; the stricter comparison: same kind of output channel on both sides"),
        make_row("supervise: whole `orchestrator run` vs the trainer alone", med(ours_wall), med(direct_wall), "s", "lower",
                 note=note + "; adds start-up, checks, manifest hashing, loss.png (fixed cost)"),
        make_row("supervise: supervisor peak RSS vs the trainer's", med(ours_rss) / 1024, med(direct_rss) / 1024, "MiB",
                 "lower", note="VmHWM of `orchestrator run` (without its child) against the fake trainer process"),
    ]  # fmt: skip


if __name__ == "__main__":
    import json

    for row in run(quick="--quick" in sys.argv):
        print(json.dumps(row, ensure_ascii=False))
