"""Exact duplicates (same sha256) and near-duplicates (perceptual hashes within the threshold).

Across the whole dataset, not per folder: the same picture in two subjects ties the two
concepts together, and within one subject it simply trains twice as often.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from orchestrator.dataset.phash import COLOUR_TOLERANCE, NEAR_DUPLICATE_BITS, colour_distance, near_pairs
from orchestrator.dataset.probe import ImageFacts
from orchestrator.dataset.probe_cache import DigestCache
from orchestrator.problems import Problem


def _where(path: Path, first: Path) -> str:
    return first.name if first.parent == path.parent else str(first)


def exact_problems(facts: dict[Path, ImageFacts]) -> list[Problem]:
    groups: dict[str, list[Path]] = defaultdict(list)
    for path, f in facts.items():
        if f.sha256:
            groups[f.sha256].append(path)
    problems = []
    for paths in groups.values():
        paths.sort(key=str)
        for path in paths[1:]:
            problems.append(Problem(
                str(path), f"is byte-for-byte identical to {_where(path, paths[0])}: it trains twice as often as the rest",
                "Delete one copy", "warning", "duplicate",
            ))  # fmt: skip
    return problems


def _pairs(hashed: list[tuple[str, int]], max_bits: int, use_cache: bool) -> list[tuple[str, str, int]]:
    """All-pairs comparison, remembered for the same set of (path, hash): the second check skips it."""
    cache = DigestCache("near-pairs", [max_bits, [f"{p}\0{h:016x}" for p, h in hashed]]) if use_cache else None
    cached = cache.load() if cache else None
    if isinstance(cached, list):
        return [tuple(pair) for pair in cached]  # type: ignore[misc]
    pairs = near_pairs(hashed, max_bits)
    if cache:
        cache.save(pairs)
    return pairs


def near_problems(facts: dict[Path, ImageFacts], max_bits: int = NEAR_DUPLICATE_BITS, use_cache: bool = True) -> list[Problem]:
    """One finding per image that looks like an earlier one (in path order), naming the closest."""
    hashed = sorted(((str(p), f.phash) for p, f in facts.items() if f.phash is not None and not f.error), key=lambda x: x[0])
    sha = {str(p): f.sha256 for p, f in facts.items()}
    colour = {str(p): bytes.fromhex(f.colour) for p, f in facts.items()}
    closest: dict[str, tuple[int, str]] = {}
    for a, b, bits in _pairs(hashed, max_bits, use_cache):
        if sha[a] == sha[b]:
            continue  # exact duplicates are reported as such
        if colour_distance(colour[a], colour[b]) > COLOUR_TOLERANCE:
            continue  # same grey layout, different picture
        if b not in closest or bits < closest[b][0]:
            closest[b] = (bits, a)
    problems = []
    for b, (bits, a) in sorted(closest.items()):
        path, first = Path(b), Path(a)
        problems.append(Problem(
            b, f"looks like {_where(path, first)} (perceptual hashes differ in {bits} of 64 bits; "
            f"near-duplicate at ≤ {max_bits} with similar colours): near-copies over-train that picture",
            "Keep the better of the two, unless they differ in something the LoRA should learn (pose, expression)",
            "warning", "near-duplicate",
        ))  # fmt: skip
    return problems
