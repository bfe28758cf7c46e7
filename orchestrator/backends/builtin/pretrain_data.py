"""Pictures the tiny base models learn from: shapes, colours and backgrounds, captioned.

The base model plays "SD 1.5" in the demo: it should know the everyday vocabulary
(colours, shapes, outdoors, city, sunset) but *not* the two concepts the demo LoRA
teaches (the `hxh` face and the `uscaption` costume), so a LoRA's effect is its own.
The VAE, like SD's, learns to reconstruct everything, the characters included.

The "photo" style is what turns the base into the demo's specialised test model, the
way a realistic checkpoint differs from SD 1.5: softer, desaturated, higher contrast,
with grain and a vignette. Pillow only; `random.Random(seed)` drives everything.
"""

from __future__ import annotations

import random

from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

from orchestrator.dataset import synth

SIZE = 64
SCENIC = ("studio", "park", "city", "room", "sunset", "ruins")
# Colours of the prompt-adherence test: far apart, so a pixel's nearest named colour is unambiguous.
TEST_COLOURS = ("red", "blue", "green", "yellow")


def shape_scene(seed: synth.Seed, size: int = SIZE, *, shape: str | None = None, colour: str | None = None,
                background: str | None = None) -> synth.Scene:
    """One or two shapes on a flat colour or a scenic background; the caption names each."""
    rng = synth.as_rng(seed)
    colour = synth.pick(rng, sorted(synth.COLOURS), colour)
    shape = synth.pick(rng, synth.SHAPES, shape)
    scenic = background is None and rng.random() < 0.5
    img = synth.new_canvas(size, size)
    if scenic:
        bg_tags = synth.BACKGROUNDS[synth.pick(rng, SCENIC)](img, rng)
    else:
        bg = synth.pick(rng, [c for c in sorted(synth.COLOURS) if c != colour], background)
        img.paste(synth.COLOURS[bg], (0, 0, *img.size))
        bg_tags = [f"{bg} background"]
    w, h = img.size
    draw = ImageDraw.Draw(img)
    shapes = [(shape, colour)]
    if background is None and rng.random() < 0.2:
        shapes.append((synth.pick(rng, synth.SHAPES), synth.pick(rng, sorted(synth.COLOURS))))
    for kind, name in shapes:
        r = rng.uniform(0.22, 0.36) * min(w, h) / (1.3 if len(shapes) > 1 else 1.0)
        centre = (rng.uniform(r, w - r), rng.uniform(r, h - r))
        synth.draw_shape(draw, kind, centre, r, synth.COLOURS[name], rng.uniform(-20, 20))
    tags = [f"{name} {kind}" for kind, name in shapes] + bg_tags
    return synth.finish(img, size, size), list(dict.fromkeys(tags))


def vae_scene(seed: int, size: int = SIZE) -> Image.Image:
    """Anything the demo will ever show, the two characters included (unseen seeds)."""
    rng = random.Random(seed)
    kind = rng.random()
    if kind < 0.6:
        return shape_scene(rng, size)[0]
    if kind < 0.8:
        return synth.hxh_portrait(size, size, rng)[0]
    return synth.captain_figure(size, size, rng)[0]


def photo_style(img: Image.Image, seed: int) -> Image.Image:
    """The test model's look: muted colour, harder contrast, soft focus, grain, vignette."""
    rng = random.Random(seed)
    out = ImageEnhance.Color(img).enhance(0.55)
    out = ImageEnhance.Contrast(out).enhance(1.35)
    out = out.filter(ImageFilter.GaussianBlur(0.6))
    grain = Image.frombytes("L", out.size, rng.randbytes(out.size[0] * out.size[1])).convert("RGB")
    out = Image.blend(out, grain, 0.08 + rng.uniform(0, 0.04))
    mask = Image.radial_gradient("L").resize(out.size, Image.Resampling.BILINEAR).point(lambda v: max(0, v - 90))
    return Image.composite(Image.new("RGB", out.size, (20, 14, 10)), out, mask)


def caption(tags: list[str]) -> str:
    return ", ".join(tags)
