"""Compiled TOMLs, prompts and argv against golden files (update: pytest --update-golden)."""

from __future__ import annotations

from pathlib import Path

import pytest
import toml

from testpaths import FIXTURES, REPO
from orchestrator.compile.compiled import CompilePaths, TrainerLocation, compile_project
from orchestrator.schema.loader import load_project

CASES = {
    "captain": REPO / "presets" / "captain.toml",
    **{p.stem: p for p in sorted((FIXTURES / "presets").glob("*.toml"))},
}
OUT = Path("/runs/run dir ü")  # spaces and non-ASCII must survive quoting


def render(preset: Path) -> dict[str, str]:
    project = load_project(preset).project
    compiled = compile_project(
        project, CompilePaths.flat(OUT), TrainerLocation("/venv/bin/python", Path("/opt/sd-scripts"))
    )
    assert not compiled.errors
    return {name: text.replace(str(REPO), "{REPO}") for name, text in compiled.files().items()}


@pytest.mark.parametrize("case", sorted(CASES))
def test_compiled_files_match_golden(case: str, update_golden: bool):
    files = render(CASES[case])
    golden_dir = FIXTURES / "golden" / case
    if update_golden:
        golden_dir.mkdir(parents=True, exist_ok=True)
        for old in golden_dir.iterdir():
            old.unlink()
        for name, text in files.items():
            (golden_dir / name).write_text(text, encoding="utf-8")
    expected = {p.name: p.read_text(encoding="utf-8") for p in golden_dir.iterdir()}
    assert files == expected


@pytest.mark.parametrize("case", sorted(CASES))
def test_compiled_toml_round_trips_through_the_trainers_reader(case: str):
    """sd-scripts reads both files with the `toml` package: what we meant is what it gets."""
    project = load_project(CASES[case]).project
    compiled = compile_project(project, CompilePaths.flat(OUT))
    files = compiled.files()
    assert toml.loads(files["config.toml"]) == compiled.config
    assert toml.loads(files["dataset_config.toml"]) == compiled.dataset_config


def test_variants_compile_what_they_claim():
    cfg = {case: compile_project(load_project(p).project, CompilePaths.flat(OUT)) for case, p in CASES.items()}
    assert "sdxl_train_network.py" in " ".join(cfg["sdxl"].argv)
    assert cfg["unet_only"].config["network"]["network_train_unet_only"] is True
    assert cfg["locon"].config["network"]["network_args"] == ["conv_dim=8", "conv_alpha=4", "loraplus_lr_ratio=16"]
    subsets = cfg["regularisation"].dataset_config["datasets"][0]["subsets"]
    assert [s.get("is_reg", False) for s in subsets] == [False, True]
    assert subsets[1]["image_dir"].endswith("reg man") and subsets[1]["class_tokens"] == "man"
    argv = cfg["two_gpus"].argv
    assert argv[argv.index("--num_processes") + 1] == "2" and "--multi_gpu" in argv
    assert argv[argv.index("--gpu_ids") + 1] == "0,1"
