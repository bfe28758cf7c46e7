"""The scorecard: the reference case's three qualities, leakage and the best epoch, as numbers.

Pure functions over embeddings. Every image x is judged by *fidelity*: how far it
moved from what the model draws on its own towards the subject's training images,

    f(x) = (E(x) - mu_m) . (c_s - mu_m) / |c_s - mu_m|^2

E is the image embedding, c_s the mean embedding of the subject's training images and
mu_m the mean embedding of everything model m draws without the LoRA (weight 0). So
f is about 0 for the model's own pictures and 1 for a picture as close to the
training images as their own average. Every number below is a *gain*: a picture's f
minus the f of its weight-0 twin (same model, prompt and seed), so it measures what
the LoRA adds, and what the seed alone decides cancels out. Shares are clipped to
0..1. At the reference weight w (the grid's largest) and per epoch:

- fidelity: mean f of the `class` rows (trigger + class word), over subjects and seeds.
- ease of invocation: the lowest weight whose fidelity reaches 90 % of the best
  weight's, and the bare trigger's fidelity as a share of the class row's.
- generalisation: fidelity kept (as a share of the base model's class-row fidelity)
  on the test model, with other tags, and with every trigger together; their mean.
- leakage: the gain of a neutral prompt (no trigger, no class word) as a share of the
  triggered gain; 0 means the LoRA stays silent until it is called. Beside it, the
  class word alone (no trigger) as a share: how much the class word picks up.
- recommended epoch: the highest specific fidelity, fidelity x (1 - leakage);
  earlier epochs are called under-fitted and later ones over-fitted, with the numbers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

SATURATION = 0.9


@dataclass(frozen=True)
class Cell:
    role: str
    epoch: int | None  # None: weight 0, shared by every epoch
    weight: float
    prompt_id: str
    kind: str
    subjects: tuple[str, ...]
    seed: int


def progress(embeddings: np.ndarray, origin: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Share of the way from `origin` to `target`, measured along that line."""
    axis = target - origin
    length = float(axis @ axis)
    return ((embeddings - origin) @ axis) / (length if length > 0 else 1.0)


def _share(part: float | None, whole: float | None) -> float | None:
    """part / whole, clipped to 0..1 (a share of an effect); None when there is no effect to share."""
    if part is None or whole is None or whole <= 1e-6:
        return None
    return float(min(1.0, max(0.0, part / whole)))


def _mean(values: list[float]) -> float | None:
    return float(np.mean(values)) if values else None


def _r(v: float | None) -> float | None:
    return None if v is None else round(v, 4)


class Scorer:
    def __init__(self, cells: list[Cell], embeddings: np.ndarray, subject_centroids: dict[str, np.ndarray]):
        self.cells, self.embeddings, self.centroids = cells, embeddings, subject_centroids
        self.origins = {}
        for role in {c.role for c in cells}:
            rows = [i for i, c in enumerate(cells) if c.role == role and c.weight == 0]
            self.origins[role] = embeddings[rows].mean(axis=0) if rows else np.zeros(embeddings.shape[1])
        self._cache: dict[tuple, float | None] = {}
        # each picture's weight-0 twin: same model, prompt and seed
        self._zero = {(c.role, c.prompt_id, c.seed): i for i, c in enumerate(cells) if c.weight == 0}

    def per_image(self) -> np.ndarray:
        """Each picture's fidelity to its row's subjects (mean when a row names several; NaN for none)."""
        values = np.full(len(self.cells), np.nan)
        for i in range(len(self.cells)):
            raw = self._raw(i, None)
            if raw:
                values[i] = np.mean(raw)
        return values

    def _raw(self, i: int, subject: str | None) -> list[float]:
        cell = self.cells[i]
        return [float(progress(self.embeddings[i], self.origins[cell.role], self.centroids[name]))
                for name in cell.subjects if (subject is None or name == subject) and name in self.centroids]

    def fidelity(self, role: str, epoch: int | None, weight: float, kind: str, subject: str | None = None) -> float | None:
        """Mean gain in fidelity over the same prompt and seed at weight 0 (0 at weight 0; None without images).

        Pairing each picture with its own weight-0 twin cancels what the seed alone decides."""
        key = (role, epoch if weight else None, weight, kind, subject)
        if key in self._cache:
            return self._cache[key]
        values = []
        for i, cell in enumerate(self.cells):
            if cell.role != role or cell.kind != kind or cell.weight != weight:
                continue
            if weight and cell.epoch != epoch:
                continue
            twin = self._zero.get((role, cell.prompt_id, cell.seed))
            if twin is None:
                continue
            values += [a - b for a, b in zip(self._raw(i, subject), self._raw(twin, subject))]
        self._cache[key] = _mean(values)
        return self._cache[key]


