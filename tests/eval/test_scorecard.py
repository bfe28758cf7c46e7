"""The scorecard's numbers on embeddings whose answer is known by construction."""

from __future__ import annotations

import numpy as np
import pytest

from orchestrator.eval.scorecard import Cell, Scorer, progress, recommend, score

BASE = np.array([1.0, 0.0, 0.0, 0.0])     # what the model draws without the LoRA
FACE = np.array([0.0, 1.0, 0.0, 0.0])     # the subject's training images
OTHER = np.array([0.0, 0.0, 1.0, 0.0])    # an unrelated direction


def _grid(strength: dict[int, float], leak: dict[int, float], test_keep: float = 1.0):
    """Pictures that move `strength[epoch] * weight` of the way towards FACE when triggered,
    `leak[epoch] * weight` of the way when not."""
    cells, rows = [], []
    kinds = {"trigger": 0.8, "class": 1.0, "tags": 0.6, "untriggered": None, "neutral": None}
    for role, keep in (("base", 1.0), ("test", test_keep)):
        for kind in kinds:
            for seed in (1, 2):
                cells.append(Cell(role, None, 0.0, f"face-{kind}", kind, ("face",), seed))
                rows.append(BASE + 0.01 * seed * OTHER)
        for epoch in strength:
            for weight in (0.5, 1.0):
                for kind, share in kinds.items():
                    amount = weight * (leak[epoch] if share is None else strength[epoch] * share) * keep
                    for seed in (1, 2):
                        cells.append(Cell(role, epoch, weight, f"face-{kind}", kind, ("face",), seed))
                        rows.append((1 - amount) * BASE + amount * FACE + 0.01 * seed * OTHER)
    return cells, np.array(rows)


def test_fidelity_is_zero_at_the_base_and_one_at_the_subject():
    assert progress(FACE, BASE, FACE) == pytest.approx(1.0)
    assert progress(0.5 * BASE + 0.5 * FACE + OTHER, BASE, FACE) == pytest.approx(0.5)  # sideways moves do not count
    assert progress(2 * BASE - FACE, BASE, FACE) == pytest.approx(-1.0)


def test_fidelity_rises_with_weight_and_leakage_is_the_neutral_share():
    cells, emb = _grid({1: 0.3, 2: 0.9}, {1: 0.05, 2: 0.1}, test_keep=0.5)
    card = score(cells, emb, {"face": FACE}, [0.0, 0.5, 1.0], [1, 2], has_test=True)
    curve = card["fidelity_by_weight"]["2"]
    assert curve["0"] < curve["0.5"] < curve["1"]
    epoch2 = card["epochs"]["2"]
    assert 0 < epoch2["leakage"]["share"] < 0.5
    assert epoch2["generalisation"]["test_model"] < 1.0  # the test model keeps half the move
    assert epoch2["ease_of_invocation"]["bare_trigger_share"] < 1.0  # the bare trigger moves less
    assert card["recommended_epoch"] == 2 and "under-fit" in card["reason"]


def test_a_late_epoch_that_leaks_is_not_recommended():
    cells, emb = _grid({1: 0.5, 2: 0.6, 3: 0.7}, {1: 0.0, 2: 0.05, 3: 0.7})
    card = score(cells, emb, {"face": FACE}, [0.0, 0.5, 1.0], [1, 2, 3], has_test=False)
    assert card["epochs"]["3"]["leakage"]["share"] > 0.8
    assert card["recommended_epoch"] == 2
    assert "over-fit" in card["reason"] and "under-fit" in card["reason"]
    assert card["epochs"]["2"]["generalisation"]["test_model"] is None  # no test model: not invented


def test_per_image_fidelity_and_no_scorable_epoch():
    cells, emb = _grid({1: 1.0}, {1: 0.0})
    values = Scorer(cells, emb, {"face": FACE}).per_image()
    assert values[0] == pytest.approx(0.0, abs=0.05) and np.nanmax(values) > 0.9
    assert recommend({}) == (None, "no saved epoch could be scored")
