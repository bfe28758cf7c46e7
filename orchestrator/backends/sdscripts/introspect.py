"""The installed trainer's own options, read from its real argument parser.

sd-scripts accepts any key in a config TOML, so the only trustworthy list of options
is the parser of the checkout that will run. It is built in the trainer's Python
(probes/arguments.py), cached per commit, and falls back to the committed snapshot of
the pinned release when no installation is at hand. `python -m
orchestrator.backends.sdscripts.introspect --write-snapshot` regenerates that snapshot
against an installation.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import subprocess
import sys
from pathlib import Path

from orchestrator.backends.sdscripts import options
from orchestrator.backends.sdscripts.locate import Installation, locate
from orchestrator.paths import cache_root

PROBE = Path(__file__).resolve().parent / "probes" / "arguments.py"
COLUMNS = ("name", "type", "default", "action", "choices", "nargs")


def cache_dir() -> Path:
    return cache_root() / "sd-scripts-options"


def dump_options(install: Installation, script: str, timeout: float = 300) -> list[dict]:
    """Every option of SCRIPT as the installation's parser defines it (slow: imports torch there)."""
    module = script.removesuffix(".py")
    done = subprocess.run(
        [str(install.python), str(PROBE), str(install.checkout), module],
        capture_output=True, text=True, timeout=timeout, cwd=install.checkout, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        raise RuntimeError(f"could not build {script}'s parser in {install.python}:\n{tail}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def cached_options(install: Installation, script: str) -> list[dict]:
    """dump_options, cached per commit (an unknown commit is never cached)."""
    path = cache_dir() / f"{install.commit}-{script}.json" if install.commit else None
    if path is not None and path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    rows = dump_options(install, script)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(rows), encoding="utf-8")
        tmp.replace(path)
    return rows


def to_table(rows: list[dict]) -> dict[str, options.OptionSpec]:
    table = {}
    for row in rows:
        choices = tuple(c.strip("'\"") for c in row.get("choices", []) if c != "None")
        spec = options.OptionSpec(row["name"], row["type"], row["default"], choices, row.get("nargs") or "")
        table[row["name"]] = spec
        for alias in row.get("aliases", []):
            table[alias] = spec
    return table


def to_tsv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        kind = "" if row["type"] == "flag" else row["type"]
        choices = "[" + ", ".join(row["choices"]) + "]" if row["choices"] else ""
        nargs = f"'{row['nargs']}'" if row.get("nargs") else ""
        default = "" if row["type"] == "flag" else row["default"]
        writer.writerow([row["name"], kind, default, row.get("action", ""), choices, nargs])
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Dump the installed sd-scripts' train_network.py options.")
    parser.add_argument("--checkout", type=Path, help="sd-scripts checkout (default: as orchestrator finds it)")
    parser.add_argument("--python", type=Path, help="the trainer's Python")
    parser.add_argument("--write-snapshot", action="store_true", help="overwrite the committed snapshot TSV")
    args = parser.parse_args(argv)
    install, problems = locate(args.checkout, args.python)
    if install is None:
        print("\n".join(p.line() for p in problems), file=sys.stderr)
        return 2
    rows = dump_options(install, "train_network.py")
    text = to_tsv(rows)
    if args.write_snapshot:
        target = Path(options.__file__).parent / options.SNAPSHOT
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target} ({len(rows)} options, commit {install.commit})")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
