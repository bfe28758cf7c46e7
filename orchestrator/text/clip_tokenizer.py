"""Offline CLIP BPE tokenizer: no torch, no download.

The vocabulary comes from a pip package (`instant-clip-tokenizer` carries CLIP's
49,408-entry BPE vocabulary), never from a hub at run time. SD 1.x/2.x and the
embedded tiny model all use this vocabulary, so the trigger lint sees exactly the
tokens the text encoder will see.

Where that package has no wheel (CPython >= 3.13), the same BPE runs on the
`tokenizers` library over a CLIP `vocab.json` + `merges.txt` that is already in the
user's Hugging Face cache (sd-scripts itself caches `openai/clip-vit-large-patch14`);
nothing is ever downloaded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

START_OF_TEXT = 49406
END_OF_TEXT = 49407
VOCAB_SIZE = 49408
CONTEXT_LENGTH = 77  # one chunk: 75 tokens + start + end

WORD_END = "</w>"
# CLIP's own pre-tokenizer pattern (contractions, letter runs, single digits, other symbols).
_CLIP_SPLIT = r"""'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""

# Where a CLIP tokenizer sits in the Hugging Face cache, most likely first: sd-scripts'
# SD1.x tokenizer, then the SD2.x/SDXL repos whose tokenizer/ folder holds the same BPE.
CACHED_TOKENIZER_FILES: tuple[tuple[str, str], ...] = (
    ("openai/clip-vit-large-patch14", ""),
    ("openai/clip-vit-base-patch32", ""),
    ("stabilityai/stable-diffusion-2", "tokenizer/"),
    ("stabilityai/stable-diffusion-2-1", "tokenizer/"),
    ("stable-diffusion-v1-5/stable-diffusion-v1-5", "tokenizer/"),
    ("runwayml/stable-diffusion-v1-5", "tokenizer/"),
    ("stabilityai/stable-diffusion-xl-base-1.0", "tokenizer/"),
)

_INSTALL_HINT = (
    "install 'instant-clip-tokenizer' (pip install instant-clip-tokenizer; wheels for CPython "
    "3.10-3.12), or install 'tokenizers' and put a CLIP tokenizer in the Hugging Face cache "
    "(huggingface-cli download openai/clip-vit-large-patch14 vocab.json merges.txt)"
)


class TokenizerUnavailable(RuntimeError):
    """No offline CLIP vocabulary could be found on this machine."""


@dataclass(frozen=True)
class Token:
    id: int
    piece: str  # BPE piece; a trailing "</w>" marks the end of a word

    @property
    def is_word_end(self) -> bool:
        return self.piece.endswith(WORD_END)


class BaseClipTokenizer:
    """What every backend offers; subclasses provide `encode` and `piece`."""

    backend = "none"
    start_id = START_OF_TEXT
    end_id = END_OF_TEXT

    def encode(self, text: str) -> list[int]:  # pragma: no cover - abstract
        raise NotImplementedError

    def piece(self, token_id: int) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def tokens(self, text: str) -> list[Token]:
        return [Token(i, self.piece(i)) for i in self.encode(text)]

    def batch(
        self, texts: list[str], context_length: int = CONTEXT_LENGTH, pad_id: int | None = None
    ) -> list[list[int]]:
        """start + ids + end, truncated and padded to `context_length`.

        SD 1.x's tokenizer pads with <|endoftext|> (the default; SDXL's second one with 0): `pad_id`.
        """
        pad = self.end_id if pad_id is None else pad_id
        rows = []
        for text in texts:
            ids = self.encode(text)[: context_length - 2]
            row = [self.start_id, *ids, self.end_id]
            rows.append(row + [pad] * (context_length - len(row)))
        return rows


class ClipTokenizer(BaseClipTokenizer):
    """CLIP's BPE over the vocabulary shipped by `instant-clip-tokenizer`."""

    def __init__(self) -> None:
        try:
            import instant_clip_tokenizer
        except ImportError as exc:
            raise TokenizerUnavailable(
                f"the 'instant-clip-tokenizer' package is not installed; {_INSTALL_HINT}"
            ) from exc
        self._tok = instant_clip_tokenizer.Tokenizer()
        self.backend = "instant-clip-tokenizer"

    def encode(self, text: str) -> list[int]:
        """Token ids without the start/end markers."""
        return list(self._tok.encode(text))

    def piece(self, token_id: int) -> str:
        text = self._tok.decode([token_id])
        return text[:-1] + WORD_END if text.endswith(" ") else text


