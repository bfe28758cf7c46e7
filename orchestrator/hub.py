"""Is the Hugging Face Hub usable right now? Decided before a download starts.

`huggingface_hub` retries a failed connection five times with back-off (about 25 s) before it
gives up, and only then falls back to the cache. Offline (no DNS for the Hub's host) that is
25 s of silence before the clear message; a name lookup answers at once. HF_HUB_OFFLINE=1
always wins, as the Hub's own setting does.
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

_TRUE = ("1", "true", "yes", "on")


def offline_env() -> bool:
    """HF_HUB_OFFLINE is set: the user said never to reach the Hub."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in _TRUE


def hub_host() -> str:
    """The Hub's host name (HF_ENDPOINT for a mirror, else huggingface.co)."""
    endpoint = os.environ.get("HF_ENDPOINT", "").strip() or "https://huggingface.co"
    return urlparse(endpoint).hostname or "huggingface.co"


def hub_unreachable() -> bool:
    """True when the Hub's host name does not resolve: no network, so only the cache can serve."""
    try:
        socket.getaddrinfo(hub_host(), 443, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return True
    except OSError:
        return False  # something else: let the download try and report what it finds
    return False


def cache_only() -> tuple[bool, str]:
    """(use the cache only, why) for the next download."""
    if offline_env():
        return True, "HF_HUB_OFFLINE is set"
    if hub_unreachable():
        return True, f"{hub_host()} cannot be reached (no network?)"
    return False, ""
