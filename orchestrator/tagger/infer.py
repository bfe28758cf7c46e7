"""Batched inference with decoding ahead of the network.

A thread pool decodes and preprocesses the next images while onnxruntime runs the current
batch (Pillow and onnxruntime both release the GIL). Results come back in input order; a
file that cannot be decoded yields a `Prediction` with an error instead of stopping the run.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from orchestrator.tagger.model import Tagger
from orchestrator.tagger.session import usable_cores

DEFAULT_BATCH = 8  # enough to amortise a CPU run; a fixed batch in the graph wins


@dataclass(frozen=True)
class Prediction:
    path: Path
    scores: np.ndarray | None  # one score per label; None when the image could not be read
    error: str | None = None


def _describe(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]


def predict(
    tagger: Tagger,
    paths: Iterable[Path],
    *,
    batch_size: int | None = None,
    workers: int | None = None,
    on_done: Callable[[int], None] | None = None,
) -> Iterator[Prediction]:
    """One `Prediction` per path, in order; `on_done(n)` after each batch for a progress bar."""
    batch_size = tagger.input.batch or batch_size or DEFAULT_BATCH
    workers = workers or usable_cores()
    ahead = 2 * batch_size + workers  # one batch decoding while one runs, plus a little slack
    source = iter(paths)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tagger-decode") as pool:
        pending: deque[tuple[Path, Future[np.ndarray]]] = deque()

        def refill() -> None:
            while len(pending) < ahead:
                path = next(source, None)
                if path is None:
                    return
                pending.append((path, pool.submit(tagger.prepare, path)))

        refill()
        while pending:
            batch = [pending.popleft() for _ in range(min(batch_size, len(pending)))]
            refill()  # keep the workers busy while this batch waits for its images and runs
            yield from _run_batch(tagger, batch)
            if on_done:
                on_done(len(batch))


def _run_batch(tagger: Tagger, batch: list[tuple[Path, Future[np.ndarray]]]) -> list[Prediction]:
    ready: list[tuple[int, np.ndarray]] = []
    results: list[Prediction | None] = [None] * len(batch)
    for i, (path, future) in enumerate(batch):
        try:
            ready.append((i, future.result()))
        except Exception as exc:  # noqa: BLE001 - any unreadable file is reported, never fatal
            results[i] = Prediction(path, None, _describe(exc))
    if ready:
        scores = tagger.run(np.stack([array for _, array in ready]))
        for (i, _), row in zip(ready, scores):
            results[i] = Prediction(batch[i][0], row)
    return [r for r in results if r is not None]
