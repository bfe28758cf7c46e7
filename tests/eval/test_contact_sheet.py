"""The contact sheet places each picture in its labelled row and column."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from orchestrator.eval import contact_sheet
from orchestrator.eval.plan import EpochFile, EvalPlan, ModelRole
from orchestrator.eval.prompts import build_prompts


def test_every_cell_shows_its_own_picture(tmp_path: Path):
    plan = EvalPlan(root=tmp_path, models=[ModelRole("base", "builtin:tiny-sd")],
                    epochs=[EpochFile(1, tmp_path / "x.safetensors")], weights=[0.0, 1.0],
                    prompts=build_prompts([("face", "hxh", "man")], []), seeds=[1, 2], width=64, height=64,
                    steps=1, scale=1.0)
    colours = {}
    for i, (role, epoch, weight, prompt, seed) in enumerate(plan.cells()):
        colour = (i * 9 % 256, 255 - i * 7 % 256, 40 + seed * 50)
        path = plan.image(role, epoch, weight, prompt.id, seed)
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (64, 64), colour).save(path)
        colours[(epoch, weight, prompt.id, seed)] = colour
    missing = plan.image("base", 1, 1.0, "face-tags", 2)
    missing.unlink()
    sheet = contact_sheet.render(plan, {("base", 1, 1.0, "face-class"): 0.42}, title="demo")
    columns = contact_sheet._columns(plan)
    tile, pad, label_w, head_h = 128, contact_sheet.PAD, 250, 44  # 64 px pictures are drawn at 2x
    cell_w, cell_h = 2 * tile + 2, tile + 14
    for r, prompt in enumerate(plan.prompts):
        for c, (epoch, weight) in enumerate(columns):
            for s, seed in enumerate(plan.seeds):
                x = label_w + c * (cell_w + pad) + s * (tile + 2) + tile // 2
                y = 24 + head_h + r * (cell_h + pad) + tile // 2
                expected = colours[(None if weight == 0 else epoch, weight, prompt.id, seed)]
                if (epoch, weight, prompt.id, seed) == (1, 1.0, "face-tags", 2):
                    assert sheet.getpixel((x, y)) == contact_sheet.BACKGROUND  # an empty frame, not a wrong picture
                else:
                    assert sheet.getpixel((x, y)) == expected
    assert sheet.size[0] == label_w + len(columns) * (cell_w + pad) + pad
