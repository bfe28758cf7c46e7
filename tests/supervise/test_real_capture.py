"""The log parser on real sd-scripts v0.10.1 output (see tests/fixtures/trainer_output/README.md)."""

from __future__ import annotations

import json

from test_log_parser import CAPTURES, parse_capture

REAL = CAPTURES / "real-sd-scripts-v0.10.1-cpu.jsonl"


def test_real_capture_reads_like_the_run_it_was():
    events = parse_capture(REAL)
    summary = next(e for e in events if e["kind"] == "summary")
    assert summary["values"]["num train images * repeats"] == "20"
    assert (summary["batches_per_epoch"], summary["epochs"], summary["total_steps"]) == (11, 1, 11)
    assert [e["epoch"] for e in events if e["kind"] == "epoch"] == [1]
    progress = [e for e in events if e["kind"] == "progress" and e["bar"] == "steps"]
    assert progress[-1]["step"] == progress[-1]["total"] == 11
    assert progress[-1]["loss"] == 1.08
    assert [e["path"].rsplit("/", 1)[-1] for e in events if e["kind"] == "checkpoint"] == ["it-cpu.safetensors"]
    assert [e["kind"] for e in events if e["kind"] in ("model_saved", "error")] == ["model_saved"]


def test_real_lora_has_the_sd15_layout():
    lora = json.loads((CAPTURES / "real-sd-scripts-v0.10.1-cpu.lora.json").read_text())
    keys = lora["tensor_keys"]
    assert len(keys) == 792  # 72 text-encoder + 192 U-Net modules × (down, up, alpha)
    assert "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.lora_down.weight" in keys
    assert lora["metadata_sample"]["ss_network_module"] == "networks.lora"


def test_builtin_capture_reads_like_sd_scripts():
    """The embedded trainer's real output through the same parser (captured from presets/demo.toml)."""
    events = parse_capture(CAPTURES / "builtin-demo.jsonl")
    summary = next(e for e in events if e["kind"] == "summary")
    assert (summary["total_steps"], summary["epochs"], summary["batches_per_epoch"]) == (10, 2, 5)
    assert [e["epoch"] for e in events if e["kind"] == "epoch"] == [1, 2]
    progress = [e for e in events if e["kind"] == "progress" and e["bar"] == "steps"]
    assert progress[-1]["step"] == 10 and progress[-1]["loss"] is not None
    assert [e["path"].rsplit("/", 1)[-1] for e in events if e["kind"] == "checkpoint"] == ["demo-000001.safetensors", "demo.safetensors"]
    assert any(e["kind"] == "sample" for e in events) and any(e["kind"] == "model_saved" for e in events)
