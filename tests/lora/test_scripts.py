"""`lora resize` / `lora merge`: argv for sd-scripts' own scripts, the missing-trainer message,
and a real run through a stand-in checkout (no sd-scripts needed)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import lorafiles
from orchestrator.backends.sdscripts import locate as locate_module
from orchestrator.backends.sdscripts.locate import Installation
from orchestrator.cli import main
from orchestrator.backends.sdscripts import scripts

# A stand-in for networks/resize_lora.py and merge_lora.py: records its argv, writes --save_to.
RECORDER = """\
import json, os, sys
out = sys.argv[sys.argv.index("--save_to") + 1]
open(out, "wb").write(b"stand-in")
json.dump({"argv": sys.argv, "cwd": os.getcwd(), "pythonpath": os.environ.get("PYTHONPATH", "")},
          open(os.environ["RECORD_TO"], "w"))
"""


@pytest.fixture
def no_trainer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ORCHESTRATOR_SD_SCRIPTS", raising=False)
    monkeypatch.delenv("ORCHESTRATOR_SD_SCRIPTS_PYTHON", raising=False)
    monkeypatch.setattr(locate_module, "VENDORED", tmp_path / "no-vendor")


@pytest.fixture
def stand_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A checkout locate() accepts, whose venv Python is ours and whose scripts record their argv."""
    checkout = tmp_path / "sd-scripts"
    for rel in ("train_network.py", "library/train_util.py"):
        (checkout / rel).parent.mkdir(parents=True, exist_ok=True)
        (checkout / rel).write_text("")
    for script in ("resize_lora.py", "merge_lora.py", "sdxl_merge_lora.py"):
        (checkout / "networks").mkdir(exist_ok=True)
        (checkout / "networks" / script).write_text(RECORDER)
    (checkout / "venv" / "bin").mkdir(parents=True)
    (checkout / "venv" / "bin" / "python").symlink_to(sys.executable)
    monkeypatch.setenv("ORCHESTRATOR_SD_SCRIPTS", str(checkout))
    monkeypatch.delenv("ORCHESTRATOR_SD_SCRIPTS_PYTHON", raising=False)
    monkeypatch.setenv("RECORD_TO", str(tmp_path / "record.json"))
    return checkout


def inst(tmp_path: Path) -> Installation:
    return Installation(tmp_path / "sd", tmp_path / "sd" / "venv" / "bin" / "python", None)


def test_resize_argv(tmp_path: Path) -> None:
    call = scripts.resize_call(inst(tmp_path), tmp_path / "a.safetensors", tmp_path / "b.safetensors", 8,
                               conv_rank=4, save_precision="fp16", dynamic_method="sv_fro", dynamic_param=0.9)  # fmt: skip
    assert call.argv == [
        str(tmp_path / "sd/venv/bin/python"), str(tmp_path / "sd/networks/resize_lora.py"),
        "--model", str(tmp_path / "a.safetensors"), "--save_to", str(tmp_path / "b.safetensors"), "--new_rank", "8",
        "--new_conv_rank", "4", "--save_precision", "fp16", "--dynamic_method", "sv_fro", "--dynamic_param", "0.9",
    ]  # fmt: skip
    assert call.cwd == tmp_path / "sd"
    assert call.env({"PYTHONPATH": "/x"})["PYTHONPATH"] == f"{tmp_path / 'sd'}:/x"


def test_merge_argv(tmp_path: Path) -> None:
    models = [tmp_path / "face.safetensors", tmp_path / "suit.safetensors"]
    call = scripts.merge_call(inst(tmp_path), models, [1.0, 0.7], tmp_path / "both.safetensors")
    assert call.argv[1:] == [str(tmp_path / "sd/networks/merge_lora.py"), "--models", *map(str, models),
                             "--ratios", "1.0", "0.7", "--save_to", str(tmp_path / "both.safetensors"), "--concat"]  # fmt: skip
    sdxl = scripts.merge_call(inst(tmp_path), models, [1, 1], tmp_path / "x.safetensors", sdxl=True, concat=False, precision="bf16")
    assert sdxl.argv[1].endswith("networks/sdxl_merge_lora.py") and "--concat" not in sdxl.argv
    assert sdxl.argv[-2:] == ["--precision", "bf16"]
    with pytest.raises(Exception, match="ratios"):
        scripts.merge_call(inst(tmp_path), models, [1.0], tmp_path / "x.safetensors")


