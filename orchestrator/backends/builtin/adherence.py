"""Does a builtin model draw what the prompt asks for? Colour adherence, measured.

Prompts such as "red circle, white background" are rendered with fixed seeds and each
picture's pixels are assigned to the nearest named colour of the training palette.
A picture follows the prompt when the asked-for background is its most common
colour, and the asked-for shape colour is the most common of the rest. The
pretraining script records these shares in `weights/TRAINING.json`; a test keeps them
from regressing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from orchestrator.backends.builtin.pretrain_data import TEST_COLOURS
from orchestrator.dataset.synth import COLOURS

BACKGROUNDS = ("white", "black")
_NAMES = sorted(COLOURS)
_PALETTE = np.array([COLOURS[n] for n in _NAMES], dtype=np.float32)


def colour_shares(image) -> dict[str, float]:
    pixels = np.asarray(image.convert("RGB"), dtype=np.float32).reshape(-1, 3)
    nearest = np.argmin(((pixels[:, None, :] - _PALETTE[None]) ** 2).sum(-1), axis=1)
    counts = np.bincount(nearest, minlength=len(_NAMES)) / len(pixels)
    return {name: float(c) for name, c in zip(_NAMES, counts)}


def follows(image, colour: str, background: str) -> tuple[bool, bool]:
    shares = colour_shares(image)
    bg_ok = max(shares, key=shares.get) == background
    rest = {k: v for k, v in shares.items() if k != background}
    return bg_ok, max(rest, key=rest.get) == colour


def measure(models: Any, seeds: tuple[int, ...] = (1, 2, 3, 4), steps: int = 20, scale: float = 7.5) -> dict[str, Any]:
    import torch

    from orchestrator.backends.builtin.render import render_batch

    cases = [(c, b, s) for c in TEST_COLOURS for b in BACKGROUNDS for s in seeds]
    prompts = [f"{c} circle, {b} background" for c, b, _ in cases]
    with torch.no_grad():
        images = render_batch(models, prompts, [""] * len(prompts), [s for _, _, s in cases], steps=steps,
                              scale=scale, width=64, height=64)
    results = [follows(img, c, b) for img, (c, b, _) in zip(images, cases)]
    return {
        "prompts": len(cases),
        "background_share": round(sum(r[0] for r in results) / len(results), 3),
        "shape_colour_share": round(sum(r[1] for r in results) / len(results), 3),
        "chance_shape_colour": round(1 / (len(_NAMES) - 1), 3),
    }
