"""Every preset key set to odd values: a clear ProjectInvalid or a project that compiles, never a crash.

The same sweep at `plan` level (doctor included) found two ZeroDivisionErrors in bucketing;
this cheap version guards the schema and the compiler on every run of the suite.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from testpaths import REPO

from orchestrator.compile.compiled import CompilePaths, compile_project
from orchestrator.problems import ProjectInvalid
from orchestrator.schema.loader import load_project
from orchestrator.schema.project import Project

ODD = ("0", "-1", "''", "' '", "1e9", "'x'", "[]", "true", "{}", "1.5", "inf", "nan", "'ö ü'", "'../x'")


def _keys(node: dict, defs: dict, prefix: str = ""):
    if "$ref" in node:
        node = defs[node["$ref"].split("/")[-1]]
    for key, value in node.get("properties", {}).items():
        if "$ref" in value:
            yield from _keys(value, defs, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}"


def test_odd_values_for_every_key_are_refused_or_compile() -> None:
    schema = Project.model_json_schema()
    keys = [k for k in _keys(schema, schema.get("$defs", {})) if k != "subjects"]
    keys += [f"subjects[0].{k}" for k in ("name", "trigger", "repeats", "images", "class_word", "keep_tokens",
                                           "caption_extension", "caption_dropout_rate")]  # fmt: skip
    assert len(keys) > 80
    refused = compiled = 0
    for key, value in itertools.product(keys, ODD):
        try:
            project = load_project(REPO / "presets" / "captain.toml", [f"{key}={value}"]).project
        except ProjectInvalid as exc:
            assert exc.problems and all(p.location and p.message for p in exc.problems), (key, value)
            refused += 1
            continue
        compile_project(project, CompilePaths.flat(Path("/o")))  # must not raise
        compiled += 1
    assert refused > compiled > 0  # most odd values are mistakes; some are legitimate settings
