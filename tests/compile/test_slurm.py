"""`compile --target slurm`: the sbatch script for one and two nodes, against golden files."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.compile.compiled import CompilePaths, compile_project
from orchestrator.compile.slurm import sbatch_script
from orchestrator.schema.loader import load_project
from testpaths import FIXTURES, REPO

CASES = {
    "1-node": ["launch.num_processes=4", "launch.gpu_ids=[0, 1, 2, 3]"],
    "2-nodes": ["launch.num_processes=8", "launch.num_machines=2", "launch.main_process_ip='10.0.0.1'"],
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_sbatch_matches_golden(case: str, update_golden: bool):
    project = load_project(REPO / "presets" / "captain.toml", CASES[case]).project
    compiled = compile_project(project, CompilePaths.flat(Path("/scratch/runs/captain")))
    text = sbatch_script(project, compiled, python="/opt/sd-scripts/venv/bin/python", checkout=Path("/opt/sd-scripts"))
    golden = FIXTURES / "golden" / "slurm" / f"{case}.sbatch"
    if update_golden:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")
    nodes = project.launch.num_machines
    assert f"#SBATCH --nodes={nodes}\n" in text and "#SBATCH --ntasks-per-node=1\n" in text
    assert f"#SBATCH --gpus-per-node={project.launch.num_processes // nodes}\n" in text
    assert "--machine_rank $SLURM_NODEID" in text and "--num_machines $SLURM_NNODES" in text


def test_compile_command_writes_the_sbatch(tmp_path):
    from orchestrator.cli import main

    assert main(["compile", str(REPO / "presets" / "captain.toml"), "-o", str(tmp_path), "--target", "slurm"]) == 0
    script = tmp_path / "train.sbatch"
    assert script.stat().st_mode & 0o111 and "srun --kill-on-bad-exit=1 bash -c" in script.read_text()
