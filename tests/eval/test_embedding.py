"""Both embeddings: the offline pixel one, and real CLIP loading (a tiny local model, in a child)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from orchestrator.eval import embedding as emb


def _picture(path: Path, background: tuple[int, int, int], shape: tuple[int, int, int], offset: int = 0) -> Path:
    img = Image.new("RGB", (64, 64), background)
    ImageDraw.Draw(img).ellipse((12 + offset, 12, 44 + offset, 44), fill=shape)
    img.save(path)
    return path


def test_pixel_embedding_sees_colour_and_layout(tmp_path: Path):
    a = _picture(tmp_path / "a.png", (240, 240, 240), (200, 30, 40))
    a_moved = _picture(tmp_path / "b.png", (240, 240, 240), (200, 30, 40), offset=6)
    blue = _picture(tmp_path / "c.png", (20, 40, 160), (240, 200, 40))
    vectors = emb.embed(emb.choose("pixel"), [a, a_moved, blue, a])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert np.allclose(vectors[0], vectors[3])  # deterministic
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.3  # a moved circle is closer than other colours


def test_auto_never_downloads_and_says_which_embedding_it_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))  # an empty cache
    chosen = emb.choose("auto")
    assert chosen.kind == "pixel" and "not in the Hugging Face cache" in chosen.note
    assert emb.choose("clip").model == emb.DEFAULT_CLIP
    assert emb.choose(f"clip:{tmp_path}").model == str(tmp_path)


@pytest.mark.slow
def test_clip_embeddings_from_a_tiny_local_model(tmp_path: Path):
    pytest.importorskip("transformers")
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection

    folder = tmp_path / "tiny clip é"  # a space and a non-ASCII letter in the path
    config = CLIPVisionConfig(hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4,
                              image_size=32, patch_size=8, projection_dim=16)
    CLIPVisionModelWithProjection(config).save_pretrained(folder)
    CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}).save_pretrained(folder)
    a = _picture(tmp_path / "a.png", (240, 240, 240), (200, 30, 40))
    b = _picture(tmp_path / "b.png", (20, 40, 160), (240, 200, 40))
    chosen = emb.choose(f"clip:{folder}")
    vectors = emb.embed(chosen, [a, b, a])
    assert vectors.shape == (3, 16)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.allclose(vectors[0], vectors[2]) and not np.allclose(vectors[0], vectors[1])


@pytest.mark.slow
def test_clip_offline_without_the_model_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    pytest.importorskip("transformers")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    a = _picture(tmp_path / "a.png", (240, 240, 240), (200, 30, 40))
    with pytest.raises(emb.EmbeddingUnavailable, match="openai/clip-vit-base-patch32"):
        emb.embed(emb.choose("clip"), [a])
