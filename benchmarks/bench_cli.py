"""CLI start-up: `orchestrator --help` and `orchestrator plan presets/captain.toml` against bare Python.

The baseline is `python -c pass` with the same interpreter, so the difference is what our
imports and work add to every command a user types. Both are wall times of a fresh process:
the median of N after a warm-up, with .pyc caching on even where the environment turns it
off. Our start-up can never beat the bare interpreter: the ratio is below 1 by
construction, and `overhead_s` is the figure to watch.
"""

from __future__ import annotations

import sys
from typing import Any

from benchmarks._common import child_env, make_row, median_times, sig

RUNS, QUICK_RUNS = 15, 5
PRESET = "presets/captain.toml"  # relative to the repository, where the commands run


def run(quick: bool = False, runs: int | None = None) -> list[dict[str, Any]]:
    n = runs or (QUICK_RUNS if quick else RUNS)
    py = sys.executable
    times = median_times(
        {
            "bare": [py, "-c", "pass"],
            "help": [py, "-m", "orchestrator", "--help"],
            "plan": [py, "-m", "orchestrator", "plan", PRESET],
        },
        n,
        env=child_env(),  # bytecode cache on for both sides (see child_env)
    )
    bare = times["bare"]
    return [
        make_row(
            f"cli.{key}",
            times[key],
            bare,
            "s",
            "lower",
            overhead_s=sig(times[key] - bare, 3),
            runs=n,
            command=f"python -m orchestrator {args}",
            baseline_command="python -c pass",
            bytecode_cache=True,
        )
        for key, args in (("help", "--help"), ("plan", f"plan {PRESET}"))
    ]
