"""The real sd-scripts through `orchestrator run`, on the CPU (skipped unless enabled).

Enable it with an installed sd-scripts and an offline SD 1.5 stand-in:
    export ORCHESTRATOR_SD_SCRIPTS=/path/to/sd-scripts ORCHESTRATOR_SD_SCRIPTS_PYTHON=/path/to/its/venv/bin/python
    $ORCHESTRATOR_SD_SCRIPTS_PYTHON tests/backends/sdscripts/make_offline_sd15.py /path/to/offline-sd15
    export ORCHESTRATOR_TEST_SD15=/path/to/offline-sd15
    python -m pytest tests/backends/sdscripts/test_real_trainer.py -m sdscripts
It trains a few steps at 128 px (minutes on 2 cores) and checks what the issue asks: the compiled
TOMLs are accepted, the printed total steps equal `plan`'s, the LoRA has sd-scripts' keys and
metadata, the parser reads the real output, and Ctrl-C leaves no process behind.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from safetensors import safe_open

from orchestrator.backends.sdscripts.locate import locate
from testpaths import REPO

pytestmark = [pytest.mark.sdscripts, pytest.mark.slow]

INSTALL, _ = locate()
MODEL = Path(os.environ.get("ORCHESTRATOR_TEST_SD15", "/nonexistent"))
if INSTALL is None or not (MODEL / "READY").exists():
    pytest.skip(
        "needs an sd-scripts installation ($ORCHESTRATOR_SD_SCRIPTS + its Python) and $ORCHESTRATOR_TEST_SD15 "
        "built by make_offline_sd15.py; see this file's docstring",
        allow_module_level=True,
    )


@pytest.fixture
def preset(tmp_path: Path) -> Path:
    for subject in ("hxh", "uscaption"):
        folder = tmp_path / "data" / subject
        folder.mkdir(parents=True)
        for image in sorted((REPO / "datasets" / "captain" / subject).glob(f"{subject}_0[12].*")):
            shutil.copy(image, folder / image.name)
    text = f'''extends = "{REPO / "presets" / "captain.toml"}"
name = "real-cpu"
[model]
base = "{MODEL / "model"}"
test_model = "{MODEL / "model"}"
[[subjects]]
name = "face"
trigger = "hxh"
class_word = "man"
images = "data/hxh"
repeats = 1
[[subjects]]
name = "captain_america"
trigger = "uscaption"
class_word = "man"
images = "data/uscaption"
repeats = 1
[network]
dim = 4
alpha = 2
[training]
resolution = 128
batch_size = 2
epochs = 1
optimizer = "AdamW"
mixed_precision = "no"
save_precision = "float"
data_loader_workers = 0
lr_warmup_steps = 0
[buckets]
min_resolution = 64
max_resolution = 256
[samples]
enabled = false
[eval]
steps = 3
[trainer]
extra_args = {{ tokenizer_cache_dir = "{MODEL / "tokenizers"}" }}
[launch]
cpu = true
'''
    path = tmp_path / "real.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "ORCHESTRATOR_RUNS": str(tmp_path / "runs"), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def _cli(*args: str, env: dict[str, str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "orchestrator", *args], env=env, capture_output=True, text=True, **kw)


def test_real_trainer_runs_what_we_compile(preset: Path, tmp_path: Path):
    env = _env(tmp_path)
    plan = json.loads(_cli("plan", str(preset), "--json", env=env, check=True).stdout)
    done = _cli("run", str(preset), env=env, timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (run,) = (tmp_path / "runs").iterdir()
    assert json.loads((run / "status.json").read_text())["state"] == "succeeded"
    events = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    summary = next(e for e in events if e["kind"] == "summary")
    assert summary["total_steps"] == plan["total_steps"]  # the trainer printed what plan computed
    steps = [e["step"] for e in events if e["kind"] == "progress" and e.get("bar") == "steps"]
    assert steps[-1] == plan["total_steps"]
    lora = run / "output" / "real-cpu.safetensors"
    with safe_open(str(lora), "numpy") as f:
        keys, meta = set(f.keys()), f.metadata()
    assert len(keys) == 792 and all(k.startswith(("lora_unet_", "lora_te_")) for k in keys)
    expected = json.loads((REPO / "tests/fixtures/trainer_output/real-sd-scripts-v0.10.1-cpu.lora.json").read_text())
    assert keys == set(expected["tensor_keys"])
    assert set(meta) == set(expected["metadata_keys"])
    assert meta["ss_steps"] == str(plan["total_steps"]) and meta["ss_network_dim"] == "4"

    # eval: the grid drawn by sd-scripts' own gen_img.py, in the trainer's environment
    done = _cli("eval", "latest", "--weights", "1", "--seeds", "1", "--embedding", "pixel", "--json", env=env,
                timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    card = json.loads(done.stdout)
    drawn = sorted((run / "eval" / "images" / "base").rglob("*.png"))
    assert len(drawn) == 2 * len(card["prompts"])  # weight 0 and weight 1, one seed
    assert card["recommended_epoch"] == 1 and (run / "eval" / "contact_sheet.png").is_file()


def _alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def test_ctrl_c_leaves_no_trainer_process(preset: Path, tmp_path: Path):
    env = _env(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "orchestrator", "run", str(preset), "--json"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    deadline = time.time() + 900
    for line in proc.stdout:  # wait until the trainer is really training
        event = json.loads(line)
        if (event.get("kind") == "progress" and event.get("bar") == "steps") or time.time() > deadline:
            break
    runs = list((tmp_path / "runs").iterdir())
    status = json.loads((runs[0] / "status.json").read_text())
    trainer_pgid = status["trainer_pid"]  # started in its own session: its pid is the group id
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=120) == 130
    # accelerate's child is reparented to init and reaped there: give it a moment, no more
    gone_by = time.time() + 15
    while _alive(trainer_pgid) and time.time() < gone_by:
        time.sleep(0.5)
    assert not _alive(trainer_pgid), "a trainer process outlived Ctrl-C"
    assert json.loads((runs[0] / "status.json").read_text())["state"] == "interrupted"
