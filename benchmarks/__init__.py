"""Benchmarks harness: every speed or memory claim of the project, measured against a baseline.

    python -m benchmarks [--quick] [--only NAME] [--runs N]

Each `benchmarks/bench_*.py` module defines `run() -> list[dict]`; it may also accept the
keyword arguments `quick: bool` and `runs: int | None`, and the harness passes those it
accepts. Every row is printed as one JSON line with at least

    name      "<module>.<what>", e.g. "cli.help"
    ours      our figure
    baseline  the baseline's figure, measured in the same run
    ratio     > 1 means ours is better, whatever the unit:
              baseline/ours when lower is better (times, bytes), ours/baseline when higher is
              better (throughput)
    better    "lower" or "higher": which direction of `ours`/`baseline` is better
    unit      "s", "images/s", ...

and any extra keys (note, target, runs, ...). A module that fails to import or raises, or a
row that breaks these rules, becomes a line with "error" and the harness goes on. Exit code:
1 when any benchmark errored, 2 when nothing matched `--only` (or usage error), else 0.
"""

from __future__ import annotations

import importlib
import inspect
import math
import pkgutil
import traceback
from typing import Any, Callable

REQUIRED_KEYS = ("name", "ours", "baseline", "ratio", "unit", "better")
NUMERIC_KEYS = ("ours", "baseline", "ratio")


def discover(package: str = "benchmarks") -> list[str]:
    """Dotted names of the package's `bench_*` modules, sorted (found without importing them)."""
    pkg = importlib.import_module(package)
    return sorted(
        f"{package}.{info.name}"
        for info in pkgutil.iter_modules(pkg.__path__)
        if info.name.startswith("bench_") and not info.ispkg
    )


def short_name(module: str) -> str:
    """`benchmarks.bench_cli` -> `cli`: the prefix of that module's row names."""
    return module.rpartition(".")[2].removeprefix("bench_")


def expected_ratio(row: dict[str, Any]) -> float:
    ours, baseline = float(row["ours"]), float(row["baseline"])
    return baseline / ours if row["better"] == "lower" else ours / baseline


def row_problem(row: Any) -> str | None:
    """Why a row breaks the output contract, or None when it is fine."""
    if not isinstance(row, dict):
        return f"row is a {type(row).__name__}, not a dict"
    missing = [k for k in REQUIRED_KEYS if k not in row]
    if missing:
        return f"row {row.get('name', '?')!r} lacks {', '.join(missing)}"
    for key in NUMERIC_KEYS:
        value = row[key]
        # bool is an int subclass; NaN/inf would make the line invalid JSON
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return f"row {row['name']!r}: {key} must be a finite number (got {value!r})"
    if row["better"] not in ("lower", "higher"):
        return f"row {row['name']!r}: better must be 'lower' or 'higher' (got {row['better']!r})"
    try:
        expected = expected_ratio(row)
    except ZeroDivisionError:
        return f"row {row['name']!r}: a zero figure gives no ratio"
    # Rounded figures drift a little; a flipped convention is off by far more than 2 %.
    if not math.isclose(row["ratio"], expected, rel_tol=0.02):
        return f"row {row['name']!r}: ratio {row['ratio']} does not match better={row['better']!r} (expected {expected:.4g})"
    return None


def error_row(module: str, error: str) -> dict[str, Any]:
    return {"name": short_name(module), "module": module, "error": error}


def _call_run(run: Callable[..., Any], quick: bool, runs: int | None) -> Any:
    # Pass only the options a module declares, so a bare `run()` works too.
    params = inspect.signature(run).parameters
    kwargs: dict[str, Any] = {}
    if "quick" in params:
        kwargs["quick"] = quick
    if "runs" in params and runs is not None:
        kwargs["runs"] = runs
    return run(**kwargs)


def run_module(module: str, *, quick: bool = False, runs: int | None = None) -> list[dict[str, Any]]:
    """The module's rows, each checked; any failure becomes an error row instead of an exception."""
    try:
        mod = importlib.import_module(module)
        rows = _call_run(mod.run, quick, runs)
    except Exception as exc:  # noqa: BLE001 - one broken benchmark must not stop the others
        last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
        where = f" (at {last[0].filename}:{last[0].lineno})" if last else ""
        return [error_row(module, f"{type(exc).__name__}: {exc}{where}")]
    if not isinstance(rows, list):
        return [error_row(module, f"run() returned {type(rows).__name__}, not a list of dicts")]
    checked: list[dict[str, Any]] = []
    for row in rows:
        problem = row_problem(row)
        if problem:
            checked.append(error_row(module, problem))
        else:
            checked.append({**row, "module": module})
    return checked


def select(modules: list[str], only: str | None) -> tuple[list[str], bool]:
    """Modules to run and whether their rows must still be filtered by name.

    `cli` picks the modules whose name contains it (all their rows). `cli.help` picks module
    `cli` and keeps its rows whose name contains `cli.help`. Any other name (`help`) cannot
    be placed without running, so every module runs and only matching rows are printed.
    """
    if not only:
        return modules, False
    by_module = [m for m in modules if only in m.rpartition(".")[2]]
    if by_module:
        return by_module, False
    prefix, dot, _ = only.partition(".")
    by_prefix = [m for m in modules if dot and prefix and prefix in short_name(m)]
    return (by_prefix, True) if by_prefix else (modules, True)
