"""The ComfyUI workflow: structurally valid (every link to an existing node and output slot of the
right type, every required input present), on the preset's test model, with stacked LoRAs."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from exportruns import lorafiles, make_run
from orchestrator.cli import main
from orchestrator.export import comfyui
from orchestrator.export.comfy_nodes import NODES
from orchestrator.export.source import from_file, resolve_source

PIPELINE = ["CheckpointLoaderSimple", "LoraLoader", "CLIPTextEncode", "CLIPTextEncode", "EmptyLatentImage", "KSampler", "VAEDecode", "SaveImage"]


def by_type(workflow: dict, class_type: str) -> list[tuple[str, dict]]:
    return [(i, n) for i, n in workflow.items() if n["class_type"] == class_type]


def test_workflow_from_a_run_is_valid_and_uses_the_test_model(runs_root: Path) -> None:
    make_run(runs_root)
    workflow, notes = comfyui.build(resolve_source("latest"))
    assert comfyui.validate(workflow) == []
    assert [n["class_type"] for n in workflow.values()] == PIPELINE
    for node in workflow.values():  # the structural contract, spelled out
        spec = NODES[node["class_type"]]
        assert set(node["inputs"]) == set(spec.inputs)
        for value in node["inputs"].values():
            if isinstance(value, list):
                source = workflow[value[0]]
                assert value[1] < len(NODES[source["class_type"]].outputs)
    (_, ckpt), = by_type(workflow, "CheckpointLoaderSimple")
    assert ckpt["inputs"]["ckpt_name"] == "majicmixRealistic_v7.safetensors" and notes == []
    (_, lora), = by_type(workflow, "LoraLoader")
    assert lora["inputs"]["lora_name"] == "captain.safetensors" and lora["inputs"]["strength_model"] == 0.8
    positive, negative = (n["inputs"]["text"] for _, n in by_type(workflow, "CLIPTextEncode"))
    assert positive.startswith("hxh, uscaption") and "plastic skin" in negative
    (_, sampler), = by_type(workflow, "KSampler")
    assert sampler["inputs"]["sampler_name"] == "euler_ancestral" and sampler["inputs"]["seed"] == 1
    (_, latent), = by_type(workflow, "EmptyLatentImage")
    assert (latent["inputs"]["width"], latent["inputs"]["height"]) == (512, 512)


def test_stacked_loras_chain_model_and_clip(tmp_path: Path) -> None:
    src = from_file(lorafiles.make(tmp_path / "face.safetensors"))
    workflow, notes = comfyui.build(src, weight=1.0, extra=[comfyui.ExtraLora("pose.safetensors", 0.6)])
    assert comfyui.validate(workflow) == []
    (first_id, first), (second_id, second) = by_type(workflow, "LoraLoader")
    assert second["inputs"]["model"] == [first_id, 0] and second["inputs"]["clip"] == [first_id, 1]
    (_, sampler), = by_type(workflow, "KSampler")
    assert sampler["inputs"]["model"] == [second_id, 0]
    assert all(n["inputs"]["clip"] == [second_id, 1] for _, n in by_type(workflow, "CLIPTextEncode"))
    assert first["inputs"]["lora_name"] == "face.safetensors" and second["inputs"]["strength_clip"] == 0.6
    # a bare file: the base model named in its metadata, triggers from its folder names
    (_, ckpt), = by_type(workflow, "CheckpointLoaderSimple")
    assert ckpt["inputs"]["ckpt_name"] == "v1-5-pruned-emaonly.safetensors"


@pytest.mark.parametrize(
    ("break_it", "message"),
    [
        (lambda w: w["2"]["inputs"].__setitem__("model", ["99", 0]), "missing node '99'"),
        (lambda w: w["2"]["inputs"].__setitem__("model", ["1", 5]), "output 5 of node 1"),
        (lambda w: w["2"]["inputs"].__setitem__("model", ["1", 1]), "wants MODEL but gets CLIP"),
        (lambda w: w["6"]["inputs"].pop("latent_image"), "required input 'latent_image' is missing"),
        (lambda w: w["6"]["inputs"].__setitem__("sampler_name", "euler_a"), "invalid COMBO value 'euler_a'"),
        (lambda w: w["5"]["inputs"].__setitem__("width", "512"), "invalid INT value '512'"),
        (lambda w: w["1"].__setitem__("class_type", "CheckpointLoaderFancy"), "unknown node type"),
        (lambda w: w.pop("8"), "no output node"),
        (lambda w: w["2"]["inputs"].__setitem__("model", ["6", 0]), "wants MODEL but gets LATENT"),
        (lambda w: w.__setitem__("9", {"class_type": "EmptyLatentImage", "inputs": {"width": 8, "height": 8, "batch_size": 1}}),
         "node 9 does not feed any output"),
    ],
)
def test_validate_catches_broken_workflows(tmp_path: Path, break_it, message: str) -> None:
    workflow, _ = comfyui.build(from_file(lorafiles.make(tmp_path / "a.safetensors")))
    broken = copy.deepcopy(workflow)
    break_it(broken)
    assert any(message in e for e in comfyui.validate(broken)), comfyui.validate(broken)


def test_cycles_are_rejected() -> None:
    workflow = {
        "1": {"class_type": "VAEDecode", "inputs": {"samples": ["2", 0], "vae": ["3", 2]}},
        "2": {"class_type": "KSampler", "inputs": {"model": ["4", 0], "seed": 1, "steps": 1, "cfg": 1.0, "sampler_name": "euler",
                                                   "scheduler": "normal", "positive": ["5", 0], "negative": ["5", 0],
                                                   "latent_image": ["2", 0], "denoise": 1.0}},
    }  # fmt: skip
    assert "the links form a cycle" in comfyui.validate(workflow)


def test_export_command_writes_the_workflow(runs_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_run(runs_root, "demo")
    out = tmp_path / "wf.json"
    assert main(["export", "comfyui", "latest", "-o", str(out), "--with", "pose.safetensors:0.5", "--seed", "7"]) == 0
    workflow = json.loads(out.read_text())
    assert comfyui.validate(workflow) == [] and len(by_type(workflow, "LoraLoader")) == 2
    assert by_type(workflow, "KSampler")[0][1]["inputs"]["seed"] == 7
    assert "cannot load it" in capsys.readouterr().err  # builtin:tiny-sd is not a ComfyUI checkpoint
    assert main(["export", "comfyui", "latest", "--with", "x.safetensors:heavy"]) == 2
