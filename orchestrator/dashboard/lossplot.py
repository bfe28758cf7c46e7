"""loss.png at the end of a run: avr_loss per step and its moving average, drawn with Pillow."""

from __future__ import annotations

import json
import math
from pathlib import Path

from PIL import Image, ImageDraw

WIDTH, HEIGHT, MARGIN = 800, 400, 50


def read_losses(metrics: Path) -> list[tuple[int, float]]:
    points = []
    try:
        with open(metrics, encoding="utf-8") as handle:
            for line in handle:
                if '"progress"' not in line:
                    continue
                data = json.loads(line)
                loss = data.get("loss")
                if data.get("bar") == "steps" and isinstance(loss, (int, float)) and math.isfinite(loss):
                    points.append((int(data["step"]), float(loss)))
    except OSError:
        return []
    return points


def _smooth(values: list[float], k: float = 0.9) -> list[float]:
    out, acc = [], None
    for v in values:
        acc = v if acc is None else k * acc + (1 - k) * v
        out.append(acc)
    return out


def write_loss_png(metrics: Path, target: Path, title: str = "") -> bool:
    points = read_losses(metrics)
    if len(points) < 2:
        return False
    steps = [p[0] for p in points]
    losses = [p[1] for p in points]
    lo, hi = min(losses), max(losses)
    if hi == lo:
        hi = lo + 1e-6
    s0, s1 = min(steps), max(steps)
    s1 = s1 if s1 > s0 else s0 + 1

    def xy(step: float, loss: float) -> tuple[float, float]:
        x = MARGIN + (step - s0) / (s1 - s0) * (WIDTH - 2 * MARGIN)
        y = HEIGHT - MARGIN - (loss - lo) / (hi - lo) * (HEIGHT - 2 * MARGIN)
        return x, y

    img = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(img)
    draw.rectangle([MARGIN, MARGIN, WIDTH - MARGIN, HEIGHT - MARGIN], outline=(160, 160, 160))
    draw.line([xy(s, v) for s, v in points], fill=(150, 180, 230), width=1)
    draw.line([xy(s, v) for s, v in zip(steps, _smooth(losses))], fill=(20, 60, 160), width=2)
    draw.text((MARGIN, 15), f"{title} loss (avr_loss, light; smoothed, dark)".strip(), fill="black")
    draw.text((5, MARGIN - 5), f"{hi:.4g}", fill="black")
    draw.text((5, HEIGHT - MARGIN - 5), f"{lo:.4g}", fill="black")
    draw.text((MARGIN, HEIGHT - MARGIN + 8), f"step {s0}", fill="black")
    draw.text((WIDTH - MARGIN - 60, HEIGHT - MARGIN + 8), f"step {s1}", fill="black")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    img.save(tmp, format="PNG")
    tmp.replace(target)
    return True
