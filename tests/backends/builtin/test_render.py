"""The builtin renderer of `eval`: fixed seeds per picture, LoRA files put back on at any weight."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from orchestrator.backends.builtin import lora_file
from orchestrator.backends.builtin.models import Models
from orchestrator.backends.builtin.render import render_batch
from testpaths import REPO

pytestmark = pytest.mark.slow


def _arrays(images) -> list[np.ndarray]:
    return [np.asarray(i, dtype=np.int16) for i in images]


def test_a_picture_depends_on_its_seed_not_on_its_batch():
    models = Models.load(None)
    kwargs = dict(steps=4, scale=5.0, width=64, height=64)
    with torch.no_grad():
        both = _arrays(render_batch(models, ["red circle, white background", "blue star, park"], ["", ""], [3, 4], **kwargs))
        alone = _arrays(render_batch(models, ["blue star, park"], [""], [4], **kwargs))
        again = _arrays(render_batch(models, ["red circle, white background"], [""], [3], **kwargs))
    assert np.abs(both[1] - alone[0]).max() <= 2  # same picture (float rounding across batch sizes)
    assert np.abs(both[0] - again[0]).max() <= 2
    assert np.abs(both[0] - both[1]).mean() > 10


def test_render_child_draws_every_planned_file_and_the_lora_changes_them(trained, tmp_path: Path):
    lora = trained[0] / "out" / "tiny.safetensors"
    spec = {"steps": 3, "scale": 5.0, "width": 64, "height": 64, "sampler": "ddim", "jobs": [
        {"model": "builtin:tiny-sd", "loras": [], "weights": [0.0],
         "images": [{"prompt": "sks, red circle", "seed": 1, "out": {"0.0": str(tmp_path / "w0.png")}}]},
        {"model": "builtin:tiny-sd", "epoch": 3, "loras": [str(lora)], "weights": [0.0, 1.0],
         "images": [{"prompt": "sks, red circle", "seed": 1,
                     "out": {"0.0": str(tmp_path / "lora w0.png"), "1.0": str(tmp_path / "é" / "w1.png")}}]},
    ]}
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    done = subprocess.run([sys.executable, "-m", "orchestrator.backends.builtin.render", str(tmp_path / "spec.json")],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(e["epoch"], e["weight"]) for e in events] == [(None, 0.0), (3, 0.0), (3, 1.0)] and events[-1]["images"] == 3
    plain, hooked_off, hooked_on = (np.asarray(Image.open(p), dtype=np.int16)
                                    for p in (tmp_path / "w0.png", tmp_path / "lora w0.png", tmp_path / "é" / "w1.png"))
    assert np.array_equal(plain, hooked_off)  # weight 0 is the model itself
    assert np.abs(hooked_on - plain).max() > 0


def test_a_lora_of_another_model_is_refused_with_its_keys(tmp_path: Path):
    from safetensors.torch import save_file

    bad = tmp_path / "other.safetensors"
    save_file({"lora_unet_not_here.lora_down.weight": torch.zeros(4, 8)}, str(bad), metadata={"ss_network_dim": "4"})
    models = Models.load(None)
    with pytest.raises(lora_file.LoraMismatch, match="lora_unet_not_here"):
        lora_file.attach(bad, models.text_encoder, models.unet)


def test_a_failing_renderer_is_one_problem_with_its_last_line(tmp_path: Path, monkeypatch):
    # stderr shares the progress pipe: the child's own error line reaches the message
    from types import SimpleNamespace

    from orchestrator.backends.builtin import grid
    from orchestrator.problems import ProjectInvalid

    missing = tmp_path / "gone é.safetensors"
    monkeypatch.setattr(grid, "spec", lambda plan: {"steps": 2, "scale": 5.0, "width": 64, "height": 64, "jobs": [
        {"model": "builtin:tiny-sd", "loras": [str(missing)], "weights": [1.0], "images": []}]})
    with pytest.raises(ProjectInvalid) as info:
        grid.render_grid(SimpleNamespace(root=tmp_path))
    (problem,) = info.value.problems
    assert problem.code == "render-failed" and "the builtin renderer failed" in problem.message
    assert str(missing) in problem.message
