"""What an export needs: the LoRA file, its name, trigger words and how to prompt it.

From a run, the project (project.toml) is the truth: triggers, base and test model,
sample settings. From a bare file, the LoRA's own metadata stands in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.lora.metadata import Summary, summarize
from orchestrator.lora.reader import PICKLE_SUFFIXES, lora_header
from orchestrator.problems import Problem, ProjectInvalid
from orchestrator.runs.index import RunInfo

# The model family decides the default image size when nothing else says it.
_NATIVE = {"sd15": 512, "sd2": 768, "sdxl": 1024}


@dataclass
class ExportSource:
    lora: Path
    triggers: list[str]
    summary: Summary
    base_model: str | None = None
    test_model: str | None = None
    family: str = "sd15"
    prompt: str = ""
    negative: str = ""
    width: int = 512
    height: int = 512
    steps: int = 20
    cfg: float = 7.0
    seed: int = 1
    sampler: str = "euler_a"
    run: RunInfo | None = None
    project: object | None = None  # orchestrator.schema.Project when from a run
    subjects: list[dict] = field(default_factory=list)  # name, trigger, class_word, repeats, images

    @property
    def name(self) -> str:
        """The name A1111/Forge/ComfyUI know the LoRA by: its file name without extension."""
        return self.lora.stem


def _metadata(path: Path) -> dict[str, str]:
    """The LoRA's metadata; a file that is not a LoRA the WebUIs load is refused, not exported."""
    if path.suffix.lower() in PICKLE_SUFFIXES:
        return {}  # never unpickled here: the snippet only names the file
    metadata = lora_header(path, lycoris=True).get("__metadata__")
    return {str(k): str(v) for k, v in metadata.items()} if isinstance(metadata, dict) else {}


def _family(summary: Summary) -> str:
    version = summary.base_model_version or ""
    return "sdxl" if version.startswith("sdxl") else "sd2" if version.startswith("sd_v2") else "sd15"


def from_file(path: Path) -> ExportSource:
    summary = summarize(_metadata(path))
    family = _family(summary)
    width = height = _NATIVE[family]
    w, _, h = (summary.resolution or "").partition("x")
    if w.isdigit() and h.isdigit():  # modelspec.resolution "512x512"
        width, height = int(w), int(h)
    return ExportSource(lora=path, triggers=summary.trigger_words, summary=summary, base_model=summary.base_model,
                        family=family, prompt=", ".join(summary.trigger_words), width=width, height=height)  # fmt: skip


def from_run(run: RunInfo, lora: Path) -> ExportSource:
    from orchestrator.schema.loader import load_project

    project = load_project(run.folder.project_toml).project
    summary = summarize(_metadata(lora))
    triggers = list(dict.fromkeys(s.trigger for s in project.subjects))
    samples, evaluation = project.samples, project.eval
    width, height = project.training.width_height
    prompt = (evaluation.prompts or samples.prompts or [", ".join(triggers)])[0]
    return ExportSource(
        lora=lora,
        triggers=triggers,
        summary=summary,
        base_model=project.model.base,
        test_model=project.model.test_model,
        family=project.model.family,
        prompt=prompt,
        negative=samples.negative_prompt,
        width=samples.width or width,
        height=samples.height or height,
        steps=evaluation.steps,
        cfg=samples.cfg_scale,
        seed=(evaluation.seeds or [samples.seed])[0],
        sampler=samples.sampler,
        run=run,
        project=project,
        subjects=[{"name": s.name, "trigger": s.trigger, "class_word": s.class_word, "repeats": s.repeats,
                   "images": str(s.images)} for s in project.subjects],  # fmt: skip
    )


def resolve_source(ref: str) -> ExportSource:
    from orchestrator.lora.target import resolve_target

    path, run = resolve_target(ref)
    if not path.is_file():
        raise ProjectInvalid([Problem(str(path), "no such file", "Give a LoRA .safetensors file or a run (`orchestrator runs list`)")])
    return from_run(run, path) if run is not None else from_file(path)
