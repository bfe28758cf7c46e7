"""LoRA health check: findings that make a LoRA broken, weak or unreadable by the usual tools.

The classic "my LoRA does nothing": sd-scripts initialises every `lora_up` to zero, so a
part that never learned (learning rate 0 for it, no steps, a NaN that was zeroed, a
frozen text encoder) is saved with all-zero up weights and changes nothing at any weight.
Every finding is a Problem with the fix; `state` is the worst severity or "ok".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from orchestrator.lora.keys import foreign_kind, is_text_encoder
from orchestrator.lora.metadata import Summary, summarize
from orchestrator.lora.norms import ModuleStats, is_zero, module_stats
from orchestrator.lora.reader import LoraFile
from orchestrator.problems import Problem

NEAR_ZERO = 1e-6  # max |up| below this: far under fp16 resolution of any base weight, i.e. no visible effect
_SHOWN = 5  # names listed per finding


@dataclass
class HealthReport:
    file: str
    tensors: int
    modules: int
    problems: list[Problem] = field(default_factory=list)

    @property
    def state(self) -> str:
        severities = {p.severity for p in self.problems}
        return next((s for s in ("error", "warning") if s in severities), "ok")

    @property
    def ok(self) -> bool:
        return self.state != "error"

    def to_json(self) -> dict[str, Any]:
        return {"state": self.state, "file": self.file, "tensors": self.tensors, "modules": self.modules,
                "problems": [p.to_json() for p in self.problems]}  # fmt: skip


def _names(items: list[str]) -> str:
    shown = ", ".join(items[:_SHOWN])
    return shown + (f" and {len(items) - _SHOWN} more" if len(items) > _SHOWN else "")


def _lr_text(summary: Summary) -> str:
    parts = [f"{k}={v:g}" for k, v in (("unet_lr", summary.unet_lr), ("text_encoder_lr", summary.text_encoder_lr),
                                        ("learning_rate", summary.learning_rate)) if v is not None]  # fmt: skip
    if summary.steps is not None:
        parts.append(f"steps={summary.steps}")
    return f" (metadata: {', '.join(parts)})" if parts else ""


def _nonfinite(lora: LoraFile, where: str) -> list[Problem]:
    bad = [k for k, a in lora.tensors.items() if a.size and not np.isfinite(a.astype(np.float64, copy=False)).all()]
    if not bad:
        return []
    return [Problem(where, f"{len(bad)} tensors contain NaN or Inf: {_names(bad)}",
                    "The training diverged: lower the learning rate, use bf16 instead of fp16 (or no_half_vae on SDXL), "
                    "watch for avr_loss=nan, and use an earlier epoch's file", code="nan-weights")]  # fmt: skip


def _foreign(foreign: list[str], total: int, where: str) -> list[Problem]:
    if not foreign:
        return []
    kinds = sorted({foreign_kind(k) for k in foreign})
    if len(foreign) == total:
        return [Problem(where, f"no kohya LoRA keys (found {', '.join(kinds)} keys such as {_names(foreign[:2])})",
                        "A1111/Forge/ComfyUI expect kohya `lora_unet_…/lora_te_….lora_down.weight` keys; "
                        "convert the file or train it with sd-scripts' networks.lora", code="not-kohya")]  # fmt: skip
    return [Problem(where, f"{len(foreign)} keys are not kohya LoRA keys ({', '.join(kinds)}): {_names(foreign)}",
                    "They are ignored by this check; tools that only read kohya LoRA may ignore or reject them",
                    "warning", "foreign-keys")]  # fmt: skip


def _structure(modules: list[ModuleStats], summary: Summary, where: str) -> list[Problem]:
    out: list[Problem] = []
    incomplete = [m.name for m in modules if m.up_shape is None or m.down_shape is None]
    if incomplete:
        out.append(Problem(where, f"{len(incomplete)} modules lack lora_up or lora_down: {_names(incomplete)}",
                           "The file is truncated or was edited; use the trainer's original output", code="incomplete-module"))  # fmt: skip
    mismatch = [f"{m.name} (down {m.rank}, up {m.up_rank})" for m in modules
                if m.rank is not None and m.up_rank is not None and m.rank != m.up_rank]  # fmt: skip
    if mismatch:
        out.append(Problem(where, f"{len(mismatch)} modules have different down/up ranks: {_names(mismatch)}",
                           "Loaders fail on this file; re-save it with sd-scripts (networks/resize_lora.py)", code="rank-mismatch"))  # fmt: skip
    complete = [m for m in modules if m.up_shape is not None and m.down_shape is not None]
    zero_alpha = [m.name for m in complete if m.alpha == 0]
    if zero_alpha:
        out.append(Problem(where, f"alpha is 0 in {len(zero_alpha)} modules ({_names(zero_alpha)}): their scale alpha/dim is 0, so they do nothing",
                           "Train with network.alpha > 0 (e.g. dim/2)", code="alpha-zero"))  # fmt: skip
    no_alpha = [m.name for m in complete if m.alpha is None]
    if no_alpha:
        said = f"; the metadata says alpha={summary.network_alpha:g}" if summary.network_alpha is not None else ""
        out.append(Problem(where, f"{len(no_alpha)} modules have no .alpha tensor ({_names(no_alpha)}): loaders then use alpha = rank (scale 1){said}",
                           "Check the effect strength, or re-save the file with sd-scripts so alpha is stored", "warning", "alpha-missing"))  # fmt: skip
    ranks = {m.rank for m in complete}
    if summary.network_dim and ranks and summary.network_dim not in ranks and not summary.network_args.get("conv_dim"):
        out.append(Problem(where, f"ss_network_dim says {summary.network_dim} but the tensors have rank {', '.join(map(str, sorted(ranks)))}",
                           "The file was resized or edited without updating its metadata; tools showing dim may mislead", "info", "dim-metadata"))  # fmt: skip
    return out


def _zero(modules: list[ModuleStats], summary: Summary, where: str, threshold: float) -> list[Problem]:
    complete = [m for m in modules if m.up_shape is not None and m.down_shape is not None and m.finite]
    if not complete:
        return []
    dead = [m for m in complete if is_zero(m, threshold)]
    if not dead:
        return []
    exact = all(is_zero(m) for m in dead)
    how = "all zero" if exact else f"near zero (max |up| ≤ {threshold:g})"
    fix = ("lora_up starts at zero and only moves where training reaches: check that part's learning rate is > 0"
           f"{_lr_text(summary)}, that steps ran and the loss stayed finite, then retrain")  # fmt: skip
    if len(dead) == len(complete):
        return [Problem(where, f"this LoRA does nothing: the up weights of all {len(complete)} modules are {how}", fix, code="zero-lora")]
    by_block: dict[str, list[ModuleStats]] = {}
    for m in complete:
        by_block.setdefault(m.block, []).append(m)
    dead_names = {m.name for m in dead}
    dead_blocks = [b for b, ms in by_block.items() if all(m.name in dead_names for m in ms)]
    out = []
    if dead_blocks:
        te = [b for b in dead_blocks if is_text_encoder(b)]
        hint = " (the text-encoder part: was text_encoder_lr 0 or the text encoder frozen?)" if te else ""
        out.append(Problem(where, f"blocks {', '.join(dead_blocks)} learned nothing: their up weights are {how}{hint}",
                           fix, "warning", "zero-blocks"))  # fmt: skip
    scattered = [m for m in dead if m.block not in dead_blocks]
    if scattered:
        clip = " (clip_skip leaves the last text-encoder layers unused, so they stay zero)" if all(
            is_text_encoder(m.block) for m in scattered) else ""  # fmt: skip
        out.append(Problem(where, f"{len(scattered)} modules have {how} up weights: {_names([m.name for m in scattered])}{clip}",
                           "Harmless if those layers are unused; otherwise their learning rate was 0", "info", "zero-modules"))  # fmt: skip
    return out


def check(lora: LoraFile, *, threshold: float = NEAR_ZERO, summary: Summary | None = None) -> HealthReport:
    where = str(lora.path)
    summary = summary or summarize(lora.metadata)
    modules, foreign = module_stats(lora)
    report = HealthReport(where, len(lora.tensors), len(modules))
    if not lora.tensors:
        report.problems.append(Problem(where, "the file holds no tensors", "Use the trainer's output file", code="empty"))
        return report
    report.problems += _nonfinite(lora, where)
    report.problems += _foreign(foreign, len(lora.tensors), where)
    report.problems += _structure(modules, summary, where)
    report.problems += _zero(modules, summary, where, threshold)
    if summary.steps == 0:
        report.problems.append(Problem(where, "saved after 0 training steps (ss_steps=0)", "Use a file saved after training", "warning", "no-steps"))
    return report
