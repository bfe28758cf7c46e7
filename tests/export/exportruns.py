"""Run folders made by hand for the export tests: a preset's resolved project, a crafted LoRA,
status.json, and optionally samples, an eval grid and a scorecard."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from testpaths import REPO

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lora"))  # the crafted-LoRA helper lives with the lora tests
import lorafiles  # noqa: E402


def make_run(root: Path, preset: str = "captain", *, samples: bool = True, grid: bool = False, scorecard: bool = False) -> Path:
    import tomli_w
    from PIL import Image

    from orchestrator.runs.layout import RunFolder
    from orchestrator.runs.status import Status, write_status
    from orchestrator.schema.loader import load_project

    loaded = load_project(REPO / "presets" / f"{preset}.toml")
    name = loaded.project.name
    folder = RunFolder(root / f"{name}-20260101-120000-ab12")
    folder.output_dir.mkdir(parents=True)
    folder.project_toml.write_text(f"# The fully resolved project of run {folder.name} (from {REPO}/presets/{preset}.toml).\n"
                                   + tomli_w.dumps(loaded.raw))  # fmt: skip
    lora = lorafiles.make(folder.output_dir / f"{name}.safetensors", meta=lorafiles.metadata(**{"modelspec.trigger_phrase": "hxh, uscaption"}))
    write_status(folder.status, Status(state="succeeded", backend="sd-scripts", final_lora=str(lora), step=11, total_steps=11))
    folder.manifest.write_text(json.dumps({"orchestrator": {"version": "0.1.0"}, "trainer": {"name": "sd-scripts", "version": "v0.10.1"}}))
    if samples:
        (folder.output_dir / "sample").mkdir()
        for epoch in (1, 2):
            for i in range(3):
                Image.new("RGB", (8, 8), (epoch * 50, i * 40, 0)).save(folder.output_dir / "sample" / f"{name}_e{epoch:06d}_{i:02d}_20260101120000_1234.png")
        folder.samples_dir.symlink_to(Path("output") / "sample", target_is_directory=True)
    if grid or scorecard:
        folder.eval_dir.mkdir()
    if grid:
        Image.new("RGB", (16, 16), (0, 0, 200)).save(folder.eval_dir / "grid.png")
    if scorecard:
        (folder.eval_dir / "scorecard.json").write_text(json.dumps({"fidelity": {"1.0": 0.81}, "leakage": 0.05, "recommended_epoch": 2}))
    return folder.path
