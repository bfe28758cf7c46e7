"""`lora resize` / `lora merge` through sd-scripts' own scripts, in sd-scripts' own environment.

The scripts need torch and sd-scripts' `library` package, which live in the trainer's
venv, not ours; so we build an argv list (no shell) for that venv's Python and run it
with the checkout as working directory and on PYTHONPATH. Building the argv is pure
(tested without sd-scripts); only `run` starts a process.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from orchestrator.backends.sdscripts.locate import Installation, locate
from orchestrator.problems import Problem, ProjectInvalid

PRECISIONS = ("float", "fp16", "bf16")
DYNAMIC_METHODS = ("sv_ratio", "sv_fro", "sv_cumulative")


@dataclass(frozen=True)
class ScriptCall:
    argv: list[str]
    cwd: Path

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        env = dict(os.environ if base is None else base)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(self.cwd), env.get("PYTHONPATH", "")) if p)
        return env


def installation(what: str) -> Installation:
    """The sd-scripts installation, or ProjectInvalid naming what to install for `what`."""
    found, problems = locate()
    if found is None:
        raise ProjectInvalid([
            Problem(p.location, f"`{what}` runs sd-scripts' own script, but {p.message}", p.fix, p.severity, p.code)
            for p in problems
        ])  # fmt: skip
    return found


def resize_call(
    inst: Installation,
    model: Path,
    save_to: Path,
    rank: int,
    *,
    conv_rank: int | None = None,
    save_precision: str | None = None,
    device: str | None = None,
    dynamic_method: str | None = None,
    dynamic_param: float | None = None,
    verbose: bool = False,
) -> ScriptCall:
    argv = [str(inst.python), str(inst.checkout / "networks" / "resize_lora.py"),
            "--model", str(model.absolute()), "--save_to", str(save_to.absolute()), "--new_rank", str(rank)]  # fmt: skip
    if conv_rank is not None:
        argv += ["--new_conv_rank", str(conv_rank)]
    if save_precision:
        argv += ["--save_precision", save_precision]
    if device:
        argv += ["--device", device]
    if dynamic_method:
        argv += ["--dynamic_method", dynamic_method]
        if dynamic_param is not None:
            argv += ["--dynamic_param", repr(float(dynamic_param))]
    if verbose:
        argv.append("--verbose")
    return ScriptCall(argv, inst.checkout)


def merge_call(
    inst: Installation,
    models: list[Path],
    ratios: list[float],
    save_to: Path,
    *,
    sdxl: bool = False,
    concat: bool = True,
    precision: str | None = None,
    save_precision: str | None = None,
) -> ScriptCall:
    """Merge LoRAs into one. concat (the default here) stacks the ranks: exactly Σ ratio·ΔW;
    without it sd-scripts adds the up and down matrices separately (equal ranks only, approximate)."""
    if len(ratios) != len(models):
        raise ProjectInvalid([Problem("--ratios", f"{len(ratios)} ratios for {len(models)} LoRAs", "Give one ratio per LoRA, e.g. --ratios 1.0 0.6")])
    script = "sdxl_merge_lora.py" if sdxl else "merge_lora.py"
    argv = [str(inst.python), str(inst.checkout / "networks" / script),
            "--models", *[str(m.absolute()) for m in models], "--ratios", *[repr(float(r)) for r in ratios],
            "--save_to", str(save_to.absolute())]  # fmt: skip
    if concat:
        argv.append("--concat")
    if precision:
        argv += ["--precision", precision]
    if save_precision:
        argv += ["--save_precision", save_precision]
    return ScriptCall(argv, inst.checkout)


def run(call: ScriptCall) -> int:
    """Run in the foreground; the script's own progress goes straight to the terminal."""
    return subprocess.run(call.argv, cwd=call.cwd, env=call.env(), check=False).returncode
