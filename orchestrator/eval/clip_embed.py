"""Child process: CLIP image embeddings (transformers), one unit row per image.

    python -m orchestrator.eval.clip_embed SPEC.json    # {"model", "images", "out"}

A hub id loads from the Hugging Face cache, downloading once when online; with
HF_HUB_OFFLINE=1 or no network it fails with one line naming the model.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def load(model: str):
    from transformers import CLIPImageProcessor, CLIPVisionModelWithProjection

    source = Path(model).expanduser()
    name = str(source) if source.is_dir() else model
    try:
        processor = CLIPImageProcessor.from_pretrained(name)
        vision = CLIPVisionModelWithProjection.from_pretrained(name)
    except OSError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SystemExit(f"cannot load CLIP model {model!r} (offline and not cached?): {first}") from None
    return processor, vision.eval()


def main(argv: list[str] | None = None) -> int:
    import numpy as np
    import torch
    from PIL import Image

    args = sys.argv[1:] if argv is None else argv
    spec = json.loads(Path(args[0]).read_text())
    processor, vision = load(spec["model"])
    rows = []
    with torch.no_grad():
        for i in range(0, len(spec["images"]), 32):
            images = [Image.open(p).convert("RGB") for p in spec["images"][i:i + 32]]
            pixels = processor(images=images, return_tensors="pt")["pixel_values"]
            rows.append(torch.nn.functional.normalize(vision(pixel_values=pixels).image_embeds, dim=-1).numpy())
    np.save(spec["out"], np.concatenate(rows) if rows else np.zeros((0, 1), dtype=np.float32))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
