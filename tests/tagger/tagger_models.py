"""Tiny deterministic taggers built with the `onnx` helper API, for tests.

Each output is sigmoid(w · channel_means + b): an image's average colour decides its tags,
so a red image and a blue one get different, predictable tags. The WD14 model sees BGR in
0–255 (NHWC), the DeepDanbooru-style one RGB in 0–1 (NHWC or NCHW), exactly like the real
families; the weights are written per RGB colour and placed on the channel axis the family
uses, so a wrong channel order or scale gives wrong tags.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# (name, category, r, g, b, bias): logit = r*R + g*G + b*B + bias with R, G, B in 0–1.
WD14_TAGS = [
    ("general", "9", 0, 0, 0, 1.0),
    ("sensitive", "9", 4, 0, 0, -2.0),  # red images: 2 > 1, so "sensitive" wins the argmax
    ("questionable", "9", 0, 0, 0, -3.0),
    ("explicit", "9", 0, 0, 0, -4.0),
    ("red_background", "0", 8, 0, 0, -4.0),
    ("blue_background", "0", 0, 0, 8, -4.0),
    ("green_background", "0", 0, 8, 0, -4.0),
    ("white_background", "0", 4, 4, 4, -10.0),
    ("simple_background", "0", 0, 0, 0, 0.0),  # 0.5 everywhere
    ("^_^", "0", 0, 0, 0, 1.0),  # 0.731: a kaomoji keeps its underscore
    ("looking_at_viewer", "0", 0, 0, 0, -0.4),  # 0.401: just above the 0.35 default
    ("1boy", "0", 0, 0, 0, -1.0),  # 0.269: below it
    ("captain_america_(marvel)", "4", 8, 0, 0, -2.0),  # red: 0.998 ≥ 0.85
    ("hxh_(person)", "4", 0, 0, 6, -3.0),  # blue: 0.953
]

DD_TAGS = [
    ("red_background", "general", 8, 0, 0, -4.0),
    ("blue_background", "general", 0, 0, 8, -4.0),
    ("simple_background", "general", 0, 0, 0, 0.2),  # 0.550 ≥ 0.5
    ("smile", "general", 0, 0, 0, -0.2),  # 0.450 < 0.5
    ("captain_america_(marvel)", "character", 8, 0, 0, -2.0),
    ("rating:safe", "rating", 0, 0, 0, 1.0),
    ("rating:questionable", "rating", 4, 0, 0, -2.0),
    ("rating:explicit", "rating", 0, 0, 0, -3.0),
]


def sigmoid(x: float) -> float:
    return float(1 / (1 + np.exp(-x)))


def _weights(tags: list[tuple], bgr: bool, scale: float) -> tuple[np.ndarray, np.ndarray]:
    rgb = np.array([[t[2], t[3], t[4]] for t in tags], dtype=np.float32).T  # 3 × K
    if bgr:
        rgb = rgb[::-1]
    return np.ascontiguousarray(rgb / scale), np.array([t[5] for t in tags], dtype=np.float32)


def build_mean_model(path: Path, tags: list[tuple], *, bgr: bool, scale: float, size: int, layout: str = "NHWC",
                     batch: int | str = "batch", input_name: str = "input", dtype: int = TensorProto.FLOAT) -> Path:
    """sigmoid(W · mean colour + b), with the input declared as a real export declares it."""
    shape = [batch, size, size, 3] if layout == "NHWC" else [batch, 3, size, size]
    axes = [1, 2] if layout == "NHWC" else [2, 3]
    weights, bias = _weights(tags, bgr, scale)
    nodes = []
    source = input_name
    if dtype != TensorProto.FLOAT:
        nodes.append(helper.make_node("Cast", [input_name], ["x32"], to=TensorProto.FLOAT))
        source = "x32"
    nodes += [
        helper.make_node("ReduceMean", [source], ["means"], axes=axes, keepdims=0),
        helper.make_node("MatMul", ["means", "W"], ["logits0"]),
        helper.make_node("Add", ["logits0", "B"], ["logits"]),
        helper.make_node("Sigmoid", ["logits"], ["output"]),
    ]
    graph = helper.make_graph(
        nodes, "tiny_tagger",
        [helper.make_tensor_value_info(input_name, dtype, shape)],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [batch, len(tags)])],
        [numpy_helper.from_array(weights, "W"), numpy_helper.from_array(bias, "B")],
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8  # readable by every onnxruntime of the last years
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def make_wd14(folder: Path, **kwargs) -> Path:
    """A WD14-style folder: model.onnx (BGR 0–255, NHWC) + selected_tags.csv."""
    kwargs.setdefault("size", 32)
    build_mean_model(folder / "model.onnx", WD14_TAGS, bgr=True, scale=255.0, **kwargs)
    with (folder / "selected_tags.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["tag_id", "name", "category", "count"])
        for i, tag in enumerate(WD14_TAGS):
            writer.writerow([i, tag[0], tag[1], 1000 - i])
    return folder


def make_deepdanbooru(folder: Path, **kwargs) -> Path:
    """A DeepDanbooru-style folder: model.onnx (RGB 0–1) + tags.txt + tags-character.txt."""
    kwargs.setdefault("size", 24)
    build_mean_model(folder / "model.onnx", DD_TAGS, bgr=False, scale=1.0, **kwargs)
    (folder / "tags.txt").write_text("\n".join(t[0] for t in DD_TAGS) + "\n", encoding="utf-8")
    characters = [t[0] for t in DD_TAGS if t[1] == "character"]
    (folder / "tags-character.txt").write_text("\n".join(characters) + "\n", encoding="utf-8")
    return folder


def save_image(path: Path, colour: tuple[int, ...], size: tuple[int, int] = (40, 30), mode: str = "RGB") -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, colour).save(path)
    return path
