"""Build an offline stand-in for SD 1.5 with the trainer's own Python (for the integration test).

Run with the sd-scripts environment's interpreter, not orchestrator's:
    <sd-scripts venv>/bin/python tests/backends/sdscripts/make_offline_sd15.py OUT_DIR

Writes OUT_DIR/model (a randomly initialised, full-size SD 1.5 in diffusers layout: the
real architecture, so sd-scripts loads and trains it exactly as it would the real one)
and OUT_DIR/tokenizers/openai_clip-vit-large-patch14 (CLIP's tokenizer built offline
from the BPE merges file that the open_clip package ships), for --tokenizer_cache_dir.
Needs: torch, diffusers, transformers (all in sd-scripts' requirements) and the
`open_clip_torch` package installed with --no-deps (only its merges file is read).
"""

import gzip
import importlib.util
import json
import sys
from pathlib import Path


def merges_file() -> Path:
    spec = importlib.util.find_spec("open_clip")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("open_clip is not installed: pip install --no-deps open_clip_torch (its merges file is all we need)")
    return Path(spec.submodule_search_locations[0]) / "bpe_simple_vocab_16e6.txt.gz"


def build_tokenizer(out: Path) -> None:
    from transformers import CLIPTokenizer

    lines = gzip.open(merges_file(), "rt", encoding="utf-8").read().split("\n")
    merges = [tuple(m.split()) for m in lines[1 : 49152 - 256 - 2 + 1]]
    byte_chars = _bytes_to_unicode()
    vocab = list(byte_chars) + [c + "</w>" for c in byte_chars] + ["".join(m) for m in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    out.mkdir(parents=True, exist_ok=True)
    (out / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(vocab)}), encoding="utf-8")
    (out / "merges.txt").write_text("#version: 0.2\n" + "\n".join(" ".join(m) for m in merges) + "\n", encoding="utf-8")
    tok = CLIPTokenizer(str(out / "vocab.json"), str(out / "merges.txt"), pad_token="<|endoftext|>", model_max_length=77)
    tok.save_pretrained(str(out))
    assert tok("hxh")["input_ids"] == [49406, 71, 45771, 49407], tok("hxh")["input_ids"]


def _bytes_to_unicode() -> list[str]:
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for c in cs]


def build_model(out: Path, tokenizer_dir: Path) -> None:
    import torch
    from diffusers import AutoencoderKL, PNDMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        sample_size=64, in_channels=4, out_channels=4, layers_per_block=2,
        block_out_channels=(320, 640, 1280, 1280), cross_attention_dim=768, attention_head_dim=8,
        down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
    )
    vae = AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=4, layers_per_block=2, sample_size=512,
        block_out_channels=(128, 256, 512, 512), down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
    )
    text_encoder = CLIPTextModel(CLIPTextConfig(
        vocab_size=49408, hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
        max_position_embeddings=77, hidden_act="quick_gelu", projection_dim=768,
    ))
    scheduler = PNDMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", skip_prk_steps=True,
                              num_train_timesteps=1000)
    pipe = StableDiffusionPipeline(vae=vae, text_encoder=text_encoder, tokenizer=CLIPTokenizer.from_pretrained(str(tokenizer_dir), model_max_length=77),
                                   unet=unet, scheduler=scheduler, safety_checker=None, feature_extractor=None,
                                   requires_safety_checker=False)
    pipe.save_pretrained(str(out), safe_serialization=True)


if __name__ == "__main__":
    root = Path(sys.argv[1])
    tokenizer_dir = root / "tokenizers" / "openai_clip-vit-large-patch14"
    build_tokenizer(tokenizer_dir)
    build_model(root / "model", tokenizer_dir)
    (root / "READY").write_text("ok\n")
    print(f"built {root}")
