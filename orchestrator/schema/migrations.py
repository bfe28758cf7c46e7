"""Preset format versions. Append-only: each entry upgrades a raw preset by one version."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

CURRENT_VERSION = 1

# MIGRATIONS[n] turns a version-n preset (raw dict) into version n+1.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


class UnsupportedVersion(ValueError):
    pass


def migrate(data: dict[str, Any]) -> dict[str, Any]:
    version = data.get("schema_version", CURRENT_VERSION)
    if not isinstance(version, int) or version < 1:
        raise UnsupportedVersion(f"must be a positive integer (got {version!r})")
    if version > CURRENT_VERSION:
        raise UnsupportedVersion(
            f"preset is version {version} but this orchestrator reads up to {CURRENT_VERSION}. Upgrade orchestrator"
        )
    while version < CURRENT_VERSION:
        data = MIGRATIONS[version](data)
        version += 1
        data["schema_version"] = version
    return data