def test_missing_trainer_names_what_to_install(tmp_path: Path, no_trainer: None, capsys: pytest.CaptureFixture[str]) -> None:
    lora = lorafiles.make(tmp_path / "a.safetensors")
    assert main(["lora", "resize", str(lora), "--rank", "2", "-o", str(tmp_path / "b.safetensors")]) == 2
    err = capsys.readouterr().err
    assert "`lora resize` runs sd-scripts' own script" in err and "no sd-scripts checkout found" in err
    assert "git submodule update --init vendor/sd-scripts" in err and "ORCHESTRATOR_SD_SCRIPTS" in err
    assert not (tmp_path / "b.safetensors").exists()
    assert main(["lora", "merge", str(lora), str(lora), "-o", str(tmp_path / "c.safetensors")]) == 2
    assert "`lora merge` runs sd-scripts' own script" in capsys.readouterr().err


def test_resize_runs_the_script_in_its_environment(tmp_path: Path, stand_in: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lora = lorafiles.make(tmp_path / "a.safetensors")
    out = tmp_path / "a-r2.safetensors"
    assert main(["lora", "resize", str(lora), "--rank", "2", "-o", str(out)]) == 0
    record = json.loads((tmp_path / "record.json").read_text())
    assert record["argv"][1:] == ["--model", str(lora), "--save_to", str(out), "--new_rank", "2"]
    assert Path(record["cwd"]) == stand_in and str(stand_in) in record["pythonpath"]
    assert out.read_bytes() == b"stand-in"
    assert main(["lora", "resize", str(lora), "--rank", "2", "-o", str(out)]) == 2  # never overwrites silently
    assert "--force" in capsys.readouterr().err


def test_merge_picks_the_sdxl_script_and_dry_run_runs_nothing(tmp_path: Path, stand_in: Path, capsys: pytest.CaptureFixture[str]) -> None:
    meta = lorafiles.metadata(ss_base_model_version="sdxl_base_v1-0")
    a = lorafiles.make(tmp_path / "a.safetensors", meta=meta)
    b = lorafiles.make(tmp_path / "b.safetensors", meta=meta)
    out = tmp_path / "ab.safetensors"
    assert main(["lora", "merge", str(a), str(b), "--ratios", "1", "0.5", "-o", str(out), "--dry-run"]) == 0
    err = capsys.readouterr().err
    assert "sdxl_merge_lora.py" in err and "--ratios 1.0 0.5" in err and "--concat" in err
    assert not out.exists() and not (tmp_path / "record.json").exists()
    sd15 = lorafiles.make(tmp_path / "c.safetensors")
    assert main(["lora", "merge", str(a), str(sd15), "-o", str(out)]) == 2
    assert "mixes SDXL" in capsys.readouterr().err


def test_inputs_that_are_not_kohya_loras_never_reach_the_scripts(tmp_path: Path, stand_in: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    # before: resize "wrote" a file from a checkpoint, merge died with a KeyError deep in the script
    import numpy as np
    from safetensors.numpy import save_file

    lora = lorafiles.make(tmp_path / "a.safetensors")
    checkpoint = tmp_path / "model.safetensors"
    save_file({"model.diffusion_model.out.0.weight": np.zeros((4,), np.float32)}, str(checkpoint))
    loha = tmp_path / "loha.safetensors"
    save_file({"lora_unet_x.hada_w1_a": np.zeros((4, 2), np.float32)}, str(loha))
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(lora.read_bytes()[:5])
    assert main(["lora", "resize", str(checkpoint), "--rank", "2", "-o", str(tmp_path / "r.safetensors")]) == 2
    assert "model.safetensors: is not a LoRA (keys such as model.diffusion_model.out.0.weight)" in capsys.readouterr().err
    assert main(["lora", "merge", str(lora), str(loha), str(cut), "-o", str(tmp_path / "m.safetensors")]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "loha.safetensors: is a LyCORIS (LoHa/LoKr/DoRA) file, not a kohya LoRA" in err
    assert "cut.safetensors: not a readable safetensors file" in err
    assert not (tmp_path / "record.json").exists()  # the stand-in script never ran
