"""The script behind the committed tiny models runs, and writes files the loader accepts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from orchestrator.backends.builtin import tiny_model
from testpaths import REPO

pytestmark = pytest.mark.slow


def test_quick_pretraining_writes_loadable_checked_weights_and_its_record(tmp_path: Path):
    out = tmp_path / "weights é"
    done = subprocess.run([sys.executable, "-m", "orchestrator.backends.builtin.pretrain", "--quick", "--out", str(out)],
                          cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    record = json.loads((out / "TRAINING.json").read_text())
    assert record["base"]["steps"] == 4 and record["photo"]["steps"] == 3
    assert set(record["base"]["adherence"]) >= {"background_share", "shape_colour_share"}
    manifest = json.loads((out / tiny_model.MANIFEST).read_text())
    assert set(manifest) == {"tiny-sd.safetensors", "tiny-sd-photo.safetensors"}
    base, photo = tiny_model.load("tiny-sd", out), tiny_model.load("tiny-sd-photo", out)
    assert base["vae"].config.scaling_factor == record["latent_scale"]
    changed = [k for k, v in base["unet"].state_dict().items() if not (v == photo["unet"].state_dict()[k]).all()]
    assert changed  # the test model's U-Net was fine-tuned
    assert all((v == photo["text_encoder"].state_dict()[k]).all() for k, v in base["text_encoder"].state_dict().items())
