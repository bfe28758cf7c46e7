"""Problem lines: long runs of one finding are counted, not listed, before a run starts."""

from __future__ import annotations

import pytest
from testpaths import REPO

from orchestrator.cli import main
from orchestrator.commands.common import collapse_repeats
from orchestrator.problems import Problem


def finding(i: int, code: str, severity: str = "warning") -> Problem:
    return Problem(f"img_{i:02d}.png", f"finding {i}", "fix it", severity, code)  # type: ignore[arg-type]


def test_long_runs_of_one_kind_become_a_count() -> None:
    problems = ([finding(i, "aspect-extreme") for i in range(17)] + [finding(i, "image-corrupt", "error") for i in range(12)]
                + [finding(i, "alpha") for i in range(4)] + [Problem("x", "no code", severity="info")])  # fmt: skip
    lines = [p.line() for p in collapse_repeats(problems, where="presets/demo.toml")]
    assert lines[:3] == ["img_00.png: finding 0. fix it", "img_01.png: finding 1. fix it", "img_02.png: finding 2. fix it"]
    assert lines[3] == ("aspect-extreme: 14 more like the warnings above. "
                        "`orchestrator dataset check presets/demo.toml` lists every one")  # fmt: skip
    errors = [p for p in collapse_repeats(problems) if p.severity == "error"]
    assert len(errors) == 11 and errors[-1].message == "2 more like the errors above"  # errors keep 10 lines
    assert sum(p.code == "alpha" for p in collapse_repeats(problems)) == 4  # 3 + "1 more" would save nothing
    assert collapse_repeats(problems)[-1].message == "no code"


def test_validate_of_the_demo_counts_its_cropped_images(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(REPO / "presets" / "demo.toml")]) == 0
    out = capsys.readouterr().out
    assert out.count("has an extreme aspect ratio") == 3
    assert "aspect-extreme: 14 more like the warnings above" in out
    assert main(["dataset", "check", str(REPO / "presets" / "demo.toml"), "--json"]) == 0
    assert capsys.readouterr().out.count('"code": "aspect-extreme"') == 17  # every one is still reported there
