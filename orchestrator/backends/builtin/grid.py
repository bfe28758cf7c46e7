"""Parent side of the builtin renderer: turn an EvalPlan into a render spec and run it.

The drawing happens in `python -m orchestrator.backends.builtin.render` (torch stays
out of the supervisor); its JSON progress lines are passed to `on_progress`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import deque
from collections.abc import Callable
from pathlib import Path

from orchestrator.eval.plan import EvalPlan
from orchestrator.problems import Problem, ProjectInvalid


def spec(plan: EvalPlan) -> dict:
    jobs = []
    for model in plan.models:
        images = [{"prompt": p.text, "negative": plan.negative, "seed": s,
                   "out": {"0.0": str(plan.image(model.role, None, 0.0, p.id, s))}}
                  for p in plan.prompts for s in plan.seeds]
        jobs.append({"model": model.ref, "epoch": None, "loras": [], "weights": [0.0], "images": images})
        for ep in plan.epochs:
            images = [{"prompt": p.text, "negative": plan.negative, "seed": s,
                       "out": {str(w): str(plan.image(model.role, ep.epoch, w, p.id, s)) for w in plan.lora_weights}}
                      for p in plan.prompts for s in plan.seeds]
            jobs.append({"model": model.ref, "epoch": ep.epoch, "loras": [str(ep.path)], "weights": plan.lora_weights,
                         "images": images})  # fmt: skip
    return {"jobs": jobs, "steps": plan.steps, "scale": plan.scale, "width": plan.width, "height": plan.height,
            "sampler": plan.sampler}


def render_grid(plan: EvalPlan, on_progress: Callable[[dict], None] = lambda event: None) -> None:
    plan.root.mkdir(parents=True, exist_ok=True)
    spec_path = plan.root / "render.json"
    spec_path.write_text(json.dumps(spec(plan), indent=1), encoding="utf-8")
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    # stderr joins stdout: two pipes read one after the other can deadlock once the unread
    # one fills; JSON lines are progress, the other lines are kept for the error message
    process = subprocess.Popen([sys.executable, "-m", "orchestrator.backends.builtin.render", str(spec_path)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    assert process.stdout is not None
    other: deque[str] = deque(maxlen=20)
    for line in process.stdout:
        try:
            on_progress(json.loads(line))
        except ValueError:
            if line.strip():
                other.append(line.strip())
    if process.wait() != 0:
        last = other[-1] if other else "no output"
        raise ProjectInvalid([Problem(str(spec_path), f"the builtin renderer failed: {last}",
                                      "Check the run's LoRA files (`orchestrator lora inspect`) and retry",
                                      code="render-failed")])
