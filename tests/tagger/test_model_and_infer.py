"""The graph decides the input; batching, decoding ahead and corrupt files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto
from tagger_models import WD14_TAGS, build_mean_model, make_deepdanbooru, make_wd14, save_image, sigmoid

from orchestrator.problems import ProjectInvalid
from orchestrator.tagger.infer import predict
from orchestrator.tagger.model import Tagger
from orchestrator.tagger.resolve import resolve_model
from orchestrator.tagger.session import choose_providers, session_options


def tagger(folder: Path) -> Tagger:
    return Tagger(resolve_model(str(folder)))


def test_input_read_from_the_graph(tmp_path: Path, wd14_dir: Path) -> None:
    wd = tagger(wd14_dir)
    assert (wd.input.name, wd.input.size, wd.input.layout, wd.input.batch) == ("input", 32, "NHWC", None)
    dd = tagger(make_deepdanbooru(tmp_path / "dd", layout="NCHW", batch=2, input_name="input_1:0", size=16))
    assert (dd.input.name, dd.input.size, dd.input.layout, dd.input.batch) == ("input_1:0", 16, "NCHW", 2)
    assert dd.profile.name == "deepdanbooru"


def test_symbolic_side_falls_back_to_the_profile_size(tmp_path: Path) -> None:
    folder = make_wd14(tmp_path / "sym", size="side")  # type: ignore[arg-type]
    assert tagger(folder).input.size == 448


def test_float16_input(tmp_path: Path) -> None:
    folder = make_wd14(tmp_path / "f16", dtype=TensorProto.FLOAT16)
    image = save_image(tmp_path / "img" / "red.png", (255, 0, 0))
    [result] = predict(tagger(folder), [image])
    assert result.scores[4] == pytest.approx(sigmoid(4.0), abs=1e-2)  # red_background


def test_tag_list_must_match_the_outputs(tmp_path: Path) -> None:
    folder = make_wd14(tmp_path / "short")
    lines = (folder / "selected_tags.csv").read_text(encoding="utf-8").splitlines()
    (folder / "selected_tags.csv").write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    with pytest.raises(ProjectInvalid, match="lists 13 tags but the model has 14 outputs"):
        tagger(folder)


def test_providers_and_options() -> None:
    assert choose_providers(["AzureExecutionProvider", "CPUExecutionProvider"]) == ["CPUExecutionProvider"]
    assert choose_providers(["CUDAExecutionProvider", "DmlExecutionProvider", "CPUExecutionProvider"]) == ["CUDAExecutionProvider", "CPUExecutionProvider"]
    assert choose_providers(["DmlExecutionProvider", "CPUExecutionProvider"]) == ["DmlExecutionProvider", "CPUExecutionProvider"]
    with pytest.raises(ProjectInvalid, match="not available"):
        choose_providers(["CPUExecutionProvider"], ["CUDAExecutionProvider"])
    options = session_options(["DmlExecutionProvider", "CPUExecutionProvider"], threads=3)
    assert options.intra_op_num_threads == 3 and options.enable_mem_pattern is False


@pytest.mark.parametrize("batch", [3, "batch"])
def test_batches_keep_order_and_skip_corrupt_files(tmp_path: Path, batch: int | str) -> None:
    folder = make_wd14(tmp_path / f"m{batch}", batch=batch)
    colours = [(255, 0, 0), (0, 0, 255), (0, 255, 0), (255, 255, 255), (10, 10, 10), (255, 0, 0)]
    paths = [save_image(tmp_path / "img" / f"{i}.png", c, size=(20 + i * 7, 30)) for i, c in enumerate(colours)]
    bad = tmp_path / "img" / "bad.jpg"
    bad.write_bytes(b"\xff\xd8 truncated")
    paths.insert(2, bad)
    model = tagger(folder)
    done: list[int] = []
    results = list(predict(model, paths, batch_size=2, workers=2, on_done=done.append))
    assert [r.path for r in results] == paths
    assert results[2].scores is None and results[2].error
    assert sum(done) == len(paths)
    for result in results:
        if result.scores is not None:  # the same scores as running the image alone
            alone = model.run(model.prepare(result.path)[None])[0]
            np.testing.assert_allclose(result.scores, alone, rtol=1e-5)
    red = results[0].scores
    assert red[[t[0] for t in WD14_TAGS].index("red_background")] > 0.9


def test_broken_model_file_is_a_clear_error(tmp_path: Path) -> None:
    folder = make_wd14(tmp_path / "broken")
    (folder / "model.onnx").write_bytes(b"partial download")
    with pytest.raises(ProjectInvalid, match="onnxruntime cannot load the model"):
        tagger(folder)


def test_only_graph_inputs_of_images_are_accepted(tmp_path: Path) -> None:
    path = build_mean_model(tmp_path / "odd" / "model.onnx", WD14_TAGS, bgr=True, scale=255.0, size=8, layout="NHWC")
    (path.parent / "selected_tags.csv").write_text((make_wd14(tmp_path / "ref") / "selected_tags.csv").read_text())
    assert tagger(path).input.size == 8  # an .onnx file path works as --model too
