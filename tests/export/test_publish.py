"""A1111 snippet and `publish`: the model-card folder (offline, --dry-run), the token never written,
the upload through huggingface_hub (faked), and clear messages offline or without a token."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from exportruns import make_run
from orchestrator.cli import main
from orchestrator.export import comfyui, publish
from orchestrator.export.prompt import snippet
from orchestrator.export.source import resolve_source

TOKEN = "hf_abcdefghijklmnopqrstuvwxyz0123456789"


def card(folder: Path) -> tuple[dict, str]:
    text = (folder / "README.md").read_text()
    _, front, body = text.split("---\n", 2)
    return yaml.safe_load(front), body


def test_a1111_snippet(runs_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_run(runs_root)
    data = snippet(resolve_source("latest"))
    assert data["snippet"] == "<lora:captain:0.8>, hxh, uscaption"
    assert data["example"] == "hxh, uscaption, 1boy, upper body, outdoors, sunset, <lora:captain:0.8>"
    assert main(["export", "a1111", "latest", "--weight", "0.65"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "<lora:captain:0.65>, hxh, uscaption"


def test_a1111_snippet_of_a_bare_file_without_metadata(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from safetensors.numpy import save_file

    lora = tmp_path / "my lora é.safetensors"
    save_file({"lora_unet_x.lora_down.weight": np.zeros((4, 8), np.float32)}, str(lora))
    data = snippet(resolve_source(str(lora)))
    assert (data["snippet"], data["example"]) == ("<lora:my lora é:0.8>", "<lora:my lora é:0.8>")


def test_a1111_refuses_a_safetensors_file_that_is_not_a_lora(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from safetensors.numpy import save_file

    model = tmp_path / "checkpoint.safetensors"
    save_file({"model.diffusion_model.out.0.weight": np.zeros((4,), np.float32)}, str(model))
    assert main(["export", "comfyui", str(model)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "is not a LoRA (keys such as model.diffusion_model.out.0.weight)" in err
    loha = tmp_path / "loha.safetensors"  # LyCORIS files load in the WebUIs: exported, not refused
    save_file({"lora_unet_x.hada_w1_a": np.zeros((4, 2), np.float32)}, str(loha))
    assert snippet(resolve_source(str(loha)))["snippet"] == "<lora:loha:0.8>"


def test_a1111_refuses_a_file_that_is_not_safetensors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "cut.safetensors"
    junk.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json")
    assert main(["export", "a1111", str(junk)]) == 2
    err = capsys.readouterr().err
    assert "cut.safetensors" in err and "not a readable safetensors file" in err and "Traceback" not in err


def test_dry_run_writes_a_complete_model_card_folder(runs_root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    run = make_run(runs_root, grid=True, scorecard=True)
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    assert main(["publish", "latest", "--repo", "alice/captain-lora", "--dry-run", "--license", "creativeml-openrail-m"]) == 0
    assert "dry run: nothing uploaded" in capsys.readouterr().out
    folder = run / "publish"
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert files == ["README.md", "captain.safetensors", "comfyui_workflow.json", "images/grid.png", "project.toml", "scorecard.json"]
    assert (folder / "captain.safetensors").read_bytes() == (run / "output" / "captain.safetensors").read_bytes()
    front, body = card(folder)
    assert front["base_model"] == "stable-diffusion-v1-5/stable-diffusion-v1-5"
    assert {"lora", "stable-diffusion", "text-to-image"} <= set(front["tags"])
    assert front["instance_prompt"] == "hxh, uscaption" and front["license"] == "creativeml-openrail-m"
    assert front["widget"][0]["output"]["url"] == "images/grid.png"
    assert "`hxh` — face" in body and "repeats 11" in body and "majicmixRealistic_v7.safetensors" in body
    assert "| network | lora, dim 32, alpha 16 |" in body and "AdamW8bit (weight_decay=0.01)" in body
    assert "| leakage | 0.05 |" in body and "| fidelity.1.0 | 0.81 |" in body
    assert "<lora:captain:0.8>, hxh, uscaption" in body
    assert comfyui.validate(json.loads((folder / "comfyui_workflow.json").read_text())) == []
    project = (folder / "project.toml").read_text()
    assert '"…/captain/hxh"' in project and str(Path.home()) not in project and "/work" not in project
    for path in folder.rglob("*"):  # the token is never written anywhere
        assert not path.is_file() or TOKEN.encode() not in path.read_bytes(), path


def test_samples_stand_in_for_a_missing_grid_with_their_own_prompts(runs_root: Path, tmp_path: Path) -> None:
    make_run(runs_root)
    out = tmp_path / "card"
    assert main(["publish", "latest", "--repo", "alice/captain-lora", "--dry-run", "-o", str(out), "--json"]) == 0
    front, _ = card(out)
    urls = [w["output"]["url"] for w in front["widget"]]
    assert urls == [f"images/captain_e000002_{i:02d}_20260101120000_1234.png" for i in range(3)]  # the newest epoch
    assert front["widget"][1]["text"].startswith("uscaption, 1boy")  # sample line 01 = the preset's second prompt
    assert main(["publish", "latest", "--repo", "alice/captain-lora", "--dry-run", "-o", str(out)]) == 0  # regenerates in place


def test_offline_without_dry_run_is_a_clear_message(runs_root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    run = make_run(runs_root, samples=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert main(["publish", "latest", "--repo", "alice/captain-lora"]) == 2
    err = capsys.readouterr().err
    assert "HF_HUB_OFFLINE" in err and "--dry-run" in err and "folder is ready" in err
    assert (run / "publish" / "README.md").is_file()


def test_missing_token_and_bad_repo(runs_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    make_run(runs_root, samples=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))  # no stored login there
    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "get_token", lambda: None)
    assert main(["publish", "latest", "--repo", "alice/captain-lora"]) == 2
    assert "no Hugging Face token" in capsys.readouterr().err
    assert main(["publish", "latest", "--repo", "not a repo"]) == 2
    assert "user/name" in capsys.readouterr().err


class FakeApi:
    def __init__(self, fail: Exception | None = None):
        self.calls: list[tuple[str, dict]] = []
        self.fail = fail

    def create_repo(self, **kwargs):
        self.calls.append(("create_repo", kwargs))
        if self.fail:
            raise self.fail
        return f"https://huggingface.co/{kwargs['repo_id']}"

    def upload_folder(self, **kwargs):
        self.calls.append(("upload_folder", kwargs))
        self.uploaded = sorted(p.name for p in Path(kwargs["folder_path"]).rglob("*") if p.is_file())


def test_upload_creates_the_repo_and_uploads_the_folder(runs_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_run(runs_root, samples=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    src = resolve_source("latest")
    done = publish.write_folder(src, "alice/captain-lora", src.run.folder.path / "publish")
    api = FakeApi()
    result = publish.upload(done, "alice/captain-lora", private=True, api=api)
    assert [c[0] for c in api.calls] == ["create_repo", "upload_folder"]
    assert api.calls[0][1] == {"repo_id": "alice/captain-lora", "repo_type": "model", "private": True, "exist_ok": True}
    assert api.calls[1][1]["folder_path"] == str(done.folder) and "captain.safetensors" in api.uploaded
    assert result.url == "https://huggingface.co/alice/captain-lora"
    with pytest.raises(Exception) as info:
        publish.upload(done, "alice/captain-lora", api=FakeApi(ConnectionError("no route to host")))
    assert "upload failed (ConnectionError: no route to host)" in str(info.value) and "folder is ready" in str(info.value)


def test_the_hfapi_gets_the_token_from_huggingface_hub(runs_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_run(runs_root, samples=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    made: list[dict] = []

    class RecordingApi(FakeApi):
        def __init__(self, **kwargs):
            made.append(kwargs)
            super().__init__()

    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "HfApi", RecordingApi)
    monkeypatch.setattr(huggingface_hub, "get_token", lambda: TOKEN)
    assert main(["publish", "latest", "--repo", "alice/captain-lora", "--json"]) == 0
    assert made == [{"token": TOKEN}]


def test_an_eval_scorecard_becomes_its_headline_in_the_card(runs_root: Path) -> None:
    run = make_run(runs_root, grid=True, scorecard=True)
    scorecard = {"recommended_epoch": 2, "reason": "epoch 2 has the best fidelity without leakage (0.610)",
                 "reference_weight": 1.0, "fidelity_by_weight": {"2": {"0": 0.0, "0.5": 0.31, "1": 0.64}},
                 "summary": {"fidelity": 0.64, "ease_of_invocation": {"saturation_weight": 0.8, "bare_trigger_share": 0.7},
                             "generalisation": 0.55, "leakage": 0.05},
                 "embedding": {"kind": "pixel", "note": "offline pixel embedding"}, "epochs": {"2": {"deep": {"x": 1}}}}
    (run / "eval" / "scorecard.json").write_text(json.dumps(scorecard))
    assert main(["publish", "latest", "--repo", "alice/captain-lora", "--dry-run"]) == 0
    _, body = card(run / "publish")
    section = body.split("## Scorecard", 1)[1].split("## Files", 1)[0]
    assert "| recommended epoch | 2: epoch 2 has the best fidelity without leakage (0.610) |" in section
    assert "| leakage | 0.050 |" in section and "saturates at weight 0.8" in section
    assert "0.5: 0.310, 1: 0.640" in section and "offline pixel embedding" in section
    assert "epochs.2.deep" not in section  # the headline, not every nested number
