"""`orchestrator eval RUN`: plan the grid, have the run's trainer draw it, embed, score, sheet.

Writes into `<run>/eval/`: `images/…` (every picture), `contact_sheet.png`,
`scorecard.json` and `embeddings.npz` (so a scorecard can be recomputed without
drawing again). The supervisor never imports torch: drawing happens in the
trainer's environment, CLIP in a child process.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from orchestrator.eval import contact_sheet, embedding as emb
from orchestrator.eval.plan import EpochFile, EvalPlan, ModelRole, weights_with_zero
from orchestrator.eval.prompts import build_prompts
from orchestrator.eval.scorecard import Cell, Scorer, group_means, score
from orchestrator.fsutil import write_atomic
from orchestrator.lora.reader import PICKLE_SUFFIXES
from orchestrator.problems import Problem, ProjectInvalid
from orchestrator.runs.index import RunInfo

SCORECARD = "scorecard.json"
SHEET = "contact_sheet.png"


@dataclass
class EvalResult:
    plan: EvalPlan
    scorecard: dict
    sheet: Path
    scorecard_path: Path


def saved_epochs(output_dir: Path) -> list[EpochFile]:
    """Each saved LoRA with its epoch (`ss_epoch`), one file per epoch, oldest first."""
    from orchestrator.lora.reader import read_header

    found: dict[int, Path] = {}
    for path in sorted(output_dir.glob("*.safetensors")):
        try:
            epoch = int((read_header(path).get("__metadata__") or {}).get("ss_epoch", ""))
        except (OSError, ValueError):
            continue
        if epoch not in found or "-" not in path.stem:  # the final file wins over a same-epoch copy
            found[epoch] = path
    return [EpochFile(e, found[e]) for e in sorted(found)]


def make_plan(run: RunInfo, project, *, weights: list[float] | None = None, seeds: list[int] | None = None,
              epochs: list[int] | None = None) -> EvalPlan:
    ev = project.eval
    files = saved_epochs(run.folder.output_dir)
    if epochs:
        files = [f for f in files if f.epoch in epochs]
    if not files:
        raise ProjectInvalid([Problem(str(run.folder.output_dir), "no saved LoRA with an epoch number to evaluate",
                                      "Finish a run first (`orchestrator run …`), or check `--epochs`",
                                      code="no-lora")])
    subjects = [(s.name, s.trigger, s.class_word or s.name) for s in project.subjects]
    models = [ModelRole("base", project.model.base)]
    if project.model.test_model and project.model.test_model != project.model.base:
        models.append(ModelRole("test", project.model.test_model))
    width, height = project.training.width_height
    return EvalPlan(
        root=run.folder.eval_dir, models=models, epochs=files, weights=weights_with_zero(weights or ev.weights),
        prompts=build_prompts(subjects, list(ev.prompts)), seeds=list(seeds or ev.seeds),
        width=project.samples.width or width, height=project.samples.height or height, steps=ev.steps,
        scale=ev.cfg_scale or project.samples.cfg_scale, negative=project.samples.negative_prompt,
        sampler=ev.sampler,
    )


def _draw(plan: EvalPlan, project, on_progress: Callable[[dict], None], allow_pickle: bool = False) -> None:
    if project.trainer.backend == "builtin":
        from orchestrator.backends.builtin import grid

        grid.render_grid(plan, on_progress)
        return
    from orchestrator.backends.sdscripts import generate
    from orchestrator.backends.sdscripts.models import ModelUnavailable, fetch

    checkpoints: dict[str, Path] = {}
    problems: list[Problem] = []
    hub: list[tuple[str, str, str]] = []
    for model in plan.models:  # every local problem first, before any download
        where = "model.base" if model.role == "base" else "model.test_model"
        path = Path(model.ref).expanduser()
        if model.ref.startswith("builtin:"):
            problems.append(Problem(where, f"{model.ref} is an embedded model; sd-scripts cannot load it",
                                    "Point it at a real checkpoint, or remove test_model", code="model-missing"))
        elif model.ref.startswith("hf://"):
            hub.append((model.role, model.ref, where))
        elif not path.exists():
            problems.append(Problem(where, f"not found: {path}", "Download it there or fix the path",
                                    code="model-missing"))
        elif path.suffix.lower() in PICKLE_SUFFIXES and not allow_pickle:
            problems.append(Problem(where, f"{path.name} is a pickle checkpoint, which can run code when loaded",
                                    "Convert it to .safetensors, or pass --allow-pickle if you trust it",
                                    code="pickle-refused"))
        else:
            checkpoints[model.role] = path
    if problems:
        raise ProjectInvalid(problems)
    for role, ref, where in hub:
        try:
            checkpoints[role] = fetch(ref, where)
        except ModelUnavailable as exc:
            raise ProjectInvalid([exc.problem]) from None
    precision = None if project.launch.cpu else project.training.mixed_precision
    tokenizers = (project.trainer.extra_args or {}).get("tokenizer_cache_dir")
    generate.render_grid(plan, checkpoints, project.model.family, precision, str(tokenizers) if tokenizers else None)


def _training_images(project) -> dict[str, list[Path]]:
    from orchestrator.dataset.scan import list_images

    return {s.name: list_images(Path(s.images)) for s in project.subjects if Path(s.images).is_dir()}


def evaluate(run: RunInfo, *, weights: list[float] | None = None, seeds: list[int] | None = None,
             epochs: list[int] | None = None, embedding: str | None = None, allow_pickle: bool = False,
             on_progress: Callable[[dict], None] = lambda e: None) -> EvalResult:
    from orchestrator.schema.loader import load_project

    project = load_project(run.folder.project_toml).project
    plan = make_plan(run, project, weights=weights, seeds=seeds, epochs=epochs)
    chosen = emb.choose(embedding or project.eval.embedding)
    started = time.monotonic()
    on_progress({"event": "plan", "images": plan.image_count(), "models": [m.ref for m in plan.models],
                 "epochs": [e.epoch for e in plan.epochs], "embedding": chosen.note})
    _draw(plan, project, on_progress, allow_pickle)

    cells = [Cell(role, epoch, weight, prompt.id, prompt.kind, prompt.subjects, seed)
             for role, epoch, weight, prompt, seed in plan.cells()]
    generated = [plan.image(c.role, c.epoch, c.weight, c.prompt_id, c.seed) for c in cells]
    training = _training_images(project)
    names = [n for n, paths in training.items() if paths]
    on_progress({"event": "embed", "images": len(generated) + sum(len(v) for v in training.values())})
    try:
        vectors = emb.embed(chosen, generated + [p for n in names for p in training[n]])
    except emb.EmbeddingUnavailable as exc:
        raise ProjectInvalid([Problem("eval.embedding", str(exc),
                                      "Set eval.embedding = \"pixel\" (or --embedding pixel) to score offline",
                                      code="embedding-unavailable")]) from None
    gen_vectors, rest = vectors[: len(generated)], vectors[len(generated):]
    centroids, offset = {}, 0
    for name in names:
        count = len(training[name])
        centroids[name] = rest[offset:offset + count].mean(axis=0)
        offset += count

    has_test = any(m.role == "test" for m in plan.models)
    card = score(cells, gen_vectors, centroids, plan.weights, [e.epoch for e in plan.epochs], has_test)
    card = {
        "run": run.name,
        "embedding": chosen.describe(),
        "models": {m.role: m.ref for m in plan.models},
        "lora_files": {str(e.epoch): str(e.path.name) for e in plan.epochs},
        "weights": plan.weights,
        "seeds": plan.seeds,
        "prompts": [{"id": p.id, "kind": p.kind, "text": p.text, "subjects": list(p.subjects)} for p in plan.prompts],
        "method": "fidelity = share of the way from the model's own pictures (weight 0) to the subject's training "
                  "images, along the line between their mean embeddings; see README 'Scorecard'",
        **card,
        "seconds": round(time.monotonic() - started, 1),
    }
    per_image = Scorer(cells, gen_vectors, centroids).per_image()
    cell_scores = {k: v for k, v in group_means(cells, per_image).items() if not np.isnan(v)}

    plan.root.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(plan.root / "embeddings.npz", generated=gen_vectors, training=rest,
                        cells=np.array([json.dumps(c.__dict__) for c in cells]))
    sheet = contact_sheet.write(plan, plan.root / SHEET, cell_scores,
                                title=f"{run.name} · recommended epoch {card.get('recommended_epoch')}")
    path = plan.root / SCORECARD
    write_atomic(path, json.dumps(card, indent=2) + "\n")
    return EvalResult(plan, card, sheet, path)

