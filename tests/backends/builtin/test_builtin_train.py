"""End-to-end runs of the embedded CPU trainer on a tiny dataset (real torch training)."""

from __future__ import annotations

import hashlib
import json
import math
import re
from pathlib import Path

import pytest
from builtin_helpers import make_images, run_trainer, train_args, write_configs

from orchestrator.compile.buckets import BucketSettings
from orchestrator.compile.steps import DatasetSpec, Schedule, SubsetImages, plan_steps
from orchestrator.dataset.scan import scan_images

pytestmark = pytest.mark.slow
SUMMARY = re.compile(r"^\s+(.+?) / .*?[:=] (.+)$", re.M)


def summary(out: str) -> dict[str, str]:
    return {m.group(1): m.group(2) for m in SUMMARY.finditer(out)}


def test_console_grammar_and_steps_match_plan(trained, images):
    _tmp, run, _config, _dataset = trained
    numbers = summary(run.out)
    sizes = tuple(e.size for e in scan_images(images))
    plan = plan_steps([DatasetSpec((SubsetImages("x", sizes, 2),),
                                   BucketSettings((64, 64), True, 64, 128, 64), 2)], Schedule(max_train_epochs=2))
    assert numbers["num train images * repeats"] == str(plan.num_train_images) == "8"
    assert numbers["num batches per epoch"] == str(plan.batches_per_epoch)
    assert numbers["num epochs"] == "2"
    assert numbers["gradient accumulation steps"] == "1"
    assert numbers["total optimization steps"] == str(plan.total_steps)
    assert "running training / 学習開始" in run.out
    assert "\nepoch 1/2\n" in run.out and "\nepoch 2/2\n" in run.out
    assert "saving checkpoint: " in run.out
    assert re.search(rf"steps: 100%.*{plan.total_steps}/{plan.total_steps}.*avr_loss=", run.err)
    assert "model saved." in run.err


def test_lora_file_keys_weights_and_metadata(trained):
    import torch
    from safetensors import safe_open

    tmp, _run, _c, _d = trained
    path = tmp / "out" / "tiny.safetensors"
    assert (tmp / "out" / "tiny-000001.safetensors").exists()
    assert not (tmp / "out" / "tiny-000002.safetensors").exists()  # the last epoch is saved as the final file
    with safe_open(str(path), "pt") as f:
        keys, meta = set(f.keys()), f.metadata()
        tensors = {k: f.get_tensor(k) for k in keys}
    for name in ("lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q",
                 "lora_unet_mid_block_attentions_0_transformer_blocks_0_ff_net_0_proj",
                 "lora_unet_up_blocks_1_attentions_0_transformer_blocks_0_attn2_to_out_0",
                 "lora_te_text_model_encoder_layers_0_self_attn_q_proj",
                 "lora_te_text_model_encoder_layers_1_mlp_fc1",
                 "lora_unet_down_blocks_0_resnets_0_conv1"):  # LoCon through conv_dim
        assert {f"{name}.lora_down.weight", f"{name}.lora_up.weight", f"{name}.alpha"} <= keys
    assert tensors["lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.alpha"].shape == ()
    assert tensors["lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.alpha"].item() == 2.0
    assert tensors["lora_unet_down_blocks_0_resnets_0_conv1.lora_down.weight"].shape[:2] == (2, 32)
    assert all(torch.isfinite(t).all() for t in tensors.values())
    ups = [t for k, t in tensors.items() if k.endswith("lora_up.weight")]
    assert sum(bool(t.abs().sum() > 0) for t in ups) == len(ups)  # zeros at init, trained now
    assert all(isinstance(v, str) for v in meta.values())
    assert meta["ss_network_module"] == "networks.lora" and meta["ss_network_dim"] == "4"
    assert meta["ss_network_alpha"] == "2.0" and meta["ss_base_model_version"] == "sd_v1"
    assert meta["ss_steps"] == "8" and meta["ss_epoch"] == "2" and meta["ss_num_epochs"] == "2"
    assert meta["ss_seed"] == "42" and meta["ss_max_train_steps"] == "8" and meta["ss_cache_latents"] == "True"
    assert meta["ss_optimizer"] == "torch.optim.adamw.AdamW(weight_decay=0.01)"
    assert json.loads(meta["ss_network_args"]) == {"conv_dim": "2", "conv_alpha": "1"}
    datasets = json.loads(meta["ss_datasets"])
    assert datasets[0]["subsets"][0]["image_dir"] == "5_sks" and datasets[0]["subsets"][0]["num_repeats"] == 2
    assert datasets[0]["bucket_info"]["buckets"]["0"] == {"resolution": [64, 64], "count": 8}
    assert json.loads(meta["ss_dataset_dirs"]) == {"5_sks": {"n_repeats": 2, "img_count": 4}}
    assert json.loads(meta["ss_tag_frequency"])["5_sks"]["sks"] == 4
    assert meta["modelspec.architecture"] == "stable-diffusion-v1/lora"
    assert meta["modelspec.title"] == "tiny test" and meta["modelspec.trigger_phrase"] == "sks"
    raw = path.read_bytes()
    header = int.from_bytes(raw[:8], "little")
    assert meta["sshs_model_hash"] == hashlib.sha256(raw[8 + header:]).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{8}", meta["sshs_legacy_hash"])


