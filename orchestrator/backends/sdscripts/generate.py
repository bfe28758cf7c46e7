"""Evaluation images for sd-scripts runs, drawn by sd-scripts' own `gen_img.py`.

One `gen_img.py` call per (model, saved epoch): its prompt file has a line per
(prompt, seed, weight) with sd-scripts' per-line options (`--d` seed, `--am` the
LoRA multiplier, `--f` the file name the plan chose), so one model load serves a
whole column block. Weight 0 is drawn once per model without any network. Building
the calls is pure (tested without sd-scripts); `render_grid` runs them in the
trainer's environment, with the checkout on PYTHONPATH.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from orchestrator.backends.sdscripts.scripts import ScriptCall, installation, run
from orchestrator.eval.plan import EvalPlan
from orchestrator.problems import Problem, ProjectInvalid

NETWORK_MODULE = "networks.lora"


@dataclass(frozen=True)
class GenerationJob:
    call: ScriptCall
    prompt_file: Path
    lines: list[str]
    outputs: list[Path]


def _line(text: str, negative: str, seed: int, weight: float | None, name: str) -> str:
    line = text
    if negative:
        line += f" --n {negative}"
    line += f" --d {seed}"
    if weight is not None:
        line += f" --am {weight:g}"
    return line + f" --f {name}"


def jobs(plan: EvalPlan, python: str, checkout: Path, checkpoints: dict[str, Path], family: str,
         precision: str | None, tokenizer_cache_dir: str | None = None) -> list[GenerationJob]:
    """`checkpoints`: local file per model role; `tokenizer_cache_dir` as the training used it (offline)."""
    result = []
    for model in plan.models:
        outdir = plan.root / "images" / model.role
        blocks: list[tuple[str, Path | None, list[tuple[str, Path]]]] = []
        zero = [(_line(p.text, plan.negative, s, None, plan.image(model.role, None, 0.0, p.id, s).relative_to(outdir).as_posix()),
                 plan.image(model.role, None, 0.0, p.id, s)) for p in plan.prompts for s in plan.seeds]
        blocks.append(("w0", None, zero))
        for ep in plan.epochs:
            rows = []
            for w in plan.lora_weights:
                for p in plan.prompts:
                    for s in plan.seeds:
                        path = plan.image(model.role, ep.epoch, w, p.id, s)
                        rows.append((_line(p.text, plan.negative, s, w, path.relative_to(outdir).as_posix()), path))
            blocks.append((f"e{ep.epoch:03d}", ep.path, rows))
        for label, lora, rows in blocks:
            prompt_file = plan.root / "prompts" / f"{model.role}-{label}.txt"
            argv = [python, str(checkout / "gen_img.py"), "--ckpt", str(checkpoints[model.role]),
                    "--outdir", str(outdir), "--from_file", str(prompt_file),
                    "--W", str(plan.width), "--H", str(plan.height), "--steps", str(plan.steps),
                    "--scale", repr(float(plan.scale)), "--sampler", plan.sampler,
                    "--images_per_prompt", "1", "--batch_size", "1"]
            argv += {"sdxl": ["--sdxl"], "sd2": ["--v2"]}.get(family, [])
            if tokenizer_cache_dir:
                argv += ["--tokenizer_cache_dir", tokenizer_cache_dir]
            if precision in ("fp16", "bf16"):
                argv.append(f"--{precision}")
            if lora is not None:
                argv += ["--network_module", NETWORK_MODULE, "--network_weights", str(lora), "--network_mul", "1.0"]
            result.append(GenerationJob(ScriptCall(argv, checkout), prompt_file, [r[0] for r in rows], [r[1] for r in rows]))
    return result


def render_grid(plan: EvalPlan, checkpoints: dict[str, Path], family: str, precision: str | None,
                tokenizer_cache_dir: str | None = None) -> None:
    inst = installation("eval")
    for job in jobs(plan, str(inst.python), inst.checkout, checkpoints, family, precision, tokenizer_cache_dir):
        job.prompt_file.parent.mkdir(parents=True, exist_ok=True)
        job.prompt_file.write_text("\n".join(job.lines) + "\n", encoding="utf-8")
        for out in job.outputs:
            out.parent.mkdir(parents=True, exist_ok=True)
        code = run(job.call)
        missing = [p for p in job.outputs if not p.is_file()]
        if code != 0 or missing:
            raise ProjectInvalid([Problem(str(job.prompt_file), f"gen_img.py exited {code}; {len(missing)} of "
                                          f"{len(job.outputs)} images missing",
                                          "Read its output above; `orchestrator trainer doctor` checks the install",
                                          code="render-failed")])
