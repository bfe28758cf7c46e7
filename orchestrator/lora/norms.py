"""Per-module and per-block weight statistics of a kohya LoRA.

The update a module adds to its layer is ΔW = (alpha / rank) · up @ down. Its Frobenius
norm is computed from the two r×r Gram matrices (‖UD‖² = Σ (UᵀU)∘(DDᵀ)), so a rank-128
SDXL LoRA costs milliseconds and never builds the full out×in matrix.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from orchestrator.lora.keys import block_of, block_order, split
from orchestrator.lora.reader import LoraFile


@dataclass
class ModuleStats:
    name: str
    block: str
    down_shape: tuple[int, ...] | None = None
    up_shape: tuple[int, ...] | None = None
    alpha: float | None = None
    up_max: float = 0.0  # max |up|; 0 means the module adds nothing
    up_mean: float = 0.0
    down_max: float = 0.0
    delta_norm: float | None = None  # ‖ΔW‖_F with the alpha/rank scale; None if ranks disagree
    finite: bool = True

    @property
    def rank(self) -> int | None:
        return self.down_shape[0] if self.down_shape else None

    @property
    def up_rank(self) -> int | None:
        return self.up_shape[1] if self.up_shape and len(self.up_shape) > 1 else None

    @property
    def scale(self) -> float | None:
        """alpha/rank; loaders treat a missing alpha as alpha = rank (scale 1)."""
        if not self.rank:
            return None
        return (self.alpha if self.alpha is not None else self.rank) / self.rank


@dataclass
class BlockStats:
    block: str
    modules: int
    ranks: list[int]
    delta_norm: float  # root of the summed squares of its modules' ‖ΔW‖
    up_mean: float
    up_max: float
    zero_modules: int  # modules whose up (or down) weights are all zero
    scales: list[float] = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)


def _abs_stats(array: np.ndarray) -> tuple[float, float, bool]:
    if array.size == 0:
        return 0.0, 0.0, True
    values = np.abs(array.astype(np.float64, copy=False))
    finite = bool(np.isfinite(values).all())
    if not finite:
        values = np.where(np.isfinite(values), values, 0.0)
    return float(values.max()), float(values.mean()), finite


def _delta_norm(up: np.ndarray, down: np.ndarray, scale: float) -> float | None:
    u = up.reshape(up.shape[0], -1).astype(np.float64)  # [out, r] (conv: [out, r, 1, 1])
    d = down.reshape(down.shape[0], -1).astype(np.float64)  # [r, in·kh·kw]
    if u.shape[1] != d.shape[0]:
        return None
    squared = float(np.sum((u.T @ u) * (d @ d.T)))
    if not math.isfinite(squared):
        return None
    return abs(scale) * math.sqrt(max(squared, 0.0))


def module_stats(lora: LoraFile) -> tuple[list[ModuleStats], list[str]]:
    """Stats per kohya module, and the keys that are not kohya LoRA keys."""
    modules: dict[str, ModuleStats] = {}
    parts: dict[str, dict[str, np.ndarray]] = {}
    foreign = []
    for key, array in lora.tensors.items():
        k = split(key)
        if not k.role:
            foreign.append(key)
            continue
        parts.setdefault(k.module, {})[k.role] = array
    for name, roles in parts.items():
        stats = ModuleStats(name, block_of(name))
        down, up, alpha = roles.get("lora_down.weight"), roles.get("lora_up.weight"), roles.get("alpha")
        finite = True
        if down is not None:
            stats.down_shape = tuple(down.shape)
            stats.down_max, _, ok = _abs_stats(down)
            finite &= ok
        if up is not None:
            stats.up_shape = tuple(up.shape)
            stats.up_max, stats.up_mean, ok = _abs_stats(up)
            finite &= ok
        if alpha is not None and alpha.size:
            stats.alpha = float(alpha.reshape(-1)[0])
            finite &= math.isfinite(stats.alpha)
        stats.finite = finite
        if finite and up is not None and down is not None and stats.scale is not None:
            stats.delta_norm = _delta_norm(up, down, stats.scale)
        modules[name] = stats
    ordered = sorted(modules.values(), key=lambda m: (block_order(m.block), m.name))
    return ordered, sorted(foreign)


def block_stats(modules: list[ModuleStats]) -> list[BlockStats]:
    groups: dict[str, list[ModuleStats]] = {}
    for m in modules:
        groups.setdefault(m.block, []).append(m)
    out = []
    for block in sorted(groups, key=block_order):
        members = groups[block]
        norms = [m.delta_norm for m in members if m.delta_norm is not None]
        out.append(
            BlockStats(
                block=block,
                modules=len(members),
                ranks=sorted({m.rank for m in members if m.rank is not None}),
                delta_norm=math.sqrt(sum(n * n for n in norms)),
                up_mean=sum(m.up_mean for m in members) / len(members),
                up_max=max(m.up_max for m in members),
                zero_modules=sum(1 for m in members if is_zero(m)),
                scales=sorted({round(m.scale, 6) for m in members if m.scale is not None}),
            )
        )
    return out


def is_zero(module: ModuleStats, threshold: float = 0.0) -> bool:
    """The module adds (next to) nothing: its up (or down) weights are all within `threshold` of 0."""
    has_weights = module.up_shape is not None and module.down_shape is not None
    return has_weights and module.finite and (module.up_max <= threshold or module.down_max <= threshold)
