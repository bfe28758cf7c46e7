"""A fake trainer: a real backend (registered through orchestrator's backend registry)
whose process replays captured sd-scripts output with its timing and exit code.

Register it for a process with
    ORCHESTRATOR_BACKENDS=/path/to/tests/fake_trainer.py:BACKEND  orchestrator run P --backend fake
and choose the behaviour with FAKE_TRAINER_SCENARIO (a capture in
tests/fixtures/trainer_output/<scenario>.jsonl, or `bench`), FAKE_TRAINER_SPEED
(time factor; 0 = no sleeps). Files named by `{"file": ...}` records are written into
the output_dir of the compiled config.toml, as sd-scripts would.

Run as a script it is the trainer: `python fake_trainer.py --config_file C --dataset_config D`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

CAPTURES = Path(__file__).resolve().parent / "fixtures" / "trainer_output"
GRANDCHILD_PID_FILE = "FAKE_TRAINER_GRANDCHILD_PID"  # env: where the fake writes its grandchild's pid


class FakeBackend:
    name = "fake"
    compiles_as = "sd-scripts"  # sd-scripts' config and grammar, without accelerate or a GPU

    def locate(self, project):
        from orchestrator.compile.compiled import TrainerLocation

        return TrainerLocation(python=sys.executable, checkout=Path(__file__).resolve().parent)

    def problems(self, project, location):
        return []

    def launch(self, project, compiled, location):
        from orchestrator.backends.registry import Launch

        config = compiled.paths.compiled_dir / "config.toml"
        dataset = compiled.paths.compiled_dir / "dataset_config.toml"
        argv = [location.python, str(Path(__file__).resolve()), "--config_file", str(config), "--dataset_config", str(dataset)]
        return Launch(argv, dict(compiled.env))

    def describe(self, project, location):
        return {"name": "fake-trainer", "version": "replay-1", "scenario": os.environ.get("FAKE_TRAINER_SCENARIO", "success")}


BACKEND = FakeBackend()


# -- the trainer process ------------------------------------------------------------------------
def _config(argv: list[str]) -> dict[str, Any]:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib

    path = Path(argv[argv.index("--config_file") + 1])
    flat: dict[str, Any] = {}
    for section in tomllib.loads(path.read_text(encoding="utf-8")).values():
        if isinstance(section, dict):
            flat.update(section)
    return flat


def _spawn_grandchild() -> None:
    """A process in our group that ignores SIGINT (like a stuck dataloader worker)."""
    code = "import signal,time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True: time.sleep(1)"
    if os.environ.get("FAKE_TRAINER_GRANDCHILD_STUBBORN"):
        code = code.replace("\nwhile", "\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nwhile")
    child = subprocess.Popen([sys.executable, "-c", code])
    target = os.environ.get(GRANDCHILD_PID_FILE)
    if target:
        Path(target).write_text(str(child.pid))


def replay(scenario: str, flat: dict[str, Any], speed: float) -> int:
    output_dir = Path(flat.get("output_dir", "."))
    names = {"output_dir": str(output_dir), "output_name": str(flat.get("output_name", "last"))}
    streams = {1: sys.stdout, 2: sys.stderr}
    echo = os.environ.get("FAKE_TRAINER_ECHO")  # e.g. a token, to prove trainer.log redacts it
    if echo:
        print(f"fake trainer environment: {echo}", file=sys.stderr, flush=True)
    start = time.monotonic()
    for line in (CAPTURES / f"{scenario}.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if speed > 0:
            delay = start + record["t"] * speed - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        if "text" in record:
            text = record["text"]
            if record["fd"] == 1:
                text = text.replace("{output_dir}", names["output_dir"]).replace("{output_name}", names["output_name"])
            stream = streams[record["fd"]]
            stream.write(text)
            stream.flush()
        elif "file" in record:
            path = Path(record["file"].format(**names))
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"fake lora\n")
            if flat.get("save_state"):  # sd-scripts saves `<name>-<epoch>-state` beside each epoch's LoRA
                state = path.with_name(path.stem + "-state")
                state.mkdir(exist_ok=True)
                (state / "train_state.json").write_text(json.dumps({"current_epoch": 1, "current_step": 4}))
        elif record.get("grandchild"):
            _spawn_grandchild()
        elif record.get("hang"):
            if os.environ.get("FAKE_TRAINER_STUBBORN"):
                signal.signal(signal.SIGINT, signal.SIG_IGN)
            while True:
                time.sleep(1)
        elif "exit" in record:
            return int(record["exit"])
    return 0


def bench(updates: int) -> int:
    """100k progress updates through real tqdm, as sd-scripts' `steps:` bar prints them."""
    from tqdm import tqdm

    started = time.perf_counter()
    bar = tqdm(total=updates, smoothing=0, desc="steps", mininterval=0, miniters=1)
    print("running training / 学習開始", flush=True)
    print(f"  total optimization steps / 学習ステップ数: {updates}", flush=True)
    print("\nepoch 1/1\n", flush=True)
    work = float(os.environ.get("FAKE_TRAINER_WORK", "0"))  # busy seconds per step: a trainer's compute
    for step in range(updates):
        if work:
            until = time.perf_counter() + work
            while time.perf_counter() < until:
                pass
        bar.update(1)
        bar.set_postfix(avr_loss=0.1 + (step % 7) * 0.001, refresh=False)
    bar.close()
    timing = os.environ.get("FAKE_TRAINER_TIMING")  # the trainer's own wall time, for the benchmark
    if timing:
        Path(timing).write_text(str(time.perf_counter() - started))
    out = os.environ.get("FAKE_TRAINER_OUTPUT")
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_bytes(b"fake lora\n")
    return 0


