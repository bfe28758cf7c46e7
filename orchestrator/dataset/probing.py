"""Probe many images: cached ones from the cache, the rest on every core.

Decoding is C code, but the per-file Python around it (open, format plugins, EXIF, the
DCT of the hash) holds the GIL, so threads only reach ~1.3× on two cores; worker processes
reach ~1.9×. Processes cost a fork and their results a pickle, so small batches stay in
this process.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from orchestrator.dataset.probe import ImageFacts, cpu_workers, probe_worker
from orchestrator.dataset.probe_cache import ProbeCache

PARALLEL_FROM = 24  # fewer images to decode than this: not worth starting workers

Progress = Callable[[int, int], None]  # (done, total)


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def _probe_all(paths: list[str], workers: int, progress: Progress | None) -> Iterable[dict]:
    total = len(paths)
    if workers <= 1 or total < PARALLEL_FROM:
        for i, path in enumerate(paths, 1):
            yield probe_worker(path)
            if progress:
                progress(i, total)
        return
    chunk = max(1, min(32, total // (workers * 8)))
    # fork is cheap and keeps imports; elsewhere (macOS, Windows) the default start method is used.
    ctx = None
    if os.name == "posix" and "fork" in _start_methods():
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        for i, facts in enumerate(pool.map(probe_worker, paths, chunksize=chunk), 1):
            yield facts
            if progress:
                progress(i, total)


def _start_methods() -> list[str]:
    import multiprocessing

    return multiprocessing.get_all_start_methods()


def probe_images(
    images: list[Path],
    *,
    use_cache: bool = True,
    workers: int | None = None,
    progress: Progress | None = None,
    cache_root: Path | None = None,
) -> tuple[dict[Path, ImageFacts], int]:
    """Facts for every image, and how many came from the cache."""
    caches: dict[Path, ProbeCache] = {}
    found: dict[Path, ImageFacts] = {}
    todo: list[Path] = []
    for path in images:
        cache = caches.get(path.parent)
        if cache is None:
            cache = caches[path.parent] = ProbeCache(path.parent, cache_root)
        stat = _stat(path)
        hit = cache.get(path, *stat) if (use_cache and stat) else None
        if hit is not None:
            found[path] = hit
        else:
            todo.append(path)
    by_name = {str(p): p for p in todo}
    for data in _probe_all(list(by_name), workers or cpu_workers(), progress):
        facts = ImageFacts.from_json(data)
        path = by_name[facts.path]
        found[path] = facts
        if facts.sha256:  # a file that vanished mid-check is not remembered
            caches[path.parent].put(facts)
    for folder, cache in caches.items():
        cache.prune({p.name for p in images if p.parent == folder})
        cache.save()
    return found, len(images) - len(todo)
