"""`python -m benchmarks`: run every benchmark, print one JSON line per row (see `benchmarks/__init__.py`)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any, TextIO

from benchmarks import discover, error_row, run_module, select


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Our figure, the baseline's figure from the same run, and their ratio (> 1: ours is better).",
        epilog="Example: python -m benchmarks --quick --only cli",
    )
    parser.add_argument(
        "--only",
        metavar="NAME",
        help="only modules whose name contains NAME (cli), or rows of one module (cli.help); "
        "any other NAME runs every module and keeps the rows that contain it",
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer runs: a smoke run")
    parser.add_argument("--runs", type=int, metavar="N", help="timed runs per measurement (each module has its default)")
    args = parser.parse_args(argv)
    if args.runs is not None and args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def emit(row: dict[str, Any], out: TextIO) -> None:
    try:
        line = json.dumps(row, allow_nan=False, default=str)
    except ValueError as exc:  # a NaN in an extra key: still one valid JSON line
        line = json.dumps(error_row(str(row.get("module", "?")), f"row not JSON: {exc}"))
    out.write(line + "\n")
    out.flush()  # one line as soon as it is known: long runs show progress


def main(argv: list[str] | None = None, *, package: str = "benchmarks", out: TextIO | None = None) -> int:
    args = parse_args(argv)
    out = out or sys.stdout
    all_modules = discover(package)
    modules, filter_rows = select(all_modules, args.only)
    if filter_rows and modules == all_modules:
        print(f"[benchmarks] no module name contains {args.only!r}: running them all to find matching rows", file=sys.stderr)
    errored = printed = False
    if hasattr(os, "getloadavg"):  # figures from a busy machine are noisy: say so up front
        load = os.getloadavg()[0]
        print(f"[benchmarks] load average {load:.2f} on {os.cpu_count()} cores", file=sys.stderr, flush=True)
    for module in modules:
        started = time.perf_counter()
        print(f"[benchmarks] {module} ...", file=sys.stderr, flush=True)
        for row in run_module(module, quick=args.quick, runs=args.runs):
            if "error" in row:
                errored = True
            elif filter_rows and args.only not in str(row["name"]):
                continue
            emit(row, out)
            printed = True
        print(f"[benchmarks] {module} took {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    if not printed:  # a typo in --only should not look like a clean run
        print(f"[benchmarks] no benchmark matched {args.only!r}" if args.only else "[benchmarks] no benchmarks found", file=sys.stderr)
        return 2
    return 1 if errored else 0


if __name__ == "__main__":
    sys.exit(main())
