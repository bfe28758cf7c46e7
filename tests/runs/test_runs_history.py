"""`runs list|show|diff|rerun|resume|rm` on real run folders made by the fake trainer."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from orchestrator.cli import main
from orchestrator.runs.index import all_runs, resolve
from orchestrator.runs.status import Status, effective
from orchestrator.problems import ProjectInvalid


def names() -> list[str]:
    return [r.name for r in all_runs()]


def test_list_show_diff_rerun_rm(preset: Path, fake_env, capsys) -> None:
    assert main(["run", str(preset), "--backend", "fake"]) == 0
    assert main(["run", str(preset), "--backend", "fake", "--set", "training.learning_rate=2e-4", "--name", "lr2"]) == 0
    capsys.readouterr()
    assert main(["runs", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in rows] == ["succeeded", "succeeded"] and rows[0]["name"].startswith("lr2-")
    assert rows[0]["steps"] == "12/12" and rows[0]["final_loss"] == pytest.approx(0.123) and rows[0]["output"].endswith(".safetensors")
    assert main(["runs", "list"]) == 0 and "succeeded" in capsys.readouterr().out
    assert main(["runs", "show", "latest"]) == 0
    shown = capsys.readouterr().out
    assert "lr2-" in shown and "succeeded" in shown and "12/12" in shown
    assert main(["runs", "diff", "fake", "lr2", "--json"]) == 0
    diff = json.loads(capsys.readouterr().out)
    changed = {row["key"]: (row["a"], row["b"]) for row in diff["project"]}
    assert changed == {"training.learning_rate": (1e-4, 2e-4)}  # --name names the folder, not the project
    assert any(row["key"] == "final_loss" for row in diff["metrics"])
    # rerun: a new folder, same project, same backend
    assert main(["runs", "rerun", "fake"]) == 0
    assert len(names()) == 3
    latest = resolve("latest")
    assert latest.status.backend == "fake" and latest.name.startswith("fake-")
    assert (latest.folder.project_toml.read_text().split("\n", 2)[2]
            == resolve(names()[-1]).folder.project_toml.read_text().split("\n", 2)[2])  # fmt: skip
    # rm by prefix; an ambiguous prefix is refused
    assert main(["runs", "rm", "fake"]) == 2
    assert main(["runs", "rm", "lr2"]) == 0
    assert len(names()) == 2 and not any(n.startswith("lr2") for n in names())


def test_resume_from_the_newest_state(tmp_path: Path, fake_env, capsys) -> None:
    import fake_trainer

    preset = fake_trainer.make_project(tmp_path / "stateful", name="stateful", save_state=True)
    fake_env("hang", speed=0.0, ORCHESTRATOR_STOP_GRACE="1")
    assert main(["run", str(preset), "--backend", "fake", "--dry-run"]) == 0  # the project is fine
    fake_env("success")
    assert main(["run", str(preset), "--backend", "fake"]) == 0
    first = resolve("latest")
    assert (first.folder.output_dir / "stateful-000001-state" / "train_state.json").exists()
    assert main(["runs", "resume", "latest"]) == 0
    resumed = resolve("latest")
    assert resumed.name != first.name and resumed.status.resumed_from == first.name
    config = (resumed.folder.compiled_dir / "config.toml").read_text()
    assert 'resume = "' in config and "-state" in config
    # a changed dataset refuses the resume unless forced
    (tmp_path / "stateful" / "data" / "img0.txt").write_text("zkq, changed caption")
    with pytest.raises(ProjectInvalid, match="changed"):
        from orchestrator.runs.resume import resume_overrides

        resume_overrides(first)
    assert main(["runs", "resume", first.name]) == 2
    assert main(["runs", "resume", first.name, "--force"]) == 0


def test_resume_needs_a_state(preset: Path, fake_env, capsys) -> None:
    assert main(["run", str(preset), "--backend", "fake"]) == 0
    assert main(["runs", "resume", "latest"]) == 2
    assert "save_state" in capsys.readouterr().err


def test_orphan_detection_and_unknown_runs(tmp_path: Path, fake_env) -> None:
    gone = Status(state="running", supervisor_pid=2**22 + 12345)
    assert effective(gone).state == "orphaned"
    mine = Status(state="running", supervisor_pid=os.getpid())
    assert effective(mine).state == "running"
    with pytest.raises(ProjectInvalid):
        resolve("nothing-here")
    assert main(["runs", "show", "latest"]) == 2


def test_status_and_manifest_are_written_atomically_and_are_json(preset: Path, fake_env) -> None:
    assert main(["run", str(preset), "--backend", "fake"]) == 0
    folder = resolve("latest").folder.path
    assert not [p for p in folder.rglob(".*") if p.is_file()]  # no temp files left behind
    json.loads((folder / "status.json").read_text())
    json.loads((folder / "manifest.json").read_text())
    lines = (folder / "metrics.jsonl").read_text().splitlines()
    assert all(json.loads(line)["kind"] for line in lines)
    assert json.loads(lines[-1])["kind"] == "exit"


def test_a_run_with_an_unreadable_status_stays_listed_and_usable(preset: Path, fake_env, capsys) -> None:
    assert main(["run", str(preset), "--backend", "fake"]) == 0
    run = resolve("latest")
    run.folder.status.write_text("{cut off by a full disk", encoding="utf-8")
    capsys.readouterr()
    assert main(["runs", "list", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["name"] == run.name and row["status"] == "unreadable"
    assert main(["runs", "show", "latest"]) == 0 and "status.json cannot be read" in capsys.readouterr().out
    assert main(["runs", "rerun", run.name, "--backend", "fake"]) == 0  # its project is still there to use
    assert main(["runs", "rm", run.name]) == 0 and len(names()) == 1
