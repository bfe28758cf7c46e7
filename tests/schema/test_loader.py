"""Preset loading: every user mistake is one located line with a fix, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from testpaths import REPO
from orchestrator.problems import ProjectInvalid
from orchestrator.schema.loader import load_project

CAPTAIN = REPO / "presets" / "captain.toml"


def write(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path, overrides=None) -> list[str]:
    with pytest.raises(ProjectInvalid) as info:
        load_project(path, overrides)
    return [p.line() for p in info.value.problems]


def test_captain_loads_with_paths_resolved_against_the_preset():
    loaded = load_project(CAPTAIN)
    assert loaded.project.subjects[0].images == REPO / "datasets" / "captain" / "hxh"
    assert [s.repeats for s in loaded.project.subjects] == [11, 12]
    assert [s.trigger for s in loaded.project.subjects] == ["hxh", "uscaption"]


def test_all_problems_are_reported_together_with_locations(tmp_path):
    preset = write(tmp_path, "bad.toml", f'''extends = "{CAPTAIN}"
[netwrok]
dim = 3
[training]
resolution = "big"
optimizer = "adamw9bit"
lr_scheduler = "cosin"
[[subjects]]
name = "a"
trigger = "hxh"
images = "x"
repeats = 0
''')
    lines = problems(preset)
    assert "netwrok: unknown key. Did you mean 'network'?" in lines
    assert "subjects[0].repeats: must be ≥ 1 (got 0)" in lines
    assert any(line.startswith("training.resolution: must be a whole number") for line in lines)
    assert any("training.optimizer" in line and "'AdamW8bit'" in line for line in lines)
    assert any("training.lr_scheduler" in line and "Did you mean 'cosine'" in line for line in lines)
    assert len(lines) == 5


def test_toml_syntax_error_names_the_line(tmp_path):
    preset = write(tmp_path, "syntax.toml", 'name = "x"\n[model]\nbase = "a\n')
    (line,) = problems(preset)
    assert line.startswith(f"{preset}:3: TOML syntax error")


def test_empty_paths_and_infinite_numbers_are_mistakes_not_values():
    # an empty path used to resolve to the preset's own folder; inf passed every `gt=0`
    for override, message in (("model.base=''", "model.base: is empty"),
                              ("subjects[0].images=' '", "subjects[0].images: is empty"),
                              ("training.learning_rate=inf", "training.learning_rate: Input should be a finite number"),
                              ("network.alpha=nan", "network.alpha: Input should be a finite number")):  # fmt: skip
        with pytest.raises(ProjectInvalid) as info:
            load_project(CAPTAIN, [override])
        assert any(message in p.line() for p in info.value.problems), [p.line() for p in info.value.problems]


def test_a_preset_saved_with_a_byte_order_mark_loads(tmp_path):
    preset = tmp_path / "notepad.toml"
    preset.write_bytes(b"\xef\xbb\xbf" + f'extends = "{CAPTAIN.as_posix()}"\nname = "bom"\n'.encode())
    assert load_project(preset).project.name == "bom"


def test_extends_cycle_is_an_error(tmp_path):
    write(tmp_path, "a.toml", 'extends = "b.toml"\n')
    write(tmp_path, "b.toml", 'extends = "a.toml"\n')
    (line,) = problems(tmp_path / "a.toml")
    assert "extends cycle: a.toml → b.toml → a.toml" in line


def test_duplicate_triggers_and_names(tmp_path):
    preset = write(tmp_path, "dup.toml", f'''extends = "{CAPTAIN}"
[[subjects]]
name = "one"
trigger = "hxh"
images = "{REPO}/datasets/captain/hxh"
repeats = 1
[[subjects]]
name = "one"
trigger = "HXH"
images = "{REPO}/datasets/captain/hxh"
repeats = 1
''')
    lines = problems(preset)
    assert any(line.startswith("subjects[1].name: 'one' is already used") for line in lines)
    assert any(line.startswith("subjects[1].trigger: 'HXH' is already the trigger of subjects[0]") for line in lines)


def test_extends_resolves_each_files_paths_against_its_own_folder(tmp_path):
    child = write(tmp_path, "deep/er/child.toml", f'extends = "{CAPTAIN}"\nname = "child"\n')
    project = load_project(child).project
    assert project.name == "child"
    assert project.subjects[1].images == REPO / "datasets" / "captain" / "uscaption"


def test_set_overrides_are_typed_and_located():
    project = load_project(CAPTAIN, ["training.learning_rate=5e-5", "subjects[1].repeats=3", "name=other-run"]).project
    assert project.training.learning_rate == 5e-5
    assert project.subjects[1].repeats == 3
    assert project.name == "other-run"
    with pytest.raises(ProjectInvalid) as info:
        load_project(CAPTAIN, ["training.learnig_rate=1e-4", "training.epochs=many"])
    lines = [p.line() for p in info.value.problems]
    assert "--set training.learnig_rate: unknown key. Did you mean 'learning_rate'?" in lines
    assert "--set training.epochs: must be a whole number (got 'many')" in lines


def test_env_vars_and_home_expand_in_paths(tmp_path, monkeypatch):
    monkeypatch.setenv("DATA_ROOT", str(REPO / "datasets"))
    preset = write(tmp_path, "env.toml", f'extends = "{CAPTAIN}"\n[model]\nbase = "hf://a/b/c.safetensors"\ntest_model = "~/m.safetensors"\n'
                   '[[subjects]]\nname = "x"\ntrigger = "hxh"\nimages = "$DATA_ROOT/captain/hxh"\nrepeats = 1\n')
    project = load_project(preset).project
    assert project.subjects[0].images == REPO / "datasets" / "captain" / "hxh"
    assert project.model.test_model == str(Path.home() / "m.safetensors")
    monkeypatch.delenv("DATA_ROOT")
    (line,) = problems(preset)
    assert "subjects[0].images" in line and "$DATA_ROOT is not set" in line


def test_cross_field_rules_say_the_rule_and_the_fix():
    lines = []
    for override in ("buckets.min_resolution=768", "training.lr_scheduler='constant'", "network.train_unet=false",
                     "training={epochs = 2, max_steps = 100}", "buckets.step=96", "buckets.min_resolution=32"):
        with pytest.raises(ProjectInvalid) as info:
            load_project(CAPTAIN, [override] + (["network.train_text_encoder=false"] if "train_unet" in override else []))
        lines += [p.line() for p in info.value.problems]
    text = "\n".join(lines)
    assert "buckets.min_resolution: 768 is above the training resolution's short side (512)" in text
    assert "lr_scheduler 'constant' takes no warm-up" in text
    assert "set either epochs or max_steps" in text
    assert "network: train_unet and train_text_encoder are both false: nothing would train" in text
    assert "buckets.step: 96 is not divisible by 64" in text
    assert "buckets.min_resolution: 32 is below buckets.step (64)" in text and "ZeroDivisionError" in text


def test_bucket_step_rule_covers_the_builtin_trainer_too():
    # the builtin mirrors sd-scripts' assert; before this rule it failed only after the launch
    with pytest.raises(ProjectInvalid) as info:
        load_project(CAPTAIN.with_name("demo.toml"), ["buckets.step=16"])
    (problem,) = info.value.problems
    assert problem.location == "buckets.step" and "sd-scripts and the builtin trainer assert" in problem.fix


def test_newer_schema_version_is_refused(tmp_path):
    preset = write(tmp_path, "new.toml", f'extends = "{CAPTAIN}"\nschema_version = 99\n')
    (line,) = problems(preset)
    assert line.startswith("schema_version: preset is version 99")


def test_warnings_do_not_stop_a_project():
    loaded = load_project(CAPTAIN, ["network.alpha=64"])
    assert any(w.location == "network.alpha" for w in loaded.warnings)


def test_setting_steps_replaces_inherited_epochs(tmp_path):
    child = write(tmp_path, "steps.toml", f'extends = "{CAPTAIN}"\n[training]\nmax_steps = 100\n')
    training = load_project(child).project.training
    assert (training.epochs, training.max_steps) == (None, 100)
    training = load_project(CAPTAIN, ["training.max_steps=50"]).project.training
    assert (training.epochs, training.max_steps) == (None, 50)
    samples = load_project(CAPTAIN, ["samples.every_n_steps=10"]).project.samples
    assert (samples.every_n_epochs, samples.every_n_steps) == (None, 10)
