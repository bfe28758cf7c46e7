"""Keep secrets off disk: tokens in env, args, config values and log lines become `***`.

Known secret variables (HF_TOKEN, WANDB_API_KEY, …) and any env name that looks like
a credential contribute their values; token-shaped strings (Hugging Face `hf_…`,
`key=value` pairs whose key says token/secret/password/api key) are masked wherever
they appear.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

MASK = "***"
# HF_TOKEN, huggingface_token, WANDB_API_KEY, AWS_SECRET_ACCESS_KEY …, but not max_token_length or keep_tokens
SECRET_NAME = re.compile(r"(?i)(token$|api[_-]?key|secret|passw(or)?d|access[_-]?key|private[_-]?key|credential)")
_PATTERNS = [
    re.compile(r"\bhf_[A-Za-z0-9]{20,}\b"),  # Hugging Face user access tokens
    re.compile(r"\b(?:sk|ghp|gho|github_pat|xox[abp])[-_][A-Za-z0-9_-]{20,}\b"),
]
_ASSIGN = re.compile(
    r"(?i)(\b[\w.-]*(?:token|secret|passw(?:or)?d|api[_-]?key|access[_-]?key)\b[\"']?\s*[=:]\s*[\"']?)([^\s\"',}]{4,})"
)
_MIN_SECRET = 6  # shorter values would mask ordinary words


def is_secret_name(name: str) -> bool:
    return bool(SECRET_NAME.search(name))


@dataclass
class Redactor:
    values: set[str] = field(default_factory=set)

    @classmethod
    def from_env(cls, env: Mapping[str, str], extra: Iterable[str] = ()) -> "Redactor":
        found = {v for k, v in env.items() if is_secret_name(k) and len(v) >= _MIN_SECRET}
        return cls(found | {v for v in extra if v and len(v) >= _MIN_SECRET})

    def add(self, value: str) -> None:
        if value and len(value) >= _MIN_SECRET:
            self.values.add(value)

    def text(self, text: str) -> str:
        for value in sorted(self.values, key=len, reverse=True):
            if value in text:
                text = text.replace(value, MASK)
        for pattern in _PATTERNS:
            text = pattern.sub(MASK, text)
        return _ASSIGN.sub(lambda m: m.group(1) + MASK, text)

    def argv(self, argv: list[str]) -> list[str]:
        out, hide_next = [], False
        for arg in argv:
            if hide_next:
                out.append(MASK)
                hide_next = False
                continue
            name = arg.lstrip("-").split("=", 1)[0]
            if arg.startswith("--") and is_secret_name(name):
                if "=" in arg:
                    out.append(arg.split("=", 1)[0] + "=" + MASK)
                else:
                    out.append(arg)
                    hide_next = True
                continue
            out.append(self.text(arg))
        return out

    def env(self, env: Mapping[str, str]) -> dict[str, str]:
        return {k: (MASK if is_secret_name(k) else self.text(v)) for k, v in env.items()}

    def data(self, value: Any, key: str = "") -> Any:
        """A JSON/TOML-like value with secret-named keys masked and secret strings replaced."""
        if isinstance(value, Mapping):
            return {k: self.data(v, str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.data(v, key) for v in value]
        if isinstance(value, str):
            return MASK if key and is_secret_name(key) else self.text(value)
        return value