@lru_cache(maxsize=1)
def _byte_decoder() -> dict[str, int]:
    """Inverse of GPT-2/CLIP's bytes_to_unicode: vocabulary characters back to bytes."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    chars = list(printable)
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            chars.append(256 + extra)
            extra += 1
    return {chr(c): b for b, c in zip(printable, chars, strict=True)}


class FileClipTokenizer(BaseClipTokenizer):
    """CLIP's BPE run by the `tokenizers` library over a `vocab.json` + `merges.txt`.

    Mirrors the pipeline of transformers' CLIPTokenizerFast: NFC, whitespace squeezed,
    lower case, CLIP's split pattern, byte-level alphabet, pieces ending in "</w>".
    """

    def __init__(self, vocab: str | Path, merges: str | Path) -> None:
        try:
            from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers
        except ImportError as exc:
            raise TokenizerUnavailable(f"the 'tokenizers' package is not installed; {_INSTALL_HINT}") from exc
        self.vocab_path, self.merges_path = Path(vocab), Path(merges)
        try:
            vocab_map = json.loads(self.vocab_path.read_text(encoding="utf-8"))
            bpe = models.BPE.from_file(
                str(self.vocab_path), str(self.merges_path),
                end_of_word_suffix=WORD_END, unk_token="<|endoftext|>", fuse_unk=False,
            )
        except Exception as exc:  # tokenizers raises a bare Exception for a broken vocabulary
            raise TokenizerUnavailable(
                f"cannot read the CLIP tokenizer in {self.vocab_path.parent} ({exc}); {_INSTALL_HINT}"
            ) from exc
        tok = Tokenizer(bpe)
        tok.normalizer = normalizers.Sequence(
            [normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "), normalizers.Lowercase()]
        )
        tok.pre_tokenizer = pre_tokenizers.Sequence(
            [
                pre_tokenizers.Split(Regex(_CLIP_SPLIT), behavior="removed", invert=True),
                pre_tokenizers.ByteLevel(add_prefix_space=False),
            ]
        )
        self._tok = tok
        # A vocabulary other than CLIP's full one (tests, forks) keeps its own marker ids.
        self.start_id = vocab_map.get("<|startoftext|>", START_OF_TEXT)
        self.end_id = vocab_map.get("<|endoftext|>", END_OF_TEXT)
        self.backend = f"tokenizers ({self.vocab_path.parent})"

    def encode(self, text: str) -> list[int]:
        return list(self._tok.encode(text, add_special_tokens=False).ids)

    def piece(self, token_id: int) -> str:
        raw = self._tok.id_to_token(token_id) or ""
        word_end = raw.endswith(WORD_END)
        body = raw[: -len(WORD_END)] if word_end else raw
        decoder = _byte_decoder()
        if all(ch in decoder for ch in body):  # byte-level alphabet back to readable text
            body = bytes(decoder[ch] for ch in body).decode("utf-8", errors="replace")
        return body + WORD_END if word_end else body


def find_cached_clip_files(cache_dir: str | Path | None = None) -> tuple[Path, Path] | None:
    """vocab.json + merges.txt of a CLIP tokenizer already in the HF cache; never downloads."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    for repo_id, folder in CACHED_TOKENIZER_FILES:
        found = [
            try_to_load_from_cache(repo_id, folder + name, cache_dir=cache_dir) for name in ("vocab.json", "merges.txt")
        ]
        if all(isinstance(path, str) for path in found):
            return Path(found[0]), Path(found[1])
    return None


@lru_cache(maxsize=4)
def load_clip_tokenizer(cache_dir: str | Path | None = None) -> BaseClipTokenizer:
    """The best offline CLIP tokenizer here, or `TokenizerUnavailable` saying what to install.

    `cache_dir` overrides the Hugging Face hub cache searched by the fallback.
    """
    try:
        return ClipTokenizer()
    except TokenizerUnavailable:
        pass
    files = find_cached_clip_files(cache_dir)
    if files is None:
        raise TokenizerUnavailable(f"no offline CLIP tokenizer on this machine; {_INSTALL_HINT}")
    return FileClipTokenizer(*files)
