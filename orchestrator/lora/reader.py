"""Open a LoRA file as numpy arrays plus its metadata, without torch.

`.safetensors` is read with the `safetensors` package (numpy framework). numpy has no
bfloat16, so BF16 tensors (sd-scripts' `--save_precision bf16`) are widened to float32
from the raw bytes the header points at. `.ckpt`/`.pt` files are pickles that can run
code when loaded: refused unless the caller allows it, and only then is torch imported.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from orchestrator.problems import Problem, ProjectInvalid

PICKLE_SUFFIXES = (".ckpt", ".pt", ".pth", ".bin")
_RAW_DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64}


@dataclass
class LoraFile:
    path: Path
    format: str  # "safetensors" | "pickle"
    size: int
    metadata: dict[str, str]
    tensors: dict[str, np.ndarray]
    dtypes: dict[str, str] = field(default_factory=dict)  # as stored: F16, BF16, F32, …

    @property
    def name(self) -> str:
        return self.path.stem


def _refuse(path: Path, message: str, fix: str, code: str) -> ProjectInvalid:
    return ProjectInvalid([Problem(str(path), message, fix, code=code)])


def read_header(path: Path) -> dict:
    """The safetensors JSON header (tensor dtypes, shapes, offsets and `__metadata__`)."""
    with open(path, "rb") as handle:
        head = handle.read(8)
        if len(head) < 8:
            raise ValueError("file is shorter than a safetensors header")
        (length,) = struct.unpack("<Q", head)
        if length > 100_000_000:
            raise ValueError(f"header length {length} is implausible")
        return json.loads(handle.read(length))


def lora_header(path: Path, *, lycoris: bool) -> dict:
    """The header of a file that must be a LoRA, before a tool is handed it.

    Refused with one problem naming the file: unreadable (a cut-off download), or no LoRA keys
    (a checkpoint, an embedding). `lycoris`: LoHa/LoKr keys count (the WebUIs load them;
    sd-scripts' resize and merge scripts do not).
    """
    from orchestrator.lora.keys import PREFIXES, foreign_kind

    try:
        header = read_header(path)
    except (OSError, ValueError) as exc:
        raise _refuse(path, f"not a readable safetensors file ({exc})",
                      "Check the file is complete (a download or copy may have been cut off)", "lora-unreadable") from None  # fmt: skip
    keys = [k for k in header if k != "__metadata__"] if isinstance(header, dict) else []
    kohya = [k for k in keys if k.startswith(PREFIXES) and foreign_kind(k) == "unknown"]
    other = [k for k in keys if foreign_kind(k) != "unknown"]
    if kohya or (lycoris and other):
        return header
    found = f"keys such as {', '.join(keys[:2])}" if keys else "no tensors"
    if other:
        raise _refuse(path, f"is a {foreign_kind(other[0])} file, not a kohya LoRA ({found})",
                      "sd-scripts' scripts read kohya LoRA (networks.lora) only; use LyCORIS' own tools", "not-kohya")
    raise _refuse(path, f"is not a LoRA ({found})",
                  "Give the LoRA file the trainer wrote (runs/<run>/output/*.safetensors); `orchestrator lora inspect` "
                  "shows what a file holds", "not-a-lora")  # fmt: skip


def _bf16_to_f32(path: Path, start: int, info: dict) -> np.ndarray:
    begin, end = info["data_offsets"]
    raw = np.fromfile(path, dtype="<u2", count=(end - begin) // 2, offset=start + begin)
    return (raw.astype(np.uint32) << 16).view(np.float32).reshape(info["shape"])


def _read_safetensors(path: Path) -> LoraFile:
    from safetensors import safe_open

    try:
        header = read_header(path)
        with open(path, "rb") as handle:
            start = 8 + struct.unpack("<Q", handle.read(8))[0]  # tensor data begins after the header
        tensors: dict[str, np.ndarray] = {}
        dtypes: dict[str, str] = {}
        with safe_open(str(path), framework="numpy") as handle:
            metadata = dict(handle.metadata() or {})
            for key in handle.keys():
                info = header[key]
                dtypes[key] = info["dtype"]
                if info["dtype"] == "BF16":
                    tensors[key] = _bf16_to_f32(path, start, info)
                elif info["dtype"] in _RAW_DTYPES:
                    tensors[key] = handle.get_tensor(key)
                else:  # F8 and integer tensors are not LoRA weights we can judge; keep them visible as empty
                    tensors[key] = np.zeros((0,), dtype=np.float32)
    except Exception as exc:  # noqa: BLE001 - OSError, ValueError, safetensors' own SafetensorError, …
        raise _refuse(path, f"not a readable safetensors file ({exc})",
                      "Check the file is complete (a download or copy may have been cut off)", "lora-unreadable") from None  # fmt: skip
    return LoraFile(path, "safetensors", path.stat().st_size, metadata, tensors, dtypes)


def _read_pickle(path: Path) -> LoraFile:
    import torch  # only here: the caller explicitly accepted a pickle

    try:
        state = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises many kinds for bad files
        raise _refuse(path, f"cannot load the checkpoint ({exc})", "Convert it to .safetensors", "lora-unreadable") from None
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    tensors, dtypes = {}, {}
    for key, value in state.items():
        if isinstance(value, torch.Tensor):
            dtypes[key] = str(value.dtype).replace("torch.", "")
            tensors[key] = value.detach().to(torch.float32).numpy()
    return LoraFile(path, "pickle", path.stat().st_size, {}, tensors, dtypes)


def read_lora(path: Path | str, *, allow_pickle: bool = False) -> LoraFile:
    path = Path(path)
    if not path.is_file():
        raise _refuse(path, "no such file", "Give a LoRA .safetensors file or a run (a prefix of its folder name, or `latest`)", "lora-missing")
    if path.suffix.lower() in PICKLE_SUFFIXES:
        if not allow_pickle:
            raise _refuse(path, f"{path.suffix} files are Python pickles that can run code when loaded",
                          "Use the .safetensors file, or pass --allow-pickle if you trust its source", "pickle-refused")  # fmt: skip
        return _read_pickle(path)
    return _read_safetensors(path)
