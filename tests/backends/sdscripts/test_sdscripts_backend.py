"""The sd-scripts backend without sd-scripts: a fake checkout with a real argparse parser,
real subprocesses in this Python, crafted checkpoints with real safetensors headers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from orchestrator.backends.sdscripts import doctor, introspect, locate, models, options, rules
from orchestrator.cli import main
from orchestrator.compile.compiled import CompilePaths, compile_project
from orchestrator.problems import ProjectInvalid
from orchestrator.schema.loader import load_project
from testpaths import REPO

CAPTAIN = REPO / "presets" / "captain.toml"

FAKE_TRAIN_NETWORK = '''
import argparse
def setup_parser():
    p = argparse.ArgumentParser()
    p.add_argument("--learning_rate", type=float, default=2e-6)
    p.add_argument("--network_dim", type=int, default=None)
    p.add_argument("--resolution", type=str, default=None)
    p.add_argument("--sdpa", action="store_true")
    p.add_argument("--save_precision", type=str, default=None, choices=[None, "float", "fp16", "bf16"])
    p.add_argument("--text_encoder_lr", type=float, default=None, nargs="*")
    p.add_argument("--caption_extension", "--caption_extention", type=str, default=".caption")
    return p
'''


@pytest.fixture
def fake_checkout(tmp_path: Path) -> Path:
    checkout = tmp_path / "sd scripts"
    (checkout / "library").mkdir(parents=True)
    (checkout / "library" / "train_util.py").write_text("")
    (checkout / "train_network.py").write_text(FAKE_TRAIN_NETWORK)
    subprocess.run(["git", "init", "-q", str(checkout)], check=True)
    subprocess.run(["git", "-C", str(checkout), "-c", "user.email=t@t", "-c", "user.name=t", "add", "."], check=True)
    subprocess.run(["git", "-C", str(checkout), "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "x"], check=True)
    return checkout


def test_locate_reports_what_is_missing_and_where_to_look(tmp_path, monkeypatch):
    monkeypatch.delenv("ORCHESTRATOR_SD_SCRIPTS", raising=False)
    install, problems = locate.locate(tmp_path / "nowhere")
    assert install is None
    (problem,) = problems
    assert problem.code == "trainer-missing"
    assert "git submodule update --init vendor/sd-scripts" in problem.fix and "presets/demo.toml" in problem.fix


def test_locate_finds_checkout_python_and_commit(fake_checkout):
    install, problems = locate.locate(fake_checkout, Path(sys.executable))
    assert problems == []
    assert install.checkout == fake_checkout and len(install.commit) == 40 and not install.is_pinned
    _, problems = locate.locate(fake_checkout)  # no venv inside the checkout
    assert problems[0].code == "trainer-python-missing"


def test_introspection_reads_the_real_parser_and_caches_per_commit(fake_checkout, tmp_path, monkeypatch):
    monkeypatch.setenv("ORCHESTRATOR_CACHE", str(tmp_path / "cache"))
    install, _ = locate.locate(fake_checkout, Path(sys.executable))
    table = introspect.to_table(introspect.cached_options(install, "train_network.py"))
    assert table["text_encoder_lr"].is_list and table["sdpa"].type == "flag"
    assert table["save_precision"].choices == ("float", "fp16", "bf16")
    assert table["caption_extention"] is table["caption_extension"]  # the old alias is accepted too
    assert (tmp_path / "cache" / "sd-scripts-options" / f"{install.commit}-train_network.py.json").exists()
    problems = options.check_config({"learning_rate": 1e-4, "network_dim": "8", "lr_scheduler": "cosine"}, table=table)
    assert [p.code for p in problems] == ["wrong-type", "unknown-option"]


def test_snapshot_tsv_round_trips_through_the_dump_format(fake_checkout):
    install, _ = locate.locate(fake_checkout, Path(sys.executable))
    rows = introspect.dump_options(install, "train_network.py")
    text = introspect.to_tsv(rows)
    assert text.splitlines()[0].split("\t") == list(introspect.COLUMNS)
    assert "sdpa\t\t\tstore_true\t\t" in text
    assert "save_precision\tstr\tNone\t\t[None, 'float', 'fp16', 'bf16']\t" in text


def test_doctor_probes_the_trainers_python(fake_checkout):
    report = doctor.diagnose(fake_checkout, Path(sys.executable))
    names = {c.name: c for c in report.checks}
    assert names["checkout"].status == "ok"
    assert names["version"].status == "warn" and "not the pinned v0.10.1" in names["version"].detail
    assert names["torch"].status == "ok"  # this venv has torch
    assert names["GPU"].status == "warn"  # no GPU on this machine or in CI
    assert names["library.train_util"].status == "ok"  # imported from the checkout (cwd)
    assert report.environment["python"].startswith("3.")


def test_doctor_flags_a_stale_accelerate_config():
    env = {"gpus": [], "cuda_available": False,
           "accelerate_config": {"path": "/x/default_config.yaml", "exists": True,
                                 "values": {"mixed_precision": "fp16", "num_processes": 2, "distributed_type": "MULTI_GPU"}}}
    (check,) = doctor._accelerate_config_checks(env)
    assert check.status == "warn"
    assert "fp16 with no GPU" in check.detail and "num_processes: 2" in check.detail


def _checkpoint(path: Path, prefix: str) -> Path:
    save_file({f"{prefix}weight": np.zeros((2, 2), dtype=np.float16), "model.diffusion_model.x": np.zeros(1, np.float16)},
              str(path))
    return path


@pytest.mark.parametrize("family,prefix", [("sd15", "cond_stage_model.transformer."), ("sd2", "cond_stage_model.model."),
                                           ("sdxl", "conditioner.embedders.1.model.")])
def test_family_is_read_from_the_header(tmp_path, family, prefix):
    assert models.detect_family(_checkpoint(tmp_path / "m.safetensors", prefix)) == family


def test_wrong_family_fails_validate_before_launch(tmp_path, capsys):
    ckpt = _checkpoint(tmp_path / "xl base.safetensors", "conditioner.embedders.1.model.")
    assert main(["validate", str(CAPTAIN), "--set", f"model.base={json.dumps(str(ckpt))}"]) == 2
    err = capsys.readouterr().err
    assert "model.base: xl base.safetensors is an SDXL checkpoint but model.family is 'sd15'" in err
    assert "Set model.family = 'sdxl'" in err


def test_pickle_checkpoints_are_refused_unless_allowed(tmp_path, capsys):
    ckpt = tmp_path / "old.ckpt"
    ckpt.write_bytes(b"not loaded")
    override = f"model.base={json.dumps(str(ckpt))}"
    assert main(["validate", str(CAPTAIN), "--set", override]) == 2
    assert "pickle checkpoint" in capsys.readouterr().err
    assert main(["validate", str(CAPTAIN), "--set", override, "--allow-pickle"]) == 0


def test_offline_hub_model_gives_a_clear_message(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import huggingface_hub.constants as constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(models.ModelUnavailable) as info:
        models.fetch("hf://no-owner/no-repo/model.safetensors")
    assert info.value.problem.code == "model-offline"
    assert "huggingface-cli download no-owner/no-repo model.safetensors" in info.value.problem.fix


def test_unreachable_hub_goes_straight_to_the_cache(monkeypatch):
    # no DNS for the Hub: the cache answers at once instead of after huggingface_hub's retries
    import socket

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: (_ for _ in ()).throw(socket.gaierror(-2, "no DNS")))
    with pytest.raises(models.ModelUnavailable) as info:
        models.fetch("hf://no-owner/no-repo/model.safetensors")
    assert info.value.problem.code == "model-offline"
    assert "huggingface.co cannot be reached (no network?)" in info.value.problem.message


def _problems(*overrides: str) -> list[str]:
    try:
        project = load_project(CAPTAIN, list(overrides)).project
    except ProjectInvalid as exc:
        return [p.line() for p in exc.problems]
    flat = compile_project(project, CompilePaths.flat(Path("/o"))).flat_config()
    return [p.line() for p in rules.check(project, flat)]


def test_cross_field_rules_of_the_trainer():
    assert any("networks.lora does not read this key" in l and "loraplus_lr_ratio" in l
               for l in _problems("network.args={loraplus_lr_raito=16}"))
    assert any("is a network option" in l for l in _problems("trainer.extra_args={loraplus_lr_ratio=16}"))
    assert any("full_fp16" in l and "requires training.mixed_precision = 'fp16'" in l
               for l in _problems("trainer.extra_args={full_fp16=true}", "training.mixed_precision='bf16'"))
    assert any("several attention kernels" in l for l in _problems("trainer.extra_args={xformers=true}"))
    xl = ["model.family='sdxl'", "buckets.step=32", "trainer.extra_args={cache_text_encoder_outputs=true}"]
    lines = _problems(*xl)
    assert any("cannot train a text-encoder LoRA" in l for l in lines)
    assert any("shuffle_caption and caption dropout would have no effect" in l for l in lines)
    assert any("SDXL's VAE overflows in fp16" in l for l in lines)
    assert any("PR #1246" in l for l in _problems("launch.num_machines=2", "launch.main_process_ip='10.0.0.1'"))
    assert _problems() == []


def test_corrupt_checkpoint_is_a_problem_not_a_crash(tmp_path, capsys):
    bad = tmp_path / "half.safetensors"
    bad.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json")
    assert main(["validate", str(CAPTAIN), "--set", f"model.base={json.dumps(str(bad))}"]) == 2
    assert "half.safetensors is not a readable .safetensors file" in capsys.readouterr().err


def test_run_without_the_trainer_stops_at_once(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("ORCHESTRATOR_SD_SCRIPTS", raising=False)
    monkeypatch.setenv("ORCHESTRATOR_RUNS", str(tmp_path / "runs"))
    assert main(["run", str(CAPTAIN)]) == 2
    err = capsys.readouterr().err
    assert "no sd-scripts checkout found" in err and "presets/demo.toml" in err
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_run_without_the_base_model_offline_names_the_file(fake_checkout, tmp_path, monkeypatch, capsys):
    import huggingface_hub.constants as constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("ORCHESTRATOR_RUNS", str(tmp_path / "runs"))
    overrides = ["--set", f"trainer.path={json.dumps(str(fake_checkout))}", "--set", f"trainer.python={json.dumps(sys.executable)}"]
    assert main(["run", str(CAPTAIN), *overrides]) == 2
    err = capsys.readouterr().err
    assert "model.base: hf://stable-diffusion-v1-5/stable-diffusion-v1-5/v1-5-pruned-emaonly.safetensors is not in the" in err
    assert "huggingface-cli download stable-diffusion-v1-5/stable-diffusion-v1-5 v1-5-pruned-emaonly.safetensors" in err


def test_fp16_without_a_visible_gpu_is_flagged_before_launch(monkeypatch, fake_checkout):
    from orchestrator.backends import registry

    monkeypatch.setattr(registry.shutil, "which", lambda name: None)
    project = load_project(CAPTAIN, [f"trainer.path={json.dumps(str(fake_checkout))}",
                                     f"trainer.python={json.dumps(sys.executable)}"]).project
    backend = registry.get("sd-scripts")
    problems = backend.problems(project, backend.locate(project))
    assert [p.code for p in problems] == ["no-gpu"] and "launch.cpu = true" in problems[0].fix
    cpu = load_project(CAPTAIN, ["launch.cpu=true", "training.mixed_precision='no'",
                                 f"trainer.path={json.dumps(str(fake_checkout))}", f"trainer.python={json.dumps(sys.executable)}"]).project
    assert backend.problems(cpu, backend.locate(cpu)) == []


def test_keep_tokens_beyond_the_trigger_is_a_warning():
    loaded = load_project(CAPTAIN, ["subjects[0].keep_tokens=3"])
    assert any(w.location == "subjects[0].keep_tokens" and "trigger is one tag" in w.message for w in loaded.warnings)


def test_validate_refuses_unknown_extra_args_and_conflicts(capsys):
    assert main(["validate", str(CAPTAIN), "--set", "trainer.extra_args={sclae_weight_norms=1.0}"]) == 2
    assert "'sclae_weight_norms'" in capsys.readouterr().err
    assert main(["validate", str(CAPTAIN), "--set", "trainer.extra_args={full_fp16=true}",
                 "--set", "training.mixed_precision='bf16'"]) == 2
    assert "requires training.mixed_precision = 'fp16'" in capsys.readouterr().err
