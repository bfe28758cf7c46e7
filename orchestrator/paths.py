"""Where orchestrator keeps per-user state: one cache root for models, hashes and probes."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "ORCHESTRATOR_CACHE"


def cache_root() -> Path:
    """`$ORCHESTRATOR_CACHE`, else `~/.cache/orchestrator` (tests point it at a temp dir)."""
    root = os.environ.get(CACHE_ENV)
    return Path(root) if root else Path.home() / ".cache" / "orchestrator"
