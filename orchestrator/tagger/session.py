"""onnxruntime for taggers: which providers, which session options, what the graph expects.

The input's name, side, layout (NHWC or NCHW) and any batch size fixed in the graph are
read from the model itself: exports differ (WD v2 `input_1:0` NHWC, v3 `input`, some
DeepDanbooru conversions NCHW, some re-exports with a fixed batch).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from orchestrator.problems import Problem, ProjectInvalid
from orchestrator.tagger.profiles import Profile

if TYPE_CHECKING:
    import onnxruntime as ort

Layout = Literal["NHWC", "NCHW"]

# First available wins. TensorRT is left out on purpose: building its engine takes minutes,
# more than tagging a LoRA dataset; OpenVINO/CoreML can be asked for with --provider.
PREFERRED_PROVIDERS = ("CUDAExecutionProvider", "ROCMExecutionProvider", "DmlExecutionProvider", "CPUExecutionProvider")
_DTYPES = {"tensor(float)": np.float32, "tensor(float16)": np.float16}


@dataclass(frozen=True)
class InputSpec:
    name: str
    size: int  # square side in pixels
    layout: Layout
    batch: int | None  # batch size fixed in the graph, None when dynamic
    dtype: type[np.floating]


def usable_cores() -> int:
    """Cores this process may run on (the affinity mask, not the machine's total)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def choose_providers(available: list[str], requested: list[str] | None = None) -> list[str]:
    """The providers to ask for, best first, always ending with the CPU as a fallback."""
    if requested:
        missing = [p for p in requested if p not in available]
        if missing:
            raise ProjectInvalid([Problem("--provider", f"not available in this onnxruntime: {', '.join(missing)}",
                                          f"Available: {', '.join(available)}", code="tagger-provider")])
        chosen = list(requested)
    else:
        chosen = [p for p in PREFERRED_PROVIDERS if p in available][:1]
    if "CPUExecutionProvider" not in chosen:
        chosen.append("CPUExecutionProvider")
    return chosen


def session_options(providers: list[str], threads: int | None = None) -> ort.SessionOptions:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL  # one graph, one request at a time
    options.intra_op_num_threads = threads or usable_cores()
    options.inter_op_num_threads = 1
    # No spin-waiting between runs: the decode threads need those cores while the network waits.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3  # errors only: no warnings about unused initialisers on stderr
    if "DmlExecutionProvider" in providers:
        options.enable_mem_pattern = False  # DirectML requires it off (and sequential execution)
    return options


def open_session(model: Path, providers: list[str] | None = None, threads: int | None = None) -> ort.InferenceSession:
    try:
        import onnxruntime as ort
    except ImportError:
        raise ProjectInvalid([Problem("onnxruntime", "not installed", "pip install onnxruntime (or onnxruntime-gpu / onnxruntime-directml)", code="tagger-runtime")]) from None
    chosen = choose_providers(ort.get_available_providers(), providers)
    try:
        return ort.InferenceSession(str(model), sess_options=session_options(chosen, threads), providers=chosen)
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own exception types for bad files
        raise ProjectInvalid([Problem(str(model), f"onnxruntime cannot load the model ({str(exc).splitlines()[0][:200]})",
                                      "Download the model again; a partial download is the usual cause", code="tagger-model")]) from None


def read_input(session: ort.InferenceSession, profile: Profile) -> InputSpec:
    """The image input as the graph declares it; symbolic sides fall back to the profile's size."""
    node = session.get_inputs()[0]
    shape = list(node.shape)

    def bad(message: str) -> ProjectInvalid:
        return ProjectInvalid([Problem(node.name, f"{message} (input shape {shape})", "Use an image tagger with one N×H×W×3 or N×3×H×W input", code="tagger-model")])

    if len(shape) != 4:
        raise bad("the model input is not a 4-D image batch")
    if shape[3] == 3:
        layout: Layout = "NHWC"
        sides = shape[1:3]
    elif shape[1] == 3:
        layout, sides = "NCHW", shape[2:4]
    else:
        raise bad("cannot tell the channel axis")
    fixed = {s for s in sides if isinstance(s, int) and s > 0}
    if len(fixed) > 1:
        raise bad("non-square inputs are not supported")
    dtype = _DTYPES.get(node.type)
    if dtype is None:
        raise bad(f"input type {node.type} is not a float image")
    batch = shape[0] if isinstance(shape[0], int) and shape[0] > 0 else None
    return InputSpec(node.name, fixed.pop() if fixed else profile.size, layout, batch, dtype)
