"""The grid's rows: for each subject the trigger alone, with its class word, with other
tags and without the trigger; then every trigger together, a neutral prompt, and the
preset's own prompts.

Each kind answers one question of the scorecard: `trigger` (fewest words: ease of
invocation), `class` (the reference fidelity), `tags` and `together` (generalisation),
`neutral` (leakage: the LoRA changing a prompt that does not call it), `untriggered`
(the class word without the trigger: how much the class word alone picks up).
"""

from __future__ import annotations

from dataclasses import dataclass

# Context the base model knows: the trigger has to keep working next to it.
OTHER_TAGS = "outdoors, sunset"

KINDS = ("trigger", "class", "tags", "untriggered", "together", "neutral", "custom")


@dataclass(frozen=True)
class EvalPrompt:
    id: str
    kind: str
    text: str
    subjects: tuple[str, ...]  # whose fidelity this row measures

    @property
    def label(self) -> str:
        return self.text if len(self.text) <= 48 else self.text[:45] + "..."


def _subject_id(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-") or "subject"


def build_prompts(subjects: list[tuple[str, str, str]], custom: list[str]) -> list[EvalPrompt]:
    """`subjects`: (name, trigger, class word) in preset order."""
    rows: list[EvalPrompt] = []
    for name, trigger, class_word in subjects:
        sid = _subject_id(name)
        rows += [
            EvalPrompt(f"{sid}-trigger", "trigger", trigger, (name,)),
            EvalPrompt(f"{sid}-class", "class", f"{trigger}, {class_word}", (name,)),
            EvalPrompt(f"{sid}-tags", "tags", f"{trigger}, {class_word}, {OTHER_TAGS}", (name,)),
            EvalPrompt(f"{sid}-untriggered", "untriggered", class_word, (name,)),
        ]
    if len(subjects) > 1:
        triggers = ", ".join(dict.fromkeys(t for _, t, _ in subjects))
        classes = ", ".join(dict.fromkeys(c for _, _, c in subjects))
        rows.append(EvalPrompt("together", "together", f"{triggers}, {classes}", tuple(n for n, _, _ in subjects)))
    rows.append(EvalPrompt("neutral", "neutral", OTHER_TAGS, tuple(n for n, _, _ in subjects)))
    for i, text in enumerate(custom, 1):
        words = {w.strip().lower() for w in text.split(",")}
        named = tuple(n for n, t, _ in subjects if t.lower() in words)
        rows.append(EvalPrompt(f"custom-{i}", "custom", text, named))
    return rows
