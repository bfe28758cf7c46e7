"""The benchmark's generated model is a valid WD14-shaped tagger (its timing lives in benchmarks/)."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # `benchmarks` is a top-level folder, not part of the installed package
    sys.path.insert(0, str(REPO))

from benchmarks.bench_tagger import TAGS, build_model  # noqa: E402
from tagger_models import save_image  # noqa: E402

from orchestrator.tagger.infer import predict  # noqa: E402
from orchestrator.tagger.model import Tagger  # noqa: E402
from orchestrator.tagger.resolve import resolve_model  # noqa: E402


def test_bench_model_loads_as_a_wd14_tagger(tmp_path: Path) -> None:
    folder = build_model(tmp_path / "bench-model")
    tagger = Tagger(resolve_model(str(folder)))
    assert (tagger.profile.name, tagger.input.size, tagger.input.layout, len(tagger.labels)) == ("wd14", 448, "NHWC", TAGS)
    [result] = predict(tagger, [save_image(tmp_path / "a.png", (200, 30, 30), size=(300, 200))])
    assert result.scores is not None and result.scores.shape == (TAGS,)
