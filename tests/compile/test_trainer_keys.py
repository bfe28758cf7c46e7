"""Every compiled key is one the pinned sd-scripts reads, at a level where it reads it.

The training TOML is lax (unknown keys are ignored silently, so a typo trains with a
default) and the dataset TOML is strict (unknown keys crash after model loading): both
are checked here for every preset and variant.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from testpaths import FIXTURES, REPO
from orchestrator.backends.sdscripts import options
from orchestrator.compile.compiled import CompilePaths, compile_project
from orchestrator.compile.launch import training_script
from orchestrator.schema.loader import load_project

SHARED_TSV = REPO.parent / "shared" / "sd-scripts-train_network-args-v0.10.1.tsv"
PRESETS = sorted((REPO / "presets").rglob("*.toml")) + sorted((FIXTURES / "presets").glob("*.toml"))

# The dataset-config schema of sd-scripts v0.10.1 (facts doc §4, library/config_util.py).
DATASET_LEVEL = {"resolution", "batch_size", "enable_bucket", "min_bucket_reso", "max_bucket_reso", "bucket_reso_steps",
                 "bucket_no_upscale", "network_multiplier", "validation_seed", "validation_split", "resize_interpolation"}
ASCENDING = {"num_repeats", "shuffle_caption", "caption_separator", "keep_tokens", "keep_tokens_separator",
             "secondary_separator", "enable_wildcard", "caption_prefix", "caption_suffix", "color_aug", "flip_aug",
             "random_crop", "face_crop_aug_range", "token_warmup_min", "token_warmup_step", "custom_attributes",
             "resize_interpolation", "caption_dropout_rate", "caption_dropout_every_n_epochs", "caption_tag_dropout_rate",
             "caption_extension", "class_tokens", "cache_info"}
SUBSET_ONLY = {"image_dir", "is_reg", "alpha_mask"}
TYPES = {"num_repeats": int, "keep_tokens": int, "batch_size": int, "min_bucket_reso": int, "max_bucket_reso": int,
         "bucket_reso_steps": int, "caption_dropout_rate": float, "caption_tag_dropout_rate": float,
         "shuffle_caption": bool, "flip_aug": bool, "color_aug": bool, "is_reg": bool, "enable_bucket": bool,
         "bucket_no_upscale": bool, "image_dir": str, "class_tokens": str, "caption_extension": str}  # fmt: skip


def compiled(preset: Path):
    return compile_project(load_project(preset).project, CompilePaths.flat(Path("/out")))


def test_packaged_option_table_agrees_with_the_shared_facts():
    """Same options and types as ../shared's table (which cuts long choice lists short;
    ours is regenerated from the real parser by `python -m orchestrator.backends.sdscripts.introspect`)."""
    if not SHARED_TSV.exists():
        pytest.skip("../shared/ is not beside this checkout")
    import csv

    shared = {r["name"]: r for r in csv.DictReader(SHARED_TSV.read_text(encoding="utf-8").splitlines(), delimiter="\t")}
    ours = options.options()
    assert set(ours) == set(shared)
    for name, row in shared.items():
        assert ours[name].type == ("flag" if row["action"] == "store_true" else (row["type"] or "str")), name
    assert "k_euler_a" in ours["sample_sampler"].choices


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.stem)
def test_every_training_key_exists_with_the_parsers_type(preset: Path):
    c = compiled(preset)
    table = options.options_for(training_script(load_project(preset).project))
    flat = c.flat_config()
    assert set(flat) <= set(table), set(flat) - set(table)
    assert options.check_config(flat, training_script(load_project(preset).project)) == []
    assert isinstance(flat.get("resolution", ""), str)  # never an int: the trainer would crash


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.stem)
def test_every_dataset_key_is_allowed_at_its_level(preset: Path):
    doc = compiled(preset).dataset_config
    assert set(doc) <= {"general", "datasets"}
    assert set(doc["general"]) <= DATASET_LEVEL | ASCENDING
    for dataset in doc["datasets"]:
        assert set(dataset) - {"subsets"} <= DATASET_LEVEL | ASCENDING
        for subset in dataset["subsets"]:
            assert set(subset) <= ASCENDING | SUBSET_ONLY, set(subset) - ASCENDING - SUBSET_ONLY
            assert "image_dir" in subset and "caption_extension" in subset
    for section in [doc["general"], *doc["datasets"], *(s for d in doc["datasets"] for s in d["subsets"])]:
        for key, value in section.items():
            if key in TYPES:
                assert type(value) is TYPES[key], f"{key} = {value!r} must be {TYPES[key].__name__}"


def test_trap_defaults_are_always_explicit():
    flat = compiled(REPO / "presets" / "captain.toml").flat_config()
    for key in ("output_dir", "output_name", "network_module"):
        assert key in flat


def test_unknown_and_mistyped_options_are_caught():
    problems = options.check_config({"learnig_rate": 1e-4, "resolution": 512, "save_precision": "fp8", "seed": 1.5})
    lines = [p.line() for p in problems]
    assert any("'learnig_rate'" in l and "Did you mean 'learning_rate'" in l for l in lines)
    assert any(l.startswith("config.toml: resolution: must be text (got 512)") for l in lines)
    assert any("'fp8' is not one of float, fp16, bf16" in l for l in lines)
    assert any(l.startswith("config.toml: seed: must be a whole number") for l in lines)


def test_extra_args_are_checked_and_cannot_shadow_the_preset(tmp_path):
    preset = tmp_path / "x.toml"
    preset.write_text(f'extends = "{REPO / "presets" / "captain.toml"}"\n[trainer]\n'
                      'extra_args = { scale_weight_norms = 1.0, learning_rate = 0.1, sclae = 1 }\n', encoding="utf-8")
    c = compiled(preset)
    assert [p.location for p in c.errors] == ["trainer.extra_args.learning_rate"]
    unknown = options.check_config(c.flat_config())
    assert [p.location for p in unknown] == ["config.toml: sclae"]
