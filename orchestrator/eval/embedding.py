"""Image embeddings for the scorecard: real CLIP, or an offline pixel embedding.

`clip:<hub id or folder>` loads a CLIP vision tower with transformers in a child
process (torch stays out of the supervisor); a hub id is downloaded once into the
Hugging Face cache, offline it must already be there. `pixel` needs no model: an
8×8 colour layout, a 64-bin colour histogram and edge orientations, each block
normalised. It sees colours, layout and outlines, not identity, and the scorecard
says so. `auto` uses CLIP ViT-B/32 when it is already cached and `pixel` otherwise;
it never downloads.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from orchestrator.hub import cache_only

DEFAULT_CLIP = "openai/clip-vit-base-patch32"
PIXEL_NOTE = ("offline pixel embedding (8x8 colour layout + colour histogram + edge orientations): "
              "no model download; it judges colours, layout and outlines, not identity")


class EmbeddingUnavailable(RuntimeError):
    """The requested embedding model cannot be loaded here."""


@dataclass(frozen=True)
class Embedding:
    kind: str  # "clip" or "pixel"
    model: str | None
    note: str

    def describe(self) -> dict[str, str | None]:
        return {"kind": self.kind, "model": self.model, "note": self.note}


def _normalise(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v)
    return v / n if n > 0 else v


def pixel_features(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as img:
        rgb = img.convert("RGB")
        layout = np.asarray(rgb.resize((8, 8), Image.Resampling.BOX), dtype=np.float32) / 255.0
        small = np.asarray(rgb.resize((32, 32), Image.Resampling.BOX), dtype=np.float32) / 255.0
    bins = np.minimum((small * 4).astype(int), 3)
    index = bins[..., 0] * 16 + bins[..., 1] * 4 + bins[..., 2]
    histogram = np.sqrt(np.bincount(index.ravel(), minlength=64) / index.size)
    grey = small.mean(axis=2)
    gy, gx = np.gradient(grey)
    magnitude = np.hypot(gx, gy)
    angle = (np.arctan2(gy, gx) % np.pi) / np.pi * 8
    edges = np.zeros((2, 2, 8))
    for qy in range(2):
        for qx in range(2):
            sl = (slice(qy * 16, qy * 16 + 16), slice(qx * 16, qx * 16 + 16))
            edges[qy, qx] = np.bincount(np.minimum(angle[sl].astype(int), 7).ravel(),
                                        weights=magnitude[sl].ravel(), minlength=8)
    blocks = [_normalise(layout.ravel() - layout.mean()), _normalise(histogram), _normalise(edges.ravel())]
    return _normalise(np.concatenate(blocks))


def clip_is_cached(model: str) -> bool:
    if Path(model).expanduser().is_dir():
        return True
    try:
        from huggingface_hub import try_to_load_from_cache

        return isinstance(try_to_load_from_cache(model, "config.json"), str)
    except Exception:  # noqa: BLE001 - an unusual cache layout means "not cached", never a crash
        return False


def choose(setting: str) -> Embedding:
    """`auto`, `pixel` or `clip[:model]` → what will actually be used, and why."""
    if setting == "pixel":
        return Embedding("pixel", None, PIXEL_NOTE)
    if setting.startswith("clip"):
        model = setting.partition(":")[2] or DEFAULT_CLIP
        return Embedding("clip", model, f"CLIP image embedding ({model})")
    if clip_is_cached(DEFAULT_CLIP):
        return Embedding("clip", DEFAULT_CLIP, f"CLIP image embedding ({DEFAULT_CLIP}, from the local cache)")
    return Embedding("pixel", None, PIXEL_NOTE + f"; {DEFAULT_CLIP} is not in the Hugging Face cache "
                     f"(set eval.embedding = \"clip\" to download it)")


def embed(embedding: Embedding, paths: list[Path]) -> np.ndarray:
    """One unit row per image, in order."""
    if embedding.kind == "pixel":
        return np.stack([pixel_features(p) for p in paths]) if paths else np.zeros((0, 1))
    return _clip_in_child(embedding.model or DEFAULT_CLIP, paths)


def _clip_in_child(model: str, paths: list[Path]) -> np.ndarray:
    with tempfile.TemporaryDirectory(prefix="orchestrator-embed-") as tmp:
        spec = Path(tmp) / "spec.json"
        out = Path(tmp) / "embeddings.npy"
        spec.write_text(json.dumps({"model": model, "images": [str(p) for p in paths], "out": str(out)}))
        env = {**os.environ, "TOKENIZERS_PARALLELISM": "false"}
        if cache_only()[0]:
            env["HF_HUB_OFFLINE"] = "1"  # offline: the cache answers at once instead of after the Hub's retries
        done = subprocess.run([sys.executable, "-m", "orchestrator.eval.clip_embed", str(spec)],
                              capture_output=True, text=True, env=env)
        if done.returncode != 0:
            reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise EmbeddingUnavailable(f"could not compute CLIP embeddings with {model!r}: {reason}")
        return np.load(out)
