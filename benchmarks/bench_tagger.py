"""`orchestrator tag` throughput: our pipeline against a raw onnxruntime loop, same model, same images.

Ours: `orchestrator.tagger.infer.predict` (batches of 8, decoding and preprocessing in a
thread pool ahead of the network, tuned session options) plus tag selection for every
image. The baseline is the loop a script would write: a default `InferenceSession`, then
for each image decode, preprocess (the same `prepare` function, so only the pipeline
differs) and `session.run` one image at a time. Both run a WD14-shaped model generated here
(NHWC 448×448 BGR input, four stride-2 convolutions, ~0.2 GMAC per image, 2,000 sigmoid
outputs: inference costs about as much as decoding, as with real taggers on a GPU) over the
generated mixed-size PNG/JPEG/WebP dataset of `bench_plan` (500 images; quick: 60). The two
must give the same scores. Needs the `onnx` package (a dev dependency) to build the model.
"""

from __future__ import annotations

import csv
import statistics
import sys
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._common import make_row, sig, timed
from benchmarks._dataset import SUBJECTS, cache_root, ensure_dataset, subject_dir
from orchestrator.dataset.scan import list_images
from orchestrator.tagger.infer import predict
from orchestrator.tagger.model import Tagger
from orchestrator.tagger.resolve import resolve_model
from orchestrator.tagger.selection import Selection, Vocabulary

IMAGES, QUICK_IMAGES = 500, 60
RUNS, QUICK_RUNS = 3, 1
TAGS = 2000
MODEL_VERSION = 1


def build_model(folder: Path) -> Path:
    """A WD14-shaped convolutional tagger with fixed random weights (built once, cached)."""
    if (folder / "model.onnx").is_file():
        return folder
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    channels = [3, 16, 32, 64, 128]
    inits = [numpy_helper.from_array(np.array([1 / 255], np.float32), "scale")]
    nodes = [helper.make_node("Transpose", ["input"], ["nchw"], perm=[0, 3, 1, 2]),
             helper.make_node("Mul", ["nchw", "scale"], ["x0"])]
    for i, (cin, cout) in enumerate(zip(channels, channels[1:])):
        w = rng.normal(0, (2 / (9 * cin)) ** 0.5, (cout, cin, 3, 3)).astype(np.float32)
        inits += [numpy_helper.from_array(w, f"w{i}"), numpy_helper.from_array(np.zeros(cout, np.float32), f"b{i}")]
        nodes += [helper.make_node("Conv", [f"x{i}", f"w{i}", f"b{i}"], [f"c{i}"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
                  helper.make_node("Relu", [f"c{i}"], [f"x{i + 1}"])]
    last = f"x{len(channels) - 1}"
    inits += [numpy_helper.from_array(rng.normal(0, 0.5, (channels[-1], TAGS)).astype(np.float32), "fc"),
              numpy_helper.from_array(np.full(TAGS, -1.0, np.float32), "fc_b")]
    nodes += [helper.make_node("GlobalAveragePool", [last], ["pooled"]),
              helper.make_node("Flatten", ["pooled"], ["flat"]),
              helper.make_node("Gemm", ["flat", "fc", "fc_b"], ["logits"]),
              helper.make_node("Sigmoid", ["logits"], ["output"])]
    graph = helper.make_graph(nodes, "bench_tagger",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 448, 448, 3])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", TAGS])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    partial = folder.with_name(folder.name + ".partial")
    partial.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(partial / "model.onnx"))
    with (partial / "selected_tags.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["tag_id", "name", "category", "count"])
        for i in range(TAGS):
            category = "9" if i < 4 else "4" if i >= TAGS - 100 else "0"
            writer.writerow([i, f"tag_{i:04d}", category, TAGS - i])
    partial.rename(folder)
    return folder


def raw_loop(model: Path, tagger: Tagger, paths: list[Path]) -> dict[Path, np.ndarray]:
    """The baseline: a default session, then decode → preprocess → run, one image at a time."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    scores = {}
    for path in paths:
        try:
            array = tagger.prepare(path)
        except Exception:  # noqa: BLE001 - a raw loop skips what it cannot read, as ours does
            continue
        scores[path] = session.run(None, {"input": array[None]})[0][0]
    return scores


def ours(tagger: Tagger, vocabulary: Vocabulary, paths: list[Path]) -> dict[Path, np.ndarray]:
    scores = {}
    for prediction in predict(tagger, paths):
        if prediction.scores is not None:
            vocabulary.select(prediction.scores)  # our figure includes choosing the tags
            scores[prediction.path] = prediction.scores
    return scores


def run(quick: bool = False, runs: int | None = None) -> list[dict[str, Any]]:
    images = QUICK_IMAGES if quick else IMAGES
    n = runs or (QUICK_RUNS if quick else RUNS)
    root = ensure_dataset(images)
    paths = [p for name, _, _ in SUBJECTS for p in list_images(subject_dir(root, name))]
    for path in paths:
        path.read_bytes()  # page cache warm for both sides: we compare code, not the disk
    folder = build_model(cache_root() / f"tagger-model-v{MODEL_VERSION}")
    tagger = Tagger(resolve_model(str(folder)))
    vocabulary = Vocabulary(tagger.labels, Selection(), tagger.profile)

    # Warm-up and correctness in one: the same images, the same scores.
    mine, theirs = ours(tagger, vocabulary, paths), raw_loop(folder / "model.onnx", tagger, paths)
    if mine.keys() != theirs.keys() or len(mine) != images:
        raise AssertionError(f"images disagree: ours {len(mine)}, raw {len(theirs)}, expected {images}")
    worst = max(float(np.abs(mine[p] - theirs[p]).max()) for p in paths)
    if worst > 1e-3:
        raise AssertionError(f"scores disagree with the raw loop by up to {worst}")

    ours_times, raw_times = [], []
    for _ in range(n):  # alternate: a slow spell of the machine hits both sides alike
        ours_times.append(timed(lambda: ours(tagger, vocabulary, paths)))
        raw_times.append(timed(lambda: raw_loop(folder / "model.onnx", tagger, paths)))
    ours_s, raw_s = statistics.median(ours_times), statistics.median(raw_times)
    return [
        make_row(
            f"tagger.images_{images}",
            images / ours_s,
            images / raw_s,
            "images/s",
            "higher",
            images=images,
            ours_s=sig(ours_s),
            baseline_s=sig(raw_s),
            runs=n,
            max_score_difference=sig(worst),
            providers=tagger.providers,
            target="ratio ≥ 1 (not slower than raw; faster through parallel decode)",
            measured="orchestrator.tagger.infer.predict (batch 8, thread-pool decode) + tag selection",
            baseline_method="default InferenceSession; per image: the same prepare(), session.run one by one",
            dataset=str(root),
        )
    ]


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    for row in run(quick=quick):
        print(row)