def main(argv: list[str]) -> int:
    scenario = os.environ.get("FAKE_TRAINER_SCENARIO", "success")
    speed = float(os.environ.get("FAKE_TRAINER_SPEED", "1"))
    if scenario == "bench":
        flat = _config(argv) if "--config_file" in argv else {}
        if flat:
            os.environ.setdefault("FAKE_TRAINER_OUTPUT", str(Path(flat["output_dir"]) / f"{flat.get('output_name', 'last')}.safetensors"))
        return bench(int(os.environ.get("FAKE_TRAINER_UPDATES", "100000")))
    return replay(scenario, _config(argv), speed)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


# -- helpers for the tests (tests/ is on sys.path: `import fake_trainer`) ---------------------------
PRESET = """\
schema_version = 1
name = "{name}"
[model]
base = "model.safetensors"
[[subjects]]
name = "thing"
trigger = "zkq"
class_word = "square"
images = "data"
repeats = 2
caption_extension = ".txt"
[training]
resolution = 64
batch_size = 2
epochs = 3
learning_rate = 1e-4
optimizer = "AdamW"
mixed_precision = "no"
save_precision = "float"
seed = 7
save_every_n_epochs = 1
save_state = {save_state}
[buckets]
enabled = false
[trainer]
backend = "sd-scripts"
"""


def write_model(path: Path) -> None:
    """The smallest safetensors file whose keys say SD 1.x (the family check reads the header)."""
    import struct

    header = {"cond_stage_model.transformer.text_model.embeddings.position_ids":
              {"dtype": "F32", "shape": [1, 2], "data_offsets": [0, 8]}}  # fmt: skip
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + b"\0" * 8)


def make_project(root: Path, name: str = "fake", save_state: bool = False) -> Path:
    """A 4-image project (12 steps: 4 images × 2 repeats / batch 2 × 3 epochs); returns the preset."""
    from PIL import Image

    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    for i in range(4):
        Image.new("RGB", (64, 64), (40 * i, 10, 10)).save(data / f"img{i}.png")
        (data / f"img{i}.txt").write_text(f"zkq, red square {i}")
    write_model(root / "model.safetensors")
    preset = root / f"{name}.toml"
    preset.write_text(PRESET.format(name=name, save_state=str(save_state).lower()))
    return preset


def environment(tmp: Path, scenario: str = "success", speed: float = 0.0, **extra: str) -> dict[str, str]:
    """Variables that send runs to `tmp/runs` and register this fake as backend `fake`."""
    return {
        "ORCHESTRATOR_RUNS": str(tmp / "runs"),
        "ORCHESTRATOR_BACKENDS": f"{Path(__file__).resolve()}:BACKEND",
        "FAKE_TRAINER_SCENARIO": scenario,
        "FAKE_TRAINER_SPEED": str(speed),
        "ORCHESTRATOR_STOP_GRACE": "2",
        **extra,
    }
