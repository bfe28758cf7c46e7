"""The scorecard table as a terminal shows it: every header whole at 80 columns."""

from __future__ import annotations

from rich.console import Console

from orchestrator.commands.eval_cmd import _table

ROW = {"fidelity": 0.131, "ease_of_invocation": {"saturation_weight": 1.0, "bare_trigger_share": 0.119},
       "generalisation": {"score": 0.436}, "leakage": {"share": 0.0}}  # fmt: skip


def test_scorecard_table_fits_80_columns_uncut() -> None:
    console = Console(width=80, record=True, color_system=None)
    console.print(_table({"reference_weight": 1.0, "recommended_epoch": 2, "epochs": {"1": ROW, "2": ROW}}))
    text = console.export_text()
    assert "…" not in text and max(len(line) for line in text.splitlines()) <= 80
    header = next(line for line in text.splitlines() if line.startswith("epoch"))
    assert header.split() == ["epoch", "fidelity", "full", "at", "w", "bare", "trigger", "generalisation", "leakage"]
    assert text.splitlines()[-1].split() == ["2", "0.131", "1.000", "0.119", "0.436", "0.000", "recommended"]
