"""`orchestrator lora inspect`: metadata in words, per-block norms, health, JSON; keys and metadata parsing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import lorafiles
from orchestrator.cli import main
from orchestrator.lora.keys import block_of, block_order, foreign_kind, split
from orchestrator.lora.metadata import summarize


@pytest.mark.parametrize(
    ("module", "block"),
    [
        ("lora_unet_down_blocks_2_attentions_1_transformer_blocks_0_attn1_to_q", "down_blocks_2"),
        ("lora_unet_mid_block_attentions_0_proj_in", "mid_block"),
        ("lora_unet_up_blocks_3_attentions_2_proj_out", "up_blocks_3"),
        ("lora_te_text_model_encoder_layers_0_mlp_fc1", "te"),
        ("lora_te2_text_model_encoder_layers_0_mlp_fc1", "te2"),
        ("lora_unet_input_blocks_4_1_transformer_blocks_0_attn1_to_q", "input_blocks_4"),
        ("lora_unet_middle_block_1_proj_in", "middle_block"),
        ("lora_unet_output_blocks_0_1_proj_in", "output_blocks_0"),
        ("lora_unet_conv_in", "unet_other"),
    ],
)
def test_block_of(module: str, block: str) -> None:
    assert block_of(module) == block


def test_block_order_follows_the_data_flow() -> None:
    blocks = ["up_blocks_1", "mid_block", "te", "down_blocks_10", "down_blocks_2", "up_blocks_0"]
    assert sorted(blocks, key=block_order) == ["te", "down_blocks_2", "down_blocks_10", "mid_block", "up_blocks_0", "up_blocks_1"]


def test_key_grammar() -> None:
    assert split("lora_te_text_model_encoder_layers_0_mlp_fc1.lora_up.weight").role == "lora_up.weight"
    assert split("lora_unet_mid_block_attentions_0_proj_in.alpha").module == "lora_unet_mid_block_attentions_0_proj_in"
    assert split("unet.x.lora_A.weight").role == ""
    assert foreign_kind("lora_unet_x.hada_w1_a") == "LyCORIS (LoHa/LoKr/DoRA)"
    assert foreign_kind("lora_unet_x.diff") == foreign_kind("lora_unet_x.lora_mid.weight") == "LyCORIS (LoHa/LoKr/DoRA)"
    assert foreign_kind("model.diffusion_model.out.0.weight") == "unknown"  # a checkpoint, not LyCORIS' "diff"


def test_metadata_summary() -> None:
    s = summarize(lorafiles.metadata())
    assert (s.network_module, s.network_dim, s.network_alpha) == ("networks.lora", 4, 2.0)
    assert (s.steps, s.epoch, s.resolution, s.base_model_version) == (11, 1, "512x512", "sd_v1")
    assert s.trigger_words == ["hxh", "uscaption"] and s.trigger_source == "dataset folder names"
    first = s.datasets[0]
    assert (first.name, first.repeats, first.images) == ("11_hxh man", 11, 10)
    assert first.top_tags[:2] == [("1boy", 10), ("hxh", 10)]
    phrased = summarize(lorafiles.metadata(**{"modelspec.trigger_phrase": "hxh, uscaption"}))
    assert phrased.trigger_words == ["hxh", "uscaption"] and phrased.trigger_source == "modelspec.trigger_phrase"
    assert summarize({"ss_network_dim": "None", "ss_steps": "nonsense"}).network_dim is None


def test_inspect_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = lorafiles.make(tmp_path / "captain.safetensors")
    assert main(["lora", "inspect", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["tensors"] == 792 and data["modules"] == 264 and data["dtypes"] == {"F16": 792}
    assert data["effective_scale"] == 0.5  # alpha 2 / rank 4
    assert data["metadata"]["trigger_words"] == ["hxh", "uscaption"]
    blocks = [b["block"] for b in data["blocks"]]
    assert blocks == ["te", "down_blocks_0", "down_blocks_1", "down_blocks_2", "mid_block", "up_blocks_1", "up_blocks_2", "up_blocks_3"]
    te = data["blocks"][0]
    assert te["modules"] == 72 and te["ranks"] == [4] and te["delta_norm"] > 0 and te["zero_modules"] == 0
    assert data["health"]["state"] == "ok" and "raw_metadata" not in data


def test_block_norm_matches_the_explicit_product(tmp_path: Path) -> None:
    from orchestrator.lora.norms import module_stats
    from orchestrator.lora.reader import read_lora

    keys = [k for k in lorafiles.REAL["tensor_keys"] if k.startswith("lora_unet_mid_block_attentions_0_proj_in.")]
    t = lorafiles.tensors(keys=keys)
    lora = read_lora(lorafiles.write_safetensors(tmp_path / "one.safetensors", t))
    (stats,), _ = module_stats(lora)
    name = "lora_unet_mid_block_attentions_0_proj_in"
    up, down = t[f"{name}.lora_up.weight"], t[f"{name}.lora_down.weight"]
    assert stats.delta_norm == pytest.approx(0.5 * np.linalg.norm(up.astype(np.float64) @ down), rel=1e-6)


def test_inspect_table_and_exit_code_of_a_broken_lora(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = lorafiles.make(tmp_path / "zero.safetensors", edit=lambda k, v: v * 0 if "lora_up" in k else v)
    assert main(["lora", "inspect", str(path), "--metadata"]) == 1
    out = capsys.readouterr().out
    assert "health: error" in out and "does nothing" in out
    assert "trigger words" in out and "hxh, uscaption" in out and "mid_block" in out
    assert "ss_network_module" in out  # --metadata lists the raw keys


def test_inspect_refuses_pickles_and_reads_them_when_allowed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    torch = pytest.importorskip("torch")
    path = tmp_path / "old.pt"
    state = {k: torch.from_numpy(v) for k, v in lorafiles.tensors(keys=lorafiles.REAL["tensor_keys"][:6]).items()}
    torch.save(state, path)
    assert main(["lora", "inspect", str(path)]) == 2
    assert "--allow-pickle" in capsys.readouterr().err
    assert main(["lora", "inspect", str(path), "--allow-pickle", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["format"] == "pickle" and data["tensors"] == 6 and data["health"]["state"] == "ok"


def test_inspect_missing_file_and_unknown_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ORCHESTRATOR_RUNS", str(tmp_path / "runs"))
    assert main(["lora", "inspect", str(tmp_path / "nope.safetensors")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["lora", "inspect", "latest"]) == 2
    assert "no runs yet" in capsys.readouterr().err
