"""The grid's rows and files: every question of the scorecard has its row, weight 0 is drawn once."""

from __future__ import annotations

from pathlib import Path

from orchestrator.eval.plan import EpochFile, EvalPlan, ModelRole, weights_with_zero
from orchestrator.eval.prompts import build_prompts

SUBJECTS = [("face", "hxh", "man"), ("captain america", "uscaption", "man")]


def test_rows_cover_trigger_class_tags_untriggered_together_and_custom():
    rows = build_prompts(SUBJECTS, ["hxh, uscaption, 1boy, upper body"])
    by_id = {r.id: r for r in rows}
    assert by_id["face-trigger"].text == "hxh"
    assert by_id["face-class"].text == "hxh, man"
    assert by_id["captain-america-tags"].text == "uscaption, man, outdoors, sunset"
    assert by_id["face-untriggered"].text == "man" and "hxh" not in by_id["face-untriggered"].text
    assert by_id["together"].text == "hxh, uscaption, man"
    assert by_id["together"].subjects == ("face", "captain america")
    assert by_id["custom-1"].subjects == ("face", "captain america")  # both triggers are in it
    assert [r.kind for r in rows].count("untriggered") == 2
    assert by_id["neutral"].text == "outdoors, sunset" and by_id["neutral"].subjects == ("face", "captain america")


def test_weight_zero_is_always_drawn_and_only_once_per_model(tmp_path: Path):
    assert weights_with_zero([1.0, 0.5]) == [0.0, 0.5, 1.0]
    plan = EvalPlan(root=tmp_path, models=[ModelRole("base", "builtin:tiny-sd"), ModelRole("test", "builtin:tiny-sd-photo")],
                    epochs=[EpochFile(1, tmp_path / "a-000001.safetensors"), EpochFile(2, tmp_path / "a.safetensors")],
                    weights=[0.0, 0.5, 1.0], prompts=build_prompts(SUBJECTS, []), seeds=[1, 2],
                    width=64, height=64, steps=4, scale=7.5)
    cells = list(plan.cells())
    rows = len(plan.prompts)
    assert len(cells) == plan.image_count() == 2 * rows * 2 * (1 + 2 * 2)
    paths = {plan.image(r, e, w, p.id, s) for r, e, w, p, s in cells}
    assert len(paths) == len(cells)  # one file per picture
    assert plan.image("base", 2, 0.0, "together", 1) == plan.image("base", 1, 0.0, "together", 1)
    assert plan.image("test", 2, 0.5, "together", 1) == tmp_path / "images/test/e002/w0.5/together_s1.png"
