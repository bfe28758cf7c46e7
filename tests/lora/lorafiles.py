"""Crafted kohya LoRA files for the tests: the real key names of an sd-scripts v0.10.1 SD 1.5
LoRA (tests/fixtures/trainer_output/real-sd-scripts-v0.10.1-cpu.lora.json) with small shapes,
weights like a trained file (random down, small non-zero up), and ss_* metadata."""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np

from testpaths import FIXTURES

REAL = json.loads((FIXTURES / "trainer_output" / "real-sd-scripts-v0.10.1-cpu.lora.json").read_text())
_CODES = {"F32": ("<f4", np.float32), "F16": ("<f2", np.float16)}


def write_safetensors(path: Path, tensors: dict[str, np.ndarray], metadata: dict[str, str] | None = None,
                      dtype: str = "F32") -> Path:  # fmt: skip
    """A minimal safetensors writer (also BF16, which numpy cannot hold: stored as the top 16 bits of float32)."""
    header: dict = {"__metadata__": metadata or {}}
    blobs, offset = [], 0
    for name, array in tensors.items():
        array = np.asarray(array, dtype=np.float32)
        if dtype == "BF16":
            blob = (array.astype("<f4").view("<u4") >> 16).astype("<u2").tobytes()
        else:
            blob = array.astype(_CODES[dtype][0]).tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    return path


def metadata(**overrides: str) -> dict[str, str]:
    data = {key: "None" for key in REAL["metadata_keys"]}
    data.update(REAL["metadata_sample"])
    data.update({
        "ss_output_name": "captain", "modelspec.title": "captain", "ss_sd_model_name": "v1-5-pruned-emaonly.safetensors",
        "ss_learning_rate": "0.0001", "ss_unet_lr": "0.0001", "ss_text_encoder_lr": "5e-05", "modelspec.resolution": "512x512",
        "ss_num_epochs": "1", "ss_lr_scheduler": "cosine", "ss_optimizer": "bitsandbytes.optim.adamw.AdamW8bit",
        "ss_dataset_dirs": json.dumps({"11_hxh man": {"n_repeats": 11, "img_count": 10}, "12_uscaption man": {"n_repeats": 12, "img_count": 10}}),
        "ss_tag_frequency": json.dumps({"11_hxh man": {"hxh": 10, "1boy": 10, "glasses": 8, "smile": 3},
                                        "12_uscaption man": {"uscaption": 10, "shield": 9, "star emblem": 7}}),
    })  # fmt: skip
    data.pop("modelspec.trigger_phrase", None)  # the triggers then come from the folder names
    data.update(overrides)
    return data


def tensors(rank: int = 4, width: int = 16, up: float = 1e-3, seed: int = 0,
            keys: list[str] | None = None, edit: Callable[[str, np.ndarray], np.ndarray] | None = None) -> dict[str, np.ndarray]:  # fmt: skip
    rng = np.random.default_rng(seed)
    out = {}
    for key in keys or REAL["tensor_keys"]:
        if key.endswith(".alpha"):
            value = np.array(rank / 2, dtype=np.float32)
        elif key.endswith(".lora_down.weight"):
            value = rng.normal(0, 0.1, (rank, width)).astype(np.float32)
        else:
            value = rng.normal(0, up, (width, rank)).astype(np.float32)
        out[key] = edit(key, value) if edit else value
    return out


def make(path: Path, *, dtype: str = "F16", meta: dict[str, str] | None = None, **kwargs) -> Path:
    return write_safetensors(path, tensors(**kwargs), metadata() if meta is None else meta, dtype)
