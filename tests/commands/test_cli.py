"""The command surface, called through `main(argv)` and as a real process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import toml

from testpaths import REPO
from orchestrator.cli import COMMANDS, main
from orchestrator.schema.reference import BEGIN, END, markdown

CAPTAIN = str(REPO / "presets" / "captain.toml")
PRESETS = sorted((REPO / "presets").rglob("*.toml"))


def test_validate_captain_ok(capsys):
    assert main(["validate", CAPTAIN]) == 0
    assert "is valid: 2 subjects, 20 images" in capsys.readouterr().out


def test_plan_json_gives_the_exact_steps(capsys):
    assert main(["plan", CAPTAIN, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["num_train_images"] == 10 * 11 + 10 * 12
    assert report["total_steps"] == report["epochs"] * report["batches_per_epoch"]
    assert sum(b["count"] for b in report["buckets"]) == report["num_train_images"]
    assert report["batches_per_epoch"] == sum(b["batches"] for b in report["buckets"])


def test_plan_renders_tables(capsys):
    assert main(["plan", CAPTAIN, "--set", "training.epochs=2"]) == 0
    out = capsys.readouterr().out
    assert "total optimization steps" in out and "uscaption" in out and "512×512" in out


def test_user_mistakes_exit_2_with_one_line_each(tmp_path, capsys):
    preset = tmp_path / "bad.toml"
    preset.write_text(f'extends = "{CAPTAIN}"\n[netwrok]\ndim = 2\n[[subjects]]\nname = "a"\ntrigger = "t"\n'
                      f'images = "missing folder"\nrepeats = 1\n', encoding="utf-8")
    assert main(["validate", str(preset)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.strip().splitlines() == ["error: netwrok: unknown key. Did you mean 'network'?"]
    preset.write_text(preset.read_text().replace("[netwrok]\ndim = 2\n", ""), encoding="utf-8")
    assert main(["validate", str(preset)]) == 2
    err = capsys.readouterr().err
    assert f"subjects[0].images: folder not found: {tmp_path / 'missing folder'}" in err


def test_an_output_path_that_cannot_be_written_is_one_line_not_a_traceback(tmp_path, capsys):
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder", encoding="utf-8")
    assert main(["compile", str(CAPTAIN), "-o", str(blocker / "out")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err
    assert err.strip().splitlines()[-1].startswith(f"error: {blocker}")
    assert blocker.read_text(encoding="utf-8") == "not a folder"


def test_validate_json_reports_problems(tmp_path, capsys):
    assert main(["validate", CAPTAIN, "--json", "--set", "subjects[0].repeats=0"]) == 2
    result = json.loads(capsys.readouterr().out)
    assert result["valid"] is False
    assert result["problems"][0]["location"] == "--set subjects[0].repeats"


def test_compile_writes_files_that_parse(tmp_path, capsys):
    out = tmp_path / "out dir é"
    assert main(["compile", CAPTAIN, "-o", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["accelerate_config.json", "command.json", "command.sh", "config.toml", "dataset_config.toml",
                     "sample_prompts.txt"]
    config = toml.loads((out / "config.toml").read_text(encoding="utf-8"))
    assert config["saving"]["output_dir"] == str(out / "output")
    assert (out / "command.sh").stat().st_mode & 0o111


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.name)
def test_every_shipped_preset_validates_and_compiles(preset, tmp_path):
    assert main(["validate", str(preset)]) == 0
    assert main(["compile", str(preset), "-o", str(tmp_path)]) == 0


def test_presets_list_and_copy(tmp_path, capsys):
    assert main(["presets"]) == 0
    assert "captain.toml  Your own face (hxh)" in capsys.readouterr().out
    dest = tmp_path / "mine.toml"
    assert main(["presets", "copy", "captain", str(dest)]) == 0
    assert dest.read_text() == Path(CAPTAIN).read_text()
    assert main(["presets", "copy", "captain", str(dest)]) == 2  # never overwrites


def test_schema_is_json_schema_for_editors(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["additionalProperties"] is False
    assert {"model", "subjects", "network", "training", "extends"} <= set(schema["properties"])
    assert "--network_dim" in json.dumps(schema)


def test_readme_preset_reference_is_generated_from_the_schema():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    embedded = readme.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert embedded == markdown().strip(), "README is stale: run `orchestrator schema --markdown` and paste it"


def test_every_command_help_shows_an_example(capsys):
    for command in COMMANDS:
        assert main([command.name, "--help"]) == 0
        assert "Example: orchestrator " in capsys.readouterr().out


def test_usage_error_exits_2(capsys):
    assert main(["plan"]) == 2
    assert main([]) == 2


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys; print(' '.join(sys.modules))"],
                         capture_output=True, text=True, check=True, cwd=REPO)
    return set(out.stdout.split())


def test_help_imports_nothing_heavy():
    modules = _modules_after("from orchestrator.cli import main\ntry:\n main(['--help'])\nexcept SystemExit: pass")
    assert not {"pydantic", "rich", "torch", "huggingface_hub"} & modules


def test_validate_and_plan_never_import_torch():
    modules = _modules_after(f"from orchestrator.cli import main\nmain(['plan', {CAPTAIN!r}])\nmain(['validate', {CAPTAIN!r}])")
    assert not {"torch", "diffusers", "transformers", "onnxruntime"} & modules


def test_python_dash_m_entry_point():
    done = subprocess.run([sys.executable, "-m", "orchestrator", "validate", CAPTAIN], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