def test_samples_and_state_folders(trained):
    tmp, run, _c, _d = trained
    samples = sorted(p.name for p in (tmp / "out" / "sample").glob("*.png"))
    assert len(samples) == 2
    assert re.fullmatch(r"tiny_e000001_00_\d{14}_7\.png", samples[0])
    assert re.fullmatch(r"tiny_e000002_00_\d{14}_7\.png", samples[1])
    assert "generating sample images at step / サンプル画像生成 ステップ: 4" in run.err
    state = tmp / "out" / "tiny-000001-state"
    assert json.loads((state / "train_state.json").read_text()) == {"current_epoch": 1, "current_step": 4}
    assert json.loads((tmp / "out" / "tiny-state" / "train_state.json").read_text()) == {
        "current_epoch": 2, "current_step": 8}


def _tensors(path: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(path))


def test_resume_after_epoch_one_matches_uninterrupted_run(trained, tmp_path):
    tmp, _run, config, dataset = trained
    resumed = run_trainer(train_args(config, dataset, "--resume", str(tmp / "out" / "tiny-000001-state"),
                                     "--output_dir", str(tmp_path / "out")))
    assert resumed.code == 0, resumed.err
    assert "resume training from local state" in resumed.err
    assert "\nepoch 1/2\n" not in resumed.out and "\nepoch 2/2\n" in resumed.out
    first, second = _tensors(tmp / "out" / "tiny.safetensors"), _tensors(tmp_path / "out" / "tiny.safetensors")
    assert first.keys() == second.keys()
    assert all(bool((first[k] == second[k]).all()) for k in first)  # bit-identical


def test_same_seed_gives_identical_tensors_and_cli_flags_win(images, tmp_path):
    runs = []
    for name in ("a", "b"):  # the file says 2 epochs; the explicit flags must win
        config, dataset = write_configs(tmp_path / name, images, subset={"num_repeats": 1},
                                        training={"max_train_epochs": 2, "network_args": []})
        run = run_trainer(train_args(config, dataset, "--max_train_epochs", "1", "--output_name", "cli"))
        assert run.code == 0, run.err
        assert summary(run.out)["num epochs"] == "1"
        runs.append(_tensors(tmp_path / name / "out" / "cli.safetensors"))
    assert runs[0].keys() == runs[1].keys()
    assert all(bool((runs[0][k] == runs[1][k]).all()) for k in runs[0])


def test_reg_images_buckets_and_accumulation(tmp_path):
    train = make_images(tmp_path / "train", [(128, 128), (192, 64), (64, 192)])
    reg = make_images(tmp_path / "reg", [(128, 128)] * 4, caption_every=99, seed=1)
    config, dataset = write_configs(
        tmp_path, train,
        training={"max_train_epochs": None, "max_train_steps": 2, "gradient_accumulation_steps": 2,
                  "prior_loss_weight": 0.5, "network_args": []},
        dataset={"resolution": 128, "min_bucket_reso": 64, "max_bucket_reso": 256},
        subset={"num_repeats": 1},
        extra_subsets=[{"image_dir": str(reg), "is_reg": True, "num_repeats": 1, "class_tokens": "figure"}])
    run = run_trainer(train_args(config, dataset))
    assert run.code == 0, run.err
    sizes = tuple(e.size for e in scan_images(train))
    reg_sizes = tuple(e.size for e in scan_images(reg))
    plan = plan_steps([DatasetSpec((SubsetImages("t", sizes, 1), SubsetImages("r", reg_sizes, 1, True)),
                                   BucketSettings((128, 128), True, 64, 256, 64), 2)],
                      Schedule(max_train_steps=2, gradient_accumulation_steps=2))
    numbers = summary(run.out)
    assert numbers["num reg images"] == str(plan.num_reg_images) == "4"
    assert plan.reg_images_used == 3  # balanced to the 3 training images
    assert numbers["num batches per epoch"] == str(plan.batches_per_epoch)
    assert numbers["num epochs"] == str(plan.epochs) == str(math.ceil(2 / math.ceil(plan.batches_per_epoch / 2)))
    assert numbers["total optimization steps"] == "2"
    assert "some of reg images are not used" in run.err
    assert len(re.findall(r"bucket \d+: resolution", run.err)) == len(plan.buckets[0]) > 1


def test_no_data_found_exits_zero_and_writes_nothing(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    config, dataset = write_configs(tmp_path, empty)
    run = run_trainer(train_args(config, dataset))
    assert run.code == 0 and "No data found" in run.err
    assert not (tmp_path / "out").exists()


def test_an_image_with_a_zero_pixel_bucket_is_named_not_a_bare_zero_division(tmp_path: Path) -> None:
    # sd-scripts' select_bucket divides by zero here; the builtin names the image instead
    from PIL import Image

    from orchestrator.backends.builtin.data import load_dataset
    from orchestrator.backends.builtin.dataset_config import DatasetConfig, SubsetConfig

    folder = tmp_path / "img é"
    folder.mkdir()
    Image.new("RGB", (512, 768)).save(folder / "portrait.png")
    cfg = DatasetConfig(resolution=(64, 64), enable_bucket=True, min_bucket_reso=64, max_bucket_reso=512,
                        bucket_no_upscale=True, subsets=[SubsetConfig(str(folder), caption_extension=".txt")])  # fmt: skip
    with pytest.raises(ValueError, match=r"portrait\.png \(512x768\) gets a 0-pixel bucket"):
        load_dataset(cfg)
