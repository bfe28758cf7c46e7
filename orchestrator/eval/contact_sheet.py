"""One PNG to look at: a block per model, rows = prompts, columns = epoch × weight.

Each cell holds the seeds side by side (upscaled with nearest-neighbour, so small
pictures stay honest pixels) and, under them, the cell's mean fidelity when given.
Pillow only; the labels use Pillow's built-in font, so no font file is needed.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from orchestrator.eval.plan import EvalPlan

BACKGROUND = (250, 250, 248)
INK = (30, 30, 34)
MUTED = (110, 110, 118)
PAD = 6


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: one fixed size
        return ImageFont.load_default()


def _columns(plan: EvalPlan) -> list[tuple[int | None, float]]:
    cols: list[tuple[int | None, float]] = []
    for ep in plan.epochs:
        for w in plan.weights:
            cols.append((ep.epoch, w))
    return cols


def render(plan: EvalPlan, scores: dict[tuple, float] | None = None, title: str = "") -> Image.Image:
    scores = scores or {}
    longest = max(plan.width, plan.height)
    zoom = max(1, 128 // longest) if longest < 128 else 1
    tile_w, tile_h = plan.width * zoom, plan.height * zoom
    n_seeds = len(plan.seeds)
    cell_w = n_seeds * tile_w + (n_seeds - 1) * 2
    cell_h = tile_h + 14
    label_w = 250
    cols = _columns(plan)
    head_h = 44
    block_h = head_h + len(plan.prompts) * (cell_h + PAD)
    sheet = Image.new("RGB", (label_w + len(cols) * (cell_w + PAD) + PAD,
                              24 + len(plan.models) * (block_h + PAD)), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    big, small = _font(14), _font(11)
    draw.text((PAD, 4), title, fill=INK, font=big)
    y0 = 24
    for model in plan.models:
        draw.text((PAD, y0 + 4), f"{model.role} model: {model.ref}", fill=INK, font=big)
        for c, (epoch, weight) in enumerate(cols):
            x = label_w + c * (cell_w + PAD)
            draw.text((x, y0 + 26), f"epoch {epoch} · w {weight:g}", fill=INK if weight else MUTED, font=small)
        for r, prompt in enumerate(plan.prompts):
            y = y0 + head_h + r * (cell_h + PAD)
            draw.text((PAD, y + 2), f"[{prompt.kind}]", fill=MUTED, font=small)
            draw.text((PAD, y + 16), prompt.label, fill=INK, font=small)
            for c, (epoch, weight) in enumerate(cols):
                x = label_w + c * (cell_w + PAD)
                for s, seed in enumerate(plan.seeds):
                    path = plan.image(model.role, epoch, weight, prompt.id, seed)
                    if path.is_file():
                        with Image.open(path) as img:
                            tile = img.convert("RGB").resize((tile_w, tile_h), Image.Resampling.NEAREST)
                        sheet.paste(tile, (x + s * (tile_w + 2), y))
                    else:
                        draw.rectangle((x + s * (tile_w + 2), y, x + s * (tile_w + 2) + tile_w, y + tile_h),
                                       outline=MUTED)
                value = scores.get((model.role, epoch if weight else None, weight, prompt.id))
                if value is not None:
                    draw.text((x, y + tile_h + 1), f"fidelity {value:+.2f}", fill=MUTED, font=small)
        y0 += block_h + PAD
    return sheet


def write(plan: EvalPlan, target: Path, scores: dict[tuple, float] | None = None, title: str = "") -> Path:
    render(plan, scores, title).save(target)
    return target