def score(cells: list[Cell], embeddings: np.ndarray, subject_centroids: dict[str, np.ndarray],
          weights: list[float], epochs: list[int], has_test: bool) -> dict:
    scorer = Scorer(cells, embeddings, subject_centroids)
    ref = max(weights)
    subjects = list(subject_centroids)

    curve: dict[str, dict[str, float | None]] = {}
    per_epoch = {}
    for epoch in epochs:
        curve[str(epoch)] = {f"{w:g}": _r(scorer.fidelity("base", epoch, w, "class")) for w in weights}
        fid = scorer.fidelity("base", epoch, ref, "class")
        bare = scorer.fidelity("base", epoch, ref, "trigger")
        leak_abs = scorer.fidelity("base", epoch, ref, "neutral")
        leakage = _share(leak_abs, fid)
        class_alone = scorer.fidelity("base", epoch, ref, "untriggered")
        kept = {
            "test_model": _share(scorer.fidelity("test", epoch, ref, "class"), fid) if has_test else None,
            "other_tags": _share(scorer.fidelity("base", epoch, ref, "tags"), fid),
            "together": _share(scorer.fidelity("base", epoch, ref, "together"), fid) if len(subjects) > 1 else None,
        }
        present = [v for v in kept.values() if v is not None]
        lora_weights = [w for w in weights if w]
        by_weight = {w: scorer.fidelity("base", epoch, w, "class") for w in lora_weights}
        best = max((v for v in by_weight.values() if v is not None), default=None)
        saturation = next((w for w in lora_weights if best is not None and by_weight[w] is not None
                           and best > 0 and by_weight[w] >= SATURATION * best), None)
        per_epoch[epoch] = {
            "fidelity": _r(fid),
            "fidelity_by_subject": {s: _r(scorer.fidelity("base", epoch, ref, "class", s)) for s in subjects},
            "ease_of_invocation": {"saturation_weight": saturation, "bare_trigger_share": _r(_share(bare, fid))},
            "generalisation": {"score": _r(_mean(present)), **{k: _r(v) for k, v in kept.items()}},
            "leakage": {"share": _r(leakage), "neutral_gain": _r(leak_abs),
                        "class_word_share": _r(_share(class_alone, fid)), "class_word_gain": _r(class_alone)},
            "specific_fidelity": _r(None if fid is None else fid * (1 - min(1.0, leakage or 0.0))),
        }

    recommended, reason = recommend(per_epoch)
    chosen = per_epoch.get(recommended, {}) if recommended is not None else {}
    return {
        "reference_weight": ref,
        "fidelity_by_weight": curve,
        "epochs": {str(e): v for e, v in per_epoch.items()},
        "recommended_epoch": recommended,
        "reason": reason,
        "summary": {
            "fidelity": chosen.get("fidelity"),
            "ease_of_invocation": chosen.get("ease_of_invocation"),
            "generalisation": (chosen.get("generalisation") or {}).get("score"),
            "leakage": (chosen.get("leakage") or {}).get("share"),
        },
    }


def recommend(per_epoch: dict[int, dict]) -> tuple[int | None, str]:
    """The epoch with the best specific fidelity, and why the others lose to it."""
    scored = {e: v["specific_fidelity"] for e, v in per_epoch.items() if v["specific_fidelity"] is not None}
    if not scored:
        return None, "no saved epoch could be scored"
    best = max(scored, key=lambda e: (scored[e], -e))
    parts = [f"epoch {best} has the best fidelity without leakage ({scored[best]:.3f})"]
    early = [e for e in scored if e < best]
    late = [e for e in scored if e > best]
    if early:
        worst = min(early, key=lambda e: scored[e])
        parts.append(f"earlier epochs under-fit (epoch {worst}: {scored[worst]:.3f})")
    if late:
        details = []
        for e in late:
            leak = per_epoch[e]["leakage"]["share"]
            gen = per_epoch[e]["generalisation"]["score"]
            details.append(f"epoch {e}: {scored[e]:.3f}" + (f", leakage {leak:.2f}" if leak is not None else "")
                           + (f", generalisation {gen:.2f}" if gen is not None else ""))
        parts.append("later epochs over-fit (" + "; ".join(details) + ")")
    elif early and len(scored) > 1:
        parts.append("still improving at the last epoch: more epochs may help")
    return best, "; ".join(parts)


def group_means(cells: list[Cell], values: np.ndarray) -> dict[tuple, float]:
    """Mean of a per-image value per (role, epoch, weight, prompt): one number per grid cell."""
    sums: dict[tuple, list[float]] = defaultdict(list)
    for cell, value in zip(cells, values):
        sums[(cell.role, cell.epoch, cell.weight, cell.prompt_id)].append(float(value))
    return {k: float(np.mean(v)) for k, v in sums.items()}
