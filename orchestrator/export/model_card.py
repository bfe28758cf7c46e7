"""The Hugging Face model card (README.md): YAML front matter the Hub reads, then the text.

Front matter keys follow the Hub's model-card spec: `base_model` (a hub id, so the Hub
links the LoRA to its base), `tags`, `pipeline_tag`, `instance_prompt` (what the Hub's
LoRA widget prepends), `widget` (sample images), `license` when given.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.export.prompt import snippet
from orchestrator.export.source import ExportSource

_FAMILY_TAGS = {"sd15": ["stable-diffusion"], "sd2": ["stable-diffusion"], "sdxl": ["stable-diffusion-xl", "stable-diffusion"]}


@dataclass
class CardInputs:
    source: ExportSource
    repo: str
    lora_sha256: str
    images: list[tuple[str, str]] = field(default_factory=list)  # (path relative to the folder, its prompt), grid first
    scorecard: dict[str, Any] | None = None
    workflow_file: str | None = None
    project_file: str | None = None
    license: str | None = None
    trainer: str | None = None


def hub_id(ref: str | None) -> str | None:
    """`hf://owner/repo/file` → `owner/repo`; local files and builtin models have none."""
    if ref and ref.startswith("hf://"):
        parts = ref[len("hf://") :].split("/")
        return "/".join(parts[:2]) if len(parts) >= 2 else None
    return None


def _yaml_str(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar


def front_matter(c: CardInputs) -> str:
    src = c.source
    lines = ["---"]
    base = hub_id(src.base_model)
    if base:
        lines.append(f"base_model: {_yaml_str(base)}")
    if c.license:
        lines.append(f"license: {_yaml_str(c.license)}")
    tags = ["lora", *_FAMILY_TAGS.get(src.family, ["stable-diffusion"]), "text-to-image", "kohya-ss", "template:sd-lora"]
    lines.append("tags:")
    lines += [f"- {_yaml_str(t)}" for t in tags]
    lines.append("pipeline_tag: text-to-image")
    if src.triggers:
        lines.append(f"instance_prompt: {_yaml_str(', '.join(src.triggers))}")
    if c.images:
        lines.append("widget:")
        for image, prompt in c.images[:4]:
            lines += [f"- text: {_yaml_str(prompt)}", "  output:", f"    url: {_yaml_str(image)}"]
    lines.append("---")
    return "\n".join(lines) + "\n"


def _settings(src: ExportSource) -> list[tuple[str, str]]:
    s = src.summary
    project = src.project
    if project is None:  # a bare file: what its metadata says
        return [(k, str(v)) for k, v in (("network", s.network_module), ("dim", s.network_dim), ("alpha", s.network_alpha),
                ("resolution", s.resolution), ("steps", s.steps), ("epochs", s.epochs), ("learning rate", s.learning_rate),
                ("U-Net lr", s.unet_lr), ("text encoder lr", s.text_encoder_lr), ("optimizer", s.optimizer),
                ("scheduler", s.lr_scheduler)) if v is not None]  # fmt: skip
    n, t, b = project.network, project.training, project.buckets
    rows = [
        ("network", f"{n.module}, dim {n.dim}, alpha {n.alpha:g}" + (f", conv_dim {n.conv_dim}" if n.conv_dim else "")),
        ("trained parts", ", ".join(p for p, on in (("U-Net", n.train_unet), ("text encoder", n.train_text_encoder)) if on)),
        ("resolution", "x".join(map(str, t.width_height)) + (f", buckets {b.min_resolution}-{b.max_resolution} step {b.step}" if b.enabled else "")),
        ("batch size", str(t.batch_size)),
        ("epochs", str(getattr(t, "epochs", None) or "-")),
        ("steps", str(s.steps) if s.steps is not None else "-"),
        ("learning rate", f"{t.learning_rate:g} (U-Net {t.unet_lr or t.learning_rate:g}, text encoder {t.text_encoder_lr if t.text_encoder_lr is not None else t.learning_rate:g})"),
        ("optimizer", t.optimizer + (" (" + ", ".join(f"{k}={v}" for k, v in t.optimizer_args.items()) + ")" if t.optimizer_args else "")),
        ("scheduler", f"{t.lr_scheduler}, warm-up {t.lr_warmup_steps:g}"),
        ("precision", f"{t.mixed_precision} (saved {t.save_precision})"),
        ("seed", str(t.seed)),
    ]
    for key in ("noise_offset", "min_snr_gamma", "clip_skip"):
        value = getattr(t, key, None) if key != "clip_skip" else project.model.clip_skip
        if value:
            rows.append((key, f"{value:g}" if isinstance(value, float) else str(value)))
    return rows


def _scorecard_rows(scorecard: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    rows = []
    for key, value in scorecard.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            rows += _scorecard_rows(value, f"{name}.")
        elif isinstance(value, (int, float, str, bool)) or value is None:
            rows.append((name, f"{value:.4g}" if isinstance(value, float) else str(value)))
    return rows


def _eval_rows(card: dict[str, Any]) -> list[tuple[str, str]]:
    """The headline of an `orchestrator eval` scorecard (the full file sits beside the card)."""
    summary = card.get("summary") or {}
    ease = summary.get("ease_of_invocation") or {}
    fmt = lambda v: "-" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))  # noqa: E731
    rows = [("recommended epoch", f"{card.get('recommended_epoch')}: {card.get('reason', '')}"),
            (f"fidelity (weight {card.get('reference_weight', 1):g})", fmt(summary.get("fidelity"))),
            ("ease of invocation", f"saturates at weight {fmt(ease.get('saturation_weight'))}, "
                                   f"bare trigger {fmt(ease.get('bare_trigger_share'))} of full effect"),
            ("generalisation", fmt(summary.get("generalisation"))),
            ("leakage", fmt(summary.get("leakage")))]
    epoch = str(card.get("recommended_epoch"))
    by_weight = (card.get("fidelity_by_weight") or {}).get(epoch)
    if by_weight:
        rows.append(("fidelity by weight", ", ".join(f"{w}: {fmt(v)}" for w, v in by_weight.items())))
    note = (card.get("embedding") or {}).get("note")
    if note:
        rows.append(("embedding", note))
    return rows


def _table(rows: list[tuple[str, str]], head: tuple[str, str] = ("setting", "value")) -> str:
    out = [f"| {head[0]} | {head[1]} |", "|---|---|"]
    out += ["| " + " | ".join(str(cell).replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(out)


def render(c: CardInputs) -> str:
    src = c.source
    use = snippet(src)
    title = src.summary.title or src.name
    parts = [front_matter(c), f"# {title}\n"]
    description = getattr(src.project, "description", "") or src.summary.comment or ""
    if description:
        parts.append(description + "\n")
    parts.append("## Trigger words\n")
    if src.subjects:
        for s in src.subjects:
            word = f"{s['trigger']} {s['class_word']}" if s.get("class_word") else s["trigger"]
            parts.append(f"- `{s['trigger']}` — {s['name']} (class tokens `{word}`, repeats {s['repeats']})")
        parts.append("")
    elif src.triggers:
        parts.append(", ".join(f"`{t}`" for t in src.triggers) + "\n")
    else:
        parts.append("None recorded.\n")
    parts.append("## Use it\n")
    parts.append(f"- **A1111 / Forge**: put `{src.lora.name}` into `models/Lora/` and prompt with `{use['snippet']}`, e.g.\n"
                 f"  `{use['example']}`" + (f"  (negative: `{src.negative}`)" if src.negative else ""))  # fmt: skip
    if c.workflow_file:
        parts.append(f"- **ComfyUI**: put `{src.lora.name}` into `models/loras/` and open `{c.workflow_file}` "
                     "(API format: Workflow → Open, or POST it to `/prompt`).")  # fmt: skip
    parts.append("")
    parts.append("## Models\n")
    parts.append(f"- Trained on: `{src.base_model or src.summary.base_model or 'unknown'}`")
    if src.test_model:
        parts.append(f"- Tested on: `{Path(src.test_model).name if not src.test_model.startswith(('hf://', 'builtin:')) else src.test_model}`")
    parts.append("")
    parts.append("## Training settings\n")
    parts.append(_table(_settings(src)))
    if c.trainer:
        parts.append(f"\nTrained with {c.trainer}.")
    if c.project_file:
        parts.append(f"\nThe complete project is in [`{c.project_file}`]({c.project_file}) (local paths are shortened: point `images` at your copy of the data to rerun it with `orchestrator run`).")
    parts.append("")
    if c.images:
        parts.append("## Images\n")
        parts += [f"![{prompt}]({image})" for image, prompt in c.images]
        parts.append("")
    if c.scorecard:
        parts.append("## Scorecard\n")
        rows = _eval_rows(c.scorecard) if "summary" in c.scorecard else _scorecard_rows(c.scorecard)
        parts.append(_table(rows, ("measure", "value")))
        if "summary" in c.scorecard:
            parts.append("\nMethods: fidelity is the share of the way from the model's own pictures to the training "
                         "images in embedding space; `scorecard.json` has every number per epoch.")
        parts.append("")
    parts.append("## Files\n")
    parts.append(f"- `{src.lora.name}` — kohya-format LoRA (sha256 `{c.lora_sha256}`)")
    if c.workflow_file:
        parts.append(f"- `{c.workflow_file}` — ComfyUI workflow (API format)")
    if c.project_file:
        parts.append(f"- `{c.project_file}` — the training project (local paths shortened)")
    return "\n".join(parts).rstrip() + "\n"
