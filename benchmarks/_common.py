"""Helpers shared by the bench modules: rows with the ratio convention built in, timing."""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Literal

REPO = Path(__file__).resolve().parent.parent


def cache_root() -> Path:
    """Where generated benchmark inputs are kept between runs: `$ORCHESTRATOR_BENCH_CACHE`,
    else `$XDG_CACHE_HOME/orchestrator/bench`, else `~/.cache/orchestrator/bench`."""
    env = os.environ.get("ORCHESTRATOR_BENCH_CACHE")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "orchestrator" / "bench"


@contextmanager
def empty_orchestrator_cache() -> Iterator[Path]:
    """Point `$ORCHESTRATOR_CACHE` at a new temp dir for the block: a measured "first run"
    really starts cold, and the user's own cache is neither used nor filled."""
    old = os.environ.get("ORCHESTRATOR_CACHE")
    with tempfile.TemporaryDirectory(prefix="bench-orchestrator-cache-") as tmp:
        os.environ["ORCHESTRATOR_CACHE"] = tmp
        try:
            yield Path(tmp)
        finally:
            if old is None:
                os.environ.pop("ORCHESTRATOR_CACHE", None)
            else:
                os.environ["ORCHESTRATOR_CACHE"] = old


def child_env() -> dict[str, str]:
    """The environment for timed child processes: bytecode caching on, as on a user's machine.

    Some sandboxes and CI images set PYTHONDONTWRITEBYTECODE=1; then every start recompiles
    the package from source (about 0.15 s of `plan` here), which a user never pays twice.
    The .pyc files go to a private prefix, not into the source tree, and orchestrator's own
    cache (dataset doctor probes, ...) to one under the bench cache, so a user's cache is
    neither read nor filled; after a warm-up run it is warm, as on any repeated command.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(cache_root() / "pycache")
    env["ORCHESTRATOR_CACHE"] = str(cache_root() / "orchestrator-cache")
    return env


def sig(value: float, digits: int = 4) -> float:
    """Round to significant digits: JSON lines stay readable, ratios stay exact enough."""
    return float(f"{value:.{digits}g}")


def make_row(
    name: str, ours: float, baseline: float, unit: str, better: Literal["lower", "higher"], **extra: Any
) -> dict[str, Any]:
    """A result row whose ratio is > 1 exactly when ours is better."""
    ratio = baseline / ours if better == "lower" else ours / baseline
    return {
        "name": name,
        "ours": sig(ours),
        "baseline": sig(baseline),
        "ratio": sig(ratio, 3),
        "unit": unit,
        "better": better,
        **extra,
    }


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def run_command(argv: list[str], cwd: Path = REPO, env: dict[str, str] | None = None) -> None:
    """Run to completion with output discarded; a failing command is a failed benchmark."""
    done = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no stderr"]
        raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}: {tail[0]}")


def median_times(
    commands: dict[str, list[str]], runs: int, cwd: Path = REPO, env: dict[str, str] | None = None
) -> dict[str, float]:
    """Median wall time of each command over `runs`, after one untimed warm-up each.

    Commands alternate within every round, so a slow spell of the machine (another job on
    the 2 cores) hits ours and the baseline alike instead of skewing one of them.
    """
    for argv in commands.values():
        run_command(argv, cwd, env)  # warm-up: page cache, .pyc files
    samples: dict[str, list[float]] = {key: [] for key in commands}
    for _ in range(runs):
        for key, argv in commands.items():
            samples[key].append(timed(lambda: run_command(argv, cwd, env)))
    return {key: statistics.median(values) for key, values in samples.items()}
