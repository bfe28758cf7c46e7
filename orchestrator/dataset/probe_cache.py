"""Probe results kept between checks, keyed by path + size + modification time.

One JSON file per image folder under `$ORCHESTRATOR_CACHE/dataset-doctor/` (default
`~/.cache/orchestrator`). An entry is reused only when the file's size and mtime (in ns)
are unchanged, so a second check of an unchanged dataset stats the files and decodes
nothing. Editing, replacing or touching an image invalidates its entry; a cache that
cannot be read is ignored and rewritten.

The trigger lint's findings are kept too, keyed by a digest of everything they depend on
(triggers, settings, every caption's text, and the lint module itself).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from orchestrator.dataset.probe import ImageFacts
from orchestrator.problems import Problem
from orchestrator import paths
from orchestrator.fsutil import write_atomic

VERSION = 3  # bump when ImageFacts or the probe's meaning changes


def cache_root() -> Path:
    return paths.cache_root() / "dataset-doctor" / f"v{VERSION}"


class ProbeCache:
    """Cached facts of one folder's images; `get` checks freshness against a fresh stat."""

    def __init__(self, folder: Path, root: Path | None = None):
        self.folder = Path(folder).resolve()
        key = hashlib.sha1(str(self.folder).encode()).hexdigest()[:20]
        self.file = (root or cache_root()) / f"{key}.json"
        self.entries: dict[str, dict] = {}
        self.dirty = False
        try:
            data = json.loads(self.file.read_text(encoding="utf-8"))
            if data.get("folder") == str(self.folder):
                self.entries = data.get("entries", {})
        except (OSError, ValueError, AttributeError):
            self.entries = {}

    def get(self, path: Path, size: int, mtime_ns: int) -> ImageFacts | None:
        entry = self.entries.get(path.name)
        if not entry or entry.get("bytes") != size or entry.get("mtime_ns") != mtime_ns:
            return None
        try:
            return ImageFacts.from_json({**entry, "path": str(path)})
        except (TypeError, ValueError, KeyError):
            return None

    def put(self, facts: ImageFacts) -> None:
        self.entries[Path(facts.path).name] = facts.to_json()
        self.dirty = True

    def prune(self, names: set[str]) -> None:
        """Forget files no longer in the folder."""
        stale = set(self.entries) - names
        for name in stale:
            del self.entries[name]
        self.dirty = self.dirty or bool(stale)

    def save(self) -> None:
        if not self.dirty:
            return
        try:
            write_atomic(self.file, json.dumps({"folder": str(self.folder), "entries": self.entries}))
        except OSError:
            pass  # a read-only cache only costs speed
        self.dirty = False


class DigestCache:
    """A result stored under a digest of everything it depends on: any change of input misses."""

    def __init__(self, kind: str, material: Any, root: Path | None = None):
        payload = json.dumps(material, sort_keys=True, default=str)
        key = hashlib.sha256(payload.encode()).hexdigest()[:24]
        self.file = (root or cache_root()) / kind / f"{key}.json"

    def load(self) -> Any:
        try:
            return json.loads(self.file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def save(self, data: Any) -> None:
        try:
            write_atomic(self.file, json.dumps(data))
        except OSError:
            pass  # a read-only cache only costs speed


def lint_cache(subjects: list[Any], max_token_length: int) -> DigestCache:
    """Trigger-lint findings: keyed by subjects, captions, settings and the lint code itself."""
    from orchestrator.text import trigger_lint

    code = Path(trigger_lint.__file__).stat()
    return DigestCache("lint", [[asdict(s) for s in subjects], max_token_length, code.st_size, code.st_mtime_ns])


def problems_from_json(data: Any) -> list[Problem] | None:
    try:
        return [Problem(**p) for p in data] if isinstance(data, list) else None
    except TypeError:
        return None
