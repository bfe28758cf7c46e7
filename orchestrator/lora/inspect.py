"""`lora inspect`: one report of a LoRA file: metadata in words, per-block norms, health."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from orchestrator.lora.health import HealthReport, check
from orchestrator.lora.metadata import Summary, summarize
from orchestrator.lora.norms import BlockStats, block_stats, module_stats
from orchestrator.lora.reader import LoraFile


@dataclass
class Inspection:
    lora: LoraFile
    summary: Summary
    blocks: list[BlockStats]
    health: HealthReport
    dtypes: dict[str, int]  # stored dtype → tensor count

    @property
    def effective_scale(self) -> float | None:
        """alpha/dim: what the update is multiplied by (at LoRA weight 1.0)."""
        scales = sorted({s for b in self.blocks for s in b.scales})
        if len(scales) == 1:
            return scales[0]
        s = self.summary
        return s.network_alpha / s.network_dim if s.network_alpha is not None and s.network_dim else None

    def to_json(self, *, raw_metadata: bool = False) -> dict[str, Any]:
        data = {
            "file": str(self.lora.path),
            "format": self.lora.format,
            "size_bytes": self.lora.size,
            "tensors": len(self.lora.tensors),
            "modules": self.health.modules,
            "dtypes": self.dtypes,
            "effective_scale": self.effective_scale,
            "metadata": self.summary.to_json(),
            "blocks": [b.to_json() for b in self.blocks],
            "health": self.health.to_json(),
        }
        if raw_metadata:
            data["raw_metadata"] = dict(sorted(self.lora.metadata.items()))
        return data


def inspect(lora: LoraFile) -> Inspection:
    summary = summarize(lora.metadata)
    modules, _ = module_stats(lora)
    dtypes: dict[str, int] = {}
    for dtype in lora.dtypes.values():
        dtypes[dtype] = dtypes.get(dtype, 0) + 1
    return Inspection(lora, summary, block_stats(modules), check(lora, summary=summary), dtypes)
