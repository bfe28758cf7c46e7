"""Offline CLIP BPE tokenizer: no torch, no download.

The vocabulary comes from a pip package (`instant-clip-tokenizer` carries CLIP's
49,408-entry BPE vocabulary), never from a hub at run time. SD 1.x/2.x and the
embedded tiny model all use this vocabulary, so the trigger lint sees exactly the
tokens the text encoder will see.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

START_OF_TEXT = 49406
END_OF_TEXT = 49407
VOCAB_SIZE = 49408
CONTEXT_LENGTH = 77  # one chunk: 75 tokens + start + end


class TokenizerUnavailable(RuntimeError):
    """No offline CLIP vocabulary could be found on this machine."""


@dataclass(frozen=True)
class Token:
    id: int
    piece: str  # BPE piece; a trailing "</w>" marks the end of a word

    @property
    def is_word_end(self) -> bool:
        return self.piece.endswith("</w>")


class ClipTokenizer:
    """CLIP's BPE over the vocabulary shipped by `instant-clip-tokenizer`."""

    def __init__(self) -> None:
        try:
            import instant_clip_tokenizer
        except ImportError as exc:  # pragma: no cover - depends on the platform's wheels
            raise TokenizerUnavailable(
                "the offline CLIP tokenizer needs the 'instant-clip-tokenizer' package "
                "(pip install instant-clip-tokenizer); it has wheels for CPython 3.10-3.12"
            ) from exc
        self._tok = instant_clip_tokenizer.Tokenizer()
        self.backend = "instant-clip-tokenizer"

    def encode(self, text: str) -> list[int]:
        """Token ids without the start/end markers."""
        return list(self._tok.encode(text))

    def piece(self, token_id: int) -> str:
        text = self._tok.decode([token_id])
        return text[:-1] + "</w>" if text.endswith(" ") else text

    def tokens(self, text: str) -> list[Token]:
        return [Token(i, self.piece(i)) for i in self.encode(text)]

    def batch(
        self, texts: list[str], context_length: int = CONTEXT_LENGTH, pad_id: int = END_OF_TEXT
    ) -> list[list[int]]:
        """start + ids + end, truncated and padded to `context_length`.

        SD 1.x's tokenizer pads with <|endoftext|> (SDXL's second one with 0): `pad_id`.
        """
        rows = []
        for text in texts:
            ids = self.encode(text)[: context_length - 2]
            row = [START_OF_TEXT, *ids, END_OF_TEXT]
            rows.append(row + [pad_id] * (context_length - len(row)))
        return rows


@lru_cache(maxsize=1)
def load_clip_tokenizer() -> ClipTokenizer:
    return ClipTokenizer()
