"""`orchestrator schema`: the preset JSON Schema for editors, or the Markdown reference."""

from __future__ import annotations

import argparse
import sys

from orchestrator.commands.common import print_json


def json_schema() -> dict:
    from orchestrator.schema.project import Project

    schema = Project.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "orchestrator preset"
    schema.setdefault("properties", {})["extends"] = {
        "type": "string",
        "description": "Another preset this one starts from (deep-merged; relative to this file).",
    }
    return schema


def run(args: argparse.Namespace) -> int:
    if args.markdown:
        from orchestrator.schema.reference import markdown

        sys.stdout.write(markdown())
        return 0
    print_json(json_schema())
    return 0
