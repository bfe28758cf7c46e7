"""`orchestrator eval RUN`: the fixed-seed grid, the contact sheet and the scorecard of a run."""

from __future__ import annotations

import argparse

from rich.markup import escape
from rich.table import Table

from orchestrator.commands.common import console, print_json


def _fmt(value) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _table(card: dict) -> Table:
    table = Table(title=f"scorecard at weight {card['reference_weight']:g}", box=None, pad_edge=False)
    # headers short enough for 80 columns: rich would cut a longer one to "generalisati…"
    for column in ("epoch", "fidelity", "full at w", "bare trigger", "generalisation", "leakage", ""):
        table.add_column(column, justify="left" if column in ("epoch", "") else "right")  # headers may wrap
    for epoch, row in card["epochs"].items():
        mark = "[bold green]recommended[/]" if str(card.get("recommended_epoch")) == epoch else ""
        ease = row["ease_of_invocation"]
        table.add_row(epoch, _fmt(row["fidelity"]), _fmt(ease["saturation_weight"]), _fmt(ease["bare_trigger_share"]),
                      _fmt(row["generalisation"]["score"]), _fmt(row["leakage"]["share"]), mark)
    return table


def run(args: argparse.Namespace) -> int:
    from orchestrator.eval.runner import evaluate
    from orchestrator.runs.index import resolve

    out = console()
    run_info = resolve(args.run)
    quiet = args.json

    def progress(event: dict) -> None:
        if quiet:
            return
        if event.get("event") == "plan":
            out.print(f"drawing {event['images']} images: epochs {event['epochs']} on {', '.join(event['models'])}")
            out.print(f"[dim]embedding: {escape(event['embedding'])}[/]")
        elif event.get("event") == "rendered":
            epoch = f" epoch {event['epoch']}" if event.get("epoch") is not None else ""
            out.print(f"[dim]  {event['model']}{epoch} weight {event['weight']:g}: {event['images']} images[/]")
        elif event.get("event") == "embed":
            out.print(f"embedding {event['images']} images")

    result = evaluate(run_info, weights=args.weights, seeds=args.seeds, epochs=args.epochs,
                      embedding=args.embedding, allow_pickle=args.allow_pickle, on_progress=progress)
    card = result.scorecard
    if args.json:
        print_json({"scorecard": str(result.scorecard_path), "contact_sheet": str(result.sheet), **card})
        return 0
    out.print(_table(card))
    curve = card["fidelity_by_weight"]
    for epoch, by_weight in curve.items():
        out.print(f"  epoch {epoch} fidelity by weight: " + "  ".join(f"{w}: {_fmt(v)}" for w, v in by_weight.items()))
    out.print(f"[bold]recommended epoch {card.get('recommended_epoch')}[/]: {escape(card['reason'])}")
    out.print(f"[dim]{escape(card['embedding']['note'])}[/]")
    out.print(f"contact sheet: {escape(str(result.sheet))}")
    out.print(f"scorecard:     {escape(str(result.scorecard_path))}")
    return 0
