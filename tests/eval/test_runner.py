"""`eval`'s plan from a real run folder, and its errors (no torch: nothing is drawn here)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "export"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lora"))
import lorafiles  # noqa: E402
from exportruns import make_run  # noqa: E402

from orchestrator.cli import main  # noqa: E402
from orchestrator.eval.runner import make_plan, saved_epochs  # noqa: E402
from orchestrator.runs.index import resolve  # noqa: E402
from orchestrator.schema.loader import load_project  # noqa: E402


def _epoch_file(path: Path, epoch: int) -> Path:
    return lorafiles.make(path, meta=lorafiles.metadata(ss_epoch=str(epoch)))


def test_each_saved_epoch_once_the_final_file_winning(tmp_path: Path):
    out = tmp_path / "output"
    out.mkdir()
    _epoch_file(out / "demo-000001.safetensors", 1)
    _epoch_file(out / "demo-000002.safetensors", 2)
    _epoch_file(out / "demo.safetensors", 2)  # the final save of the last epoch
    (out / "broken.safetensors").write_bytes(b"\x00" * 7)  # unreadable: skipped, not a crash
    assert [(e.epoch, e.path.name) for e in saved_epochs(out)] == [(1, "demo-000001.safetensors"), (2, "demo.safetensors")]


def test_plan_from_the_runs_preset(runs_root: Path):
    run_dir = make_run(runs_root)
    _epoch_file(run_dir / "output" / "captain.safetensors", 3)
    run = resolve("latest")
    project = load_project(run.folder.project_toml).project
    plan = make_plan(run, project, weights=[1.0, 0.5])
    assert [m.role for m in plan.models] == ["base", "test"]  # captain has a test model
    assert plan.weights == [0.0, 0.5, 1.0] and [e.epoch for e in plan.epochs] == [3]
    assert (plan.width, plan.height) == (512, 512) and plan.steps == project.eval.steps
    assert plan.root == run.folder.eval_dir
    assert plan.prompts[-1].text == "hxh, uscaption, 1boy, upper body, outdoors, sunset"  # [eval] prompts


def test_a_run_without_saved_epochs_is_one_clear_error(runs_root: Path, capsys: pytest.CaptureFixture[str]):
    run_dir = make_run(runs_root)
    for lora in (run_dir / "output").glob("*.safetensors"):
        lora.unlink()
    assert main(["eval", "latest"]) == 2
    err = capsys.readouterr().err
    assert "no saved LoRA with an epoch number" in err and "Traceback" not in err


def test_sd_scripts_eval_refuses_a_pickle_test_model_before_any_download(runs_root: Path, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch,
                                                                        capsys: pytest.CaptureFixture[str]):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    run_dir = make_run(runs_root)
    _epoch_file(run_dir / "output" / "captain.safetensors", 1)
    pickled = tmp_path / "real model.ckpt"
    pickled.write_bytes(b"not really a pickle")
    project = run_dir / "project.toml"
    text = project.read_text()
    start = text.index("test_model = ")
    project.write_text(text[:start] + f'test_model = "{pickled}"' + text[text.index("\n", start):])
    assert main(["eval", "latest"]) == 2
    err = capsys.readouterr().err
    assert "model.test_model: real model.ckpt is a pickle checkpoint" in err and "--allow-pickle" in err
