"""The health check on crafted files: a realistic LoRA is healthy; zeroed, NaN and malformed ones are caught."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import lorafiles
from orchestrator.lora.health import check
from orchestrator.lora.reader import read_lora


def codes(path: Path) -> dict[str, str]:
    report = check(read_lora(path))
    return {p.code: p.severity for p in report.problems}


def test_realistic_sd15_lora_is_healthy(tmp_path: Path) -> None:
    report = check(read_lora(lorafiles.make(tmp_path / "ok.safetensors")))
    assert report.state == "ok", [p.line() for p in report.problems]
    assert (report.tensors, report.modules) == (792, 264)  # SD 1.x: 72 + 192 modules, as sd-scripts writes them


def test_zeroed_lora_does_nothing(tmp_path: Path) -> None:
    path = lorafiles.make(tmp_path / "zero.safetensors", edit=lambda k, v: v * 0 if "lora_up" in k else v)
    report = check(read_lora(path))
    assert report.state == "error"
    (problem,) = report.problems
    assert problem.code == "zero-lora"
    assert "does nothing" in problem.message and "264 modules" in problem.message
    assert "unet_lr=0.0001" in problem.fix and "learning rate" in problem.fix


def test_near_zero_lora_is_caught_too(tmp_path: Path) -> None:
    path = lorafiles.make(tmp_path / "tiny.safetensors", up=1e-9, dtype="F32")
    (problem,) = check(read_lora(path)).problems
    assert problem.code == "zero-lora" and "near zero" in problem.message


def test_nan_lora(tmp_path: Path) -> None:
    bad = "lora_unet_mid_block_attentions_0_proj_in.lora_up.weight"
    path = lorafiles.make(tmp_path / "nan.safetensors", edit=lambda k, v: v * np.nan if k == bad else v)
    report = check(read_lora(path))
    assert report.state == "error"
    nan = next(p for p in report.problems if p.code == "nan-weights")
    assert bad in nan.message and "1 tensors" in nan.message
    assert "bf16" in nan.fix


def test_inf_alpha(tmp_path: Path) -> None:
    path = lorafiles.make(tmp_path / "inf.safetensors", dtype="F32", edit=lambda k, v: v * np.inf if k.endswith("fc1.alpha") else v)
    assert codes(path)["nan-weights"] == "error"


def test_untrained_text_encoder_is_named_by_block(tmp_path: Path) -> None:
    path = lorafiles.make(tmp_path / "te0.safetensors", edit=lambda k, v: v * 0 if k.startswith("lora_te_") and "lora_up" in k else v)
    report = check(read_lora(path))
    assert report.state == "warning"
    (problem,) = report.problems
    assert problem.code == "zero-blocks" and "te" in problem.message and "text_encoder_lr" in problem.message


def test_one_dead_unet_block(tmp_path: Path) -> None:
    dead = "lora_unet_up_blocks_3_"
    path = lorafiles.make(tmp_path / "up3.safetensors", edit=lambda k, v: v * 0 if k.startswith(dead) and "lora_up" in k else v)
    (problem,) = check(read_lora(path)).problems
    assert problem.code == "zero-blocks" and "up_blocks_3" in problem.message and "up_blocks_2" not in problem.message


def test_alpha_zero_missing_and_rank_mismatch(tmp_path: Path) -> None:
    t = lorafiles.tensors()
    t["lora_te_text_model_encoder_layers_0_mlp_fc1.alpha"] = np.array(0.0, dtype=np.float32)
    del t["lora_te_text_model_encoder_layers_0_mlp_fc2.alpha"]
    t["lora_te_text_model_encoder_layers_1_mlp_fc1.lora_up.weight"] = np.ones((16, 3), dtype=np.float32) * 1e-3
    del t["lora_te_text_model_encoder_layers_2_mlp_fc1.lora_down.weight"]
    path = lorafiles.write_safetensors(tmp_path / "odd.safetensors", t, lorafiles.metadata())
    found = codes(path)
    assert found["alpha-zero"] == "error"
    assert found["alpha-missing"] == "warning"
    assert found["rank-mismatch"] == "error"
    assert found["incomplete-module"] == "error"


def test_foreign_keys(tmp_path: Path) -> None:
    peft = {"unet.down_blocks.0.attentions.0.proj_in.lora_A.weight": np.ones((4, 8)),
            "unet.down_blocks.0.attentions.0.proj_in.lora_B.weight": np.ones((8, 4))}  # fmt: skip
    path = lorafiles.write_safetensors(tmp_path / "peft.safetensors", peft)
    (problem,) = check(read_lora(path)).problems
    assert problem.code == "not-kohya" and "diffusers/PEFT" in problem.message
    mixed = {**lorafiles.tensors(), "lora_unet_mid_block_attentions_0_proj_in.hada_w1_a": np.ones((4, 4))}
    path = lorafiles.write_safetensors(tmp_path / "mixed.safetensors", mixed, lorafiles.metadata())
    assert codes(path) == {"foreign-keys": "warning"}


def test_empty_file_and_zero_steps(tmp_path: Path) -> None:
    assert codes(lorafiles.write_safetensors(tmp_path / "empty.safetensors", {})) == {"empty": "error"}
    path = lorafiles.make(tmp_path / "early.safetensors", meta=lorafiles.metadata(ss_steps="0"))
    assert codes(path) == {"no-steps": "warning"}


def test_bf16_is_read_without_torch(tmp_path: Path) -> None:
    path = lorafiles.make(tmp_path / "bf16.safetensors", dtype="BF16")
    lora = read_lora(path)
    key = "lora_unet_mid_block_attentions_0_proj_in.lora_down.weight"
    expected = lorafiles.tensors()[key]
    assert lora.dtypes[key] == "BF16" and lora.tensors[key].dtype == np.float32
    assert np.allclose(lora.tensors[key], expected, rtol=1e-2, atol=1e-3)  # bf16 keeps ~3 significant digits
    assert check(lora).state == "ok"


def test_truncated_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = lorafiles.make(tmp_path / "cut.safetensors")
    path.write_bytes(path.read_bytes()[:5000])
    from orchestrator.problems import ProjectInvalid

    with pytest.raises(ProjectInvalid) as info:
        read_lora(path)
    assert info.value.problems[0].code == "lora-unreadable"


def test_pickle_is_refused_unless_allowed(tmp_path: Path) -> None:
    from orchestrator.problems import ProjectInvalid

    path = tmp_path / "old.ckpt"
    path.write_bytes(b"not even a pickle")
    with pytest.raises(ProjectInvalid) as info:
        read_lora(path)
    assert info.value.problems[0].code == "pickle-refused"
    assert "--allow-pickle" in info.value.problems[0].fix
