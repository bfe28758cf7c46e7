"""The offline CLIP tokenizer: exact ids from the pip vocabulary, and the HF-cache fallback."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from orchestrator.text import clip_tokenizer as ct
from orchestrator.text.clip_tokenizer import (
    END_OF_TEXT,
    START_OF_TEXT,
    FileClipTokenizer,
    Token,
    TokenizerUnavailable,
    find_cached_clip_files,
    load_clip_tokenizer,
)


needs_instant = pytest.mark.skipif(
    importlib.util.find_spec("instant_clip_tokenizer") is None, reason="instant-clip-tokenizer has no wheel here"
)
needs_tokenizers = pytest.mark.skipif(importlib.util.find_spec("tokenizers") is None, reason="tokenizers not installed")


@pytest.fixture(autouse=True)
def _fresh_loader():
    load_clip_tokenizer.cache_clear()
    yield
    load_clip_tokenizer.cache_clear()


@pytest.fixture
def no_instant(monkeypatch):
    """As on CPython >= 3.13, where instant-clip-tokenizer has no wheel."""
    monkeypatch.setitem(sys.modules, "instant_clip_tokenizer", None)


# ---------------------------------------------------------------- the pip vocabulary


@needs_instant
def test_reference_triggers_have_the_expected_pieces():
    tok = load_clip_tokenizer()
    assert tok.backend == "instant-clip-tokenizer"
    assert tok.encode("hxh") == [71, 45771]
    assert tok.tokens("hxh") == [Token(71, "h"), Token(45771, "xh</w>")]
    assert [t.piece for t in tok.tokens("uscaption")] == ["usc", "ap", "tion</w>"]
    assert tok.tokens("captain") == [Token(4621, "captain</w>")]
    assert tok.tokens("HXH")[-1].is_word_end


@needs_instant
def test_batch_wraps_and_pads_to_the_context():
    tok = load_clip_tokenizer()
    row = tok.batch(["hxh"])[0]
    assert row[:4] == [START_OF_TEXT, 71, 45771, END_OF_TEXT]
    assert len(row) == ct.CONTEXT_LENGTH and set(row[4:]) == {END_OF_TEXT}
    assert tok.batch(["hxh"], pad_id=0)[0][4:] == [0] * 73
    long = tok.batch(["hxh " * 100])[0]
    assert len(long) == 77 and long[-1] == END_OF_TEXT


# ---------------------------------------------------------------- the fallback

# A tiny CLIP-style BPE: single characters, characters at a word end, then merges in rank order.
_CHARS = "achinoprstux,"
_MERGES = [("x", "h</w>"), ("c", "a"), ("ca", "p"), ("t", "i"), ("ti", "o"), ("tio", "n</w>"), ("u", "s")]


def _write_tokenizer(folder: Path) -> tuple[Path, Path]:
    vocab: dict[str, int] = {}
    for piece in [*_CHARS, *(c + "</w>" for c in _CHARS), *("".join(m) for m in _MERGES)]:
        vocab.setdefault(piece, len(vocab))
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(" ".join(m) for m in _MERGES) + "\n")
    return folder / "vocab.json", folder / "merges.txt"


def _hf_cache(root: Path, repo_id: str = "openai/clip-vit-large-patch14", sub: str = "") -> Path:
    """The hub cache layout: models--org--name/refs/main -> snapshots/<commit>/<files>."""
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = root / ("models--" + repo_id.replace("/", "--"))
    _write_tokenizer(repo / "snapshots" / commit / sub)
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    return root


def _vocab(path: Path) -> dict[str, int]:
    return json.loads(path.read_text())


@needs_tokenizers
def test_fallback_tokenizes_with_tokenizers(tmp_path):
    vocab_path, merges = _write_tokenizer(tmp_path)
    vocab = _vocab(vocab_path)
    tok = FileClipTokenizer(vocab_path, merges)
    assert tok.tokens("hxh") == [Token(vocab["h"], "h"), Token(vocab["xh</w>"], "xh</w>")]
    # lower-cased, whitespace squeezed, punctuation split off, BPE merges applied in rank order
    assert [t.piece for t in tok.tokens("  USCAPTION,\n hxh")] == ["us", "cap", "tion</w>", ",</w>", "h", "xh</w>"]
    row = tok.batch(["hxh"], context_length=6)[0]
    assert row == [vocab["<|startoftext|>"], vocab["h"], vocab["xh</w>"], *[vocab["<|endoftext|>"]] * 3]
    assert tok.start_id == vocab["<|startoftext|>"] and tok.end_id == vocab["<|endoftext|>"]


@needs_tokenizers
def test_loader_falls_back_to_the_hf_cache(tmp_path, no_instant):
    cache = _hf_cache(tmp_path)
    vocab_path, merges = find_cached_clip_files(cache)
    assert vocab_path.name == "vocab.json" and merges.name == "merges.txt"
    tok = load_clip_tokenizer(cache)
    assert isinstance(tok, FileClipTokenizer) and tok.backend.startswith("tokenizers")
    assert [t.piece for t in tok.tokens("hxh")] == ["h", "xh</w>"]


@needs_tokenizers
def test_loader_finds_a_diffusers_tokenizer_folder(tmp_path, no_instant):
    cache = _hf_cache(tmp_path, "stabilityai/stable-diffusion-2", sub="tokenizer")
    tok = load_clip_tokenizer(cache)
    assert Path(tok.vocab_path).parent.name == "tokenizer"


def test_nothing_available_says_what_to_install(tmp_path, no_instant):
    assert find_cached_clip_files(tmp_path) is None
    with pytest.raises(TokenizerUnavailable) as info:
        load_clip_tokenizer(tmp_path)
    assert "instant-clip-tokenizer" in str(info.value) and "tokenizers" in str(info.value)


def test_missing_tokenizers_package_is_reported(tmp_path, monkeypatch):
    vocab, merges = _write_tokenizer(tmp_path)
    monkeypatch.setitem(sys.modules, "tokenizers", None)
    with pytest.raises(TokenizerUnavailable, match="'tokenizers' package is not installed"):
        FileClipTokenizer(vocab, merges)


@needs_tokenizers
def test_fallback_pieces_read_like_the_pip_backend(tmp_path):
    """Byte-level vocabulary characters come back as text (`é`, not `Ã©`)."""
    vocab = {"a": 0, "Ã": 1, "©</w>": 2, "Ã©</w>": 3, "a</w>": 4, "<|endoftext|>": 5}
    (tmp_path / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (tmp_path / "merges.txt").write_text("#version: 0.2\nÃ ©</w>\n", encoding="utf-8")
    tok = FileClipTokenizer(tmp_path / "vocab.json", tmp_path / "merges.txt")
    assert tok.tokens("é") == [Token(3, "é</w>")]


@needs_tokenizers
def test_unreadable_files_are_reported(tmp_path):
    (tmp_path / "vocab.json").write_text('{"a": 0}', encoding="utf-8")
    (tmp_path / "merges.txt").write_text("#version: 0.2\nb c\n", encoding="utf-8")
    with pytest.raises(TokenizerUnavailable, match="cannot read the CLIP tokenizer"):
        FileClipTokenizer(tmp_path / "vocab.json", tmp_path / "merges.txt")
