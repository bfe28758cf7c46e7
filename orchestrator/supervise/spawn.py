"""Start the trainer in its own process group, no shell, and read both pipes without deadlock.

One reader thread per pipe does blocking `os.read`s of up to 64 KiB and hands the
bytes to a queue, so a trainer that floods stderr with tqdm redraws never blocks on
a full pipe while we wait on stdout, and the consumer can also wake up for signals.
"""

from __future__ import annotations

import os
import queue
import subprocess
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

CHUNK = 1 << 16


@dataclass
class Child:
    process: subprocess.Popen
    chunks: "queue.SimpleQueue[tuple[str, bytes | None]]"
    threads: list[threading.Thread] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def pgid(self) -> int:
        return self.process.pid  # start_new_session: the child leads its own group


def _pump(name: str, fd: int, chunks: "queue.SimpleQueue[tuple[str, bytes | None]]") -> None:
    try:
        while True:
            data = os.read(fd, CHUNK)
            if not data:
                break
            chunks.put((name, data))
    except OSError:
        pass
    finally:
        chunks.put((name, None))


def spawn(argv: list[str], env: Mapping[str, str], cwd: Path | None = None) -> Child:
    """Raises OSError when the program cannot be started (not found, not executable)."""
    process = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(env),
        cwd=cwd,
        start_new_session=True,  # own session and group: Ctrl-C on our terminal does not reach it directly
        close_fds=True,
    )
    chunks: queue.SimpleQueue[tuple[str, bytes | None]] = queue.SimpleQueue()
    child = Child(process, chunks)
    for name, pipe in (("stdout", process.stdout), ("stderr", process.stderr)):
        assert pipe is not None
        thread = threading.Thread(target=_pump, args=(name, pipe.fileno(), chunks), name=f"read-{name}", daemon=True)
        thread.start()
        child.threads.append(thread)
    return child
