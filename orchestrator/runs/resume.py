"""`runs resume RUN`: continue from the newest saved state, only if nothing it depends on changed."""

from __future__ import annotations

import json

from orchestrator.problems import Problem, ProjectInvalid
from orchestrator.runs.diff import read_project
from orchestrator.runs.hashing import HashCache, sha256_json
from orchestrator.runs.index import RunInfo
from orchestrator.runs.manifest import dataset_manifest, read_manifest
from orchestrator.schema.loader import load_project
from orchestrator.supervise.outputs import newest_state


def resume_overrides(run: RunInfo, force: bool = False) -> list[str]:
    """The `--set` that points the trainer at the state; raises when resuming would be unsound."""
    folder = run.folder
    state = newest_state(folder.output_dir)
    if state is None:
        raise ProjectInvalid([Problem("RUN", f"{run.name} saved no state to resume from (only LoRA files)",
                                      "Train with training.save_state = true; sd-scripts resumes from a *-state folder")])  # fmt: skip
    manifest = read_manifest(folder.manifest)
    problems = []
    if sha256_json(read_project(folder.project_toml)) != manifest.get("project_sha256"):
        problems.append(Problem(str(folder.project_toml), "changed since the run was made", "Use `runs rerun`, or --force to resume anyway"))
    project = load_project(folder.project_toml).project
    cache = HashCache()
    current = dataset_manifest(project, cache)["sha256"]
    cache.save()
    if current != manifest.get("dataset", {}).get("sha256"):
        problems.append(Problem("dataset", "images or captions changed since the run was made",
                                "Resuming would mix two datasets; use `runs rerun`, or --force"))  # fmt: skip
    if problems and not force:
        raise ProjectInvalid(problems)
    return [f"trainer.extra_args.resume={json.dumps(str(state))}"]  # a TOML string, quoted safely
