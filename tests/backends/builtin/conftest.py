"""Fixtures for the builtin trainer's tests (helpers live in builtin_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from builtin_helpers import make_images, run_trainer, train_args, write_configs


@pytest.fixture(scope="session")
def images(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # mixed sizes and aspect ratios, all captioned
    return make_images(tmp_path_factory.mktemp("imgs") / "5_sks", [(64, 64), (96, 64), (64, 96), (80, 80)],
                       caption_every=1)


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory, images: Path):
    tmp = tmp_path_factory.mktemp("train")
    prompts = tmp / "prompts.txt"
    prompts.write_text("# comment\nsks, red circle --n blurry --w 64 --h 64 --s 2 --l 5 --d 7\n")
    config, dataset = write_configs(tmp, images, subset={"num_repeats": 2}, training={
        "save_state": True, "sample_prompts": str(prompts), "sample_every_n_epochs": 1, "cache_latents": True})
    run = run_trainer(train_args(config, dataset))
    assert run.code == 0, run.err
    return tmp, run, config, dataset
