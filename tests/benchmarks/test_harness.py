"""The benchmarks harness: its JSON-lines contract and that one broken module stops nothing.

No figures are asserted: speed claims live in `benchmarks/`, never in timed tests.
"""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # `benchmarks` is a top-level folder, not part of the installed package
    sys.path.insert(0, str(REPO))

from benchmarks import REQUIRED_KEYS, discover, row_problem, select  # noqa: E402
from benchmarks.__main__ import main  # noqa: E402
from benchmarks._common import make_row  # noqa: E402


def check_row(row: dict) -> None:
    for key in REQUIRED_KEYS:
        assert key in row, f"{key} missing from {row}"
    for key in ("ours", "baseline", "ratio"):
        assert isinstance(row[key], (int, float)) and not isinstance(row[key], bool)
        assert math.isfinite(row[key])
    assert row["better"] in ("lower", "higher")


def test_quick_cli_run_prints_json_rows() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--only", "cli", "--runs", "2"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert {row["name"] for row in rows} == {"cli.help", "cli.plan"}
    for row in rows:
        check_row(row)
        assert row["unit"] == "s" and row["better"] == "lower"
        assert row["ratio"] == pytest.approx(row["baseline"] / row["ours"], rel=0.02)


@pytest.fixture()
def fake_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A benchmarks-like package: one good module, one that cannot import, one whose run raises."""
    pkg = tmp_path / "fakebench"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "helper.py").write_text("raise RuntimeError('not a bench module: never imported')\n")
    (pkg / "bench_a_broken.py").write_text("import no_such_module_anywhere\n")
    (pkg / "bench_b_raises.py").write_text("def run():\n    raise ValueError('boom')\n")
    (pkg / "bench_c_badrow.py").write_text("def run():\n    return [{'name': 'c.x', 'ours': 1.0}]\n")
    (pkg / "bench_d_ok.py").write_text(
        textwrap.dedent(
            """
            SEEN = {}

            def run(quick=False):
                SEEN["quick"] = quick
                return [
                    {"name": "d_ok.fast", "ours": 1.0, "baseline": 4.0, "ratio": 4.0, "unit": "s", "better": "lower"},
                    {"name": "d_ok.rate", "ours": 10.0, "baseline": 5.0, "ratio": 2.0, "unit": "x/s", "better": "higher"},
                ]
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return "fakebench"


def test_discovery_finds_only_bench_modules(fake_package: str) -> None:
    assert [m.rpartition(".")[2] for m in discover(fake_package)] == [
        "bench_a_broken",
        "bench_b_raises",
        "bench_c_badrow",
        "bench_d_ok",
    ]


def test_failures_become_error_lines_and_the_rest_runs(fake_package: str) -> None:
    out = io.StringIO()
    code = main(["--quick"], package=fake_package, out=out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    errors = {row["module"].rpartition(".")[2]: row["error"] for row in rows if "error" in row}
    assert code == 1
    assert "ModuleNotFoundError" in errors["bench_a_broken"]
    assert "ValueError: boom" in errors["bench_b_raises"]
    assert "lacks" in errors["bench_c_badrow"]
    good = [row for row in rows if "error" not in row]
    assert [row["name"] for row in good] == ["d_ok.fast", "d_ok.rate"]  # after the failures, still run
    for row in good:
        check_row(row)
    assert sys.modules[f"{fake_package}.bench_d_ok"].SEEN == {"quick": True}


def test_only_filters_by_module_then_by_row(fake_package: str) -> None:
    out = io.StringIO()
    assert main(["--only", "d_ok"], package=fake_package, out=out) == 0
    assert len(out.getvalue().splitlines()) == 2
    modules, filter_rows = select(discover(fake_package), "rate")  # no module is called "rate"
    assert len(modules) == 4 and filter_rows


def test_row_rules() -> None:
    assert row_problem(make_row("x.t", 2.0, 4.0, "s", "lower")) is None
    assert make_row("x.t", 2.0, 4.0, "s", "lower")["ratio"] == 2.0
    assert make_row("x.r", 8.0, 4.0, "x/s", "higher")["ratio"] == 2.0
    flipped = {**make_row("x.t", 2.0, 4.0, "s", "lower"), "ratio": 0.5}
    assert "does not match" in (row_problem(flipped) or "")
    assert "finite" in (row_problem({**flipped, "ours": float("nan")}) or "")
    assert "finite" in (row_problem({**flipped, "ours": True}) or "")


def test_only_module_dot_row_runs_one_module(fake_package: str) -> None:
    modules, filter_rows = select(discover(fake_package), "d_ok.rate")
    assert [m.rpartition(".")[2] for m in modules] == ["bench_d_ok"] and filter_rows
    out = io.StringIO()
    assert main(["--only", "d_ok.rate"], package=fake_package, out=out) == 0
    assert [json.loads(line)["name"] for line in out.getvalue().splitlines()] == ["d_ok.rate"]


def test_nothing_matched_is_not_a_clean_run(fake_package: str) -> None:
    out = io.StringIO()
    assert main(["--only", "d_ok.nosuchrow"], package=fake_package, out=out) == 2
    assert out.getvalue() == ""
