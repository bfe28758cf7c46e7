"""sha256 of files, with a cache keyed by path + size + mtime so a 4 GB base model is hashed once."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from orchestrator.fsutil import write_atomic
from orchestrator.paths import cache_root


_CHUNK = 1 << 20


cache_dir = cache_root


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class HashCache:
    """A JSON file of {abs path: [size, mtime_ns, sha256]}; a changed file is re-hashed."""

    def __init__(self, path: Path | None = None):
        self.path = path or cache_dir() / "sha256.json"
        try:
            self.entries: dict[str, list] = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.entries = {}
        self.dirty = False

    def sha256(self, path: Path) -> str:
        path = Path(path).resolve()
        st = path.stat()
        key = str(path)
        hit = self.entries.get(key)
        if hit and hit[0] == st.st_size and hit[1] == st.st_mtime_ns:
            return hit[2]
        value = sha256_file(path)
        self.entries[key] = [st.st_size, st.st_mtime_ns, value]
        self.dirty = True
        return value

    def save(self) -> None:
        if self.dirty:
            write_atomic(self.path, json.dumps(self.entries, indent=0, sort_keys=True))
            self.dirty = False


def sha256_tree(folder: Path, cache: HashCache) -> str:
    """One digest for a folder (a diffusers model): the sorted (relative path, file sha256) pairs."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        digest.update(f"{path.relative_to(folder)}\0{cache.sha256(path)}\n".encode())
    return digest.hexdigest()


def sha256_json(value: object) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
