"""The builtin trainer's option checks, usage errors and torch-free imports (fast)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import toml
from builtin_helpers import FIXTURES, run_trainer, train_args, write_configs

from orchestrator.backends.builtin.capabilities import CAPABILITIES, check_options, option_table
from orchestrator.backends.builtin.config import flatten_toml, resolve_options
from orchestrator.backends.builtin.sd_options import SD_OPTIONS


def fixture_flat() -> dict:
    flat = flatten_toml(toml.loads((FIXTURES / "config.toml").read_text()))
    flat["dataset_config"] = "d.toml"
    return flat


def test_fixture_config_is_fully_supported():
    assert check_options(fixture_flat()) == []


def test_every_unsupported_option_and_value_is_listed():
    flat = fixture_flat() | {
        "optimizer_type": "AdamW8bit", "mixed_precision": "fp16", "xformers": True, "network_dim": 8,
        "lr_scheduler": "constant", "lr_warmup_steps": 10, "color_aug": True, "netwrok_alpha": 1.0,
        "network_args": ["conv_dim=4", "block_dims=1,2"], "resolution": 512,
    }
    problems = {p.location: p for p in check_options(flat)}
    assert set(problems) == {"optimizer_type", "mixed_precision", "lr_warmup_steps", "color_aug",
                             "netwrok_alpha", "network_args", "resolution"}
    assert problems["netwrok_alpha"].code == "unknown-option"
    assert problems["color_aug"].code == "unsupported-option"
    assert "AdamW" in problems["optimizer_type"].line()
    assert "block_dims" in problems["network_args"].message


def test_defaults_of_unsupported_options_are_fine_and_table_is_consistent():
    assert check_options(fixture_flat() | {"color_aug": False, "full_fp16": False, "multires_noise_discount": 0.3}) == []
    assert set(CAPABILITIES) <= set(SD_OPTIONS)  # only real sd-scripts names
    assert {status for _k, status, _n in option_table()} == {"supported", "noop"}


def test_cli_flags_win_over_the_file(tmp_path: Path):
    config = tmp_path / "c.toml"
    config.write_text('[a]\nnetwork_dim = 8\nlearning_rate = 0.1\n[b]\nnetwork_dim = 16\n')
    given, effective = resolve_options(["--config_file", str(config), "--learning_rate", "0.5"])
    assert given["network_dim"] == 16  # a later section wins
    assert effective["learning_rate"] == 0.5 and effective["max_train_steps"] == 1600


def test_trainer_exits_2_listing_all_problems_before_loading_a_model(tmp_path: Path):
    config, dataset = write_configs(tmp_path, tmp_path, training={"optimizer_type": "Lion", "v2": True})
    data = toml.loads(dataset.read_text())
    data["datasets"][0]["subsets"][0]["repeats"] = 2  # sd-scripts rejects unknown dataset keys
    dataset.write_text(toml.dumps(data))
    run = run_trainer(train_args(config, dataset))
    assert run.code == 2
    assert "optimizer_type" in run.err and "v2" in run.err
    assert "datasets[0].subsets[0].repeats: extra keys not allowed" in run.err
    assert "running training" not in run.out


def test_lead_facing_modules_do_not_import_torch():
    code = (
        "import sys, orchestrator.backends.builtin, orchestrator.backends.builtin.capabilities, "
        "orchestrator.backends.builtin.config, orchestrator.backends.builtin.dataset_config, "
        "orchestrator.backends.builtin.train\n"
        "heavy = {'torch', 'diffusers', 'transformers'} & set(sys.modules)\n"
        "print(sorted(heavy)); sys.exit(1 if heavy else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
