"""The gen_img.py calls that draw an sd-scripts run's grid (built without sd-scripts)."""

from __future__ import annotations

from pathlib import Path

from orchestrator.backends.sdscripts.generate import jobs
from orchestrator.eval.plan import EpochFile, EvalPlan, ModelRole
from orchestrator.eval.prompts import build_prompts


def _plan(root: Path) -> EvalPlan:
    return EvalPlan(root=root, models=[ModelRole("base", "hf://x/sd15.safetensors"), ModelRole("test", "~/m/real.safetensors")],
                    epochs=[EpochFile(1, root / "run out" / "captain-000001.safetensors"),
                            EpochFile(2, root / "run out" / "captain.safetensors")],
                    weights=[0.0, 0.5, 1.0], prompts=build_prompts([("face", "hxh", "man")], []), seeds=[7],
                    width=512, height=768, steps=20, scale=7.0, negative="lowres, blurry", sampler="euler_a")


def test_one_call_per_model_and_epoch_with_per_line_seed_weight_and_file(tmp_path: Path):
    plan = _plan(tmp_path / "eval dir")
    ckpts = {"base": Path("/models/sd15.safetensors"), "test": Path("/models/real.safetensors")}
    calls = jobs(plan, "/venv/bin/python", Path("/sd-scripts"), ckpts, "sd15", "fp16")
    assert len(calls) == 2 * (1 + 2)
    zero, first = calls[0], calls[1]
    argv = first.call.argv
    assert argv[:2] == ["/venv/bin/python", "/sd-scripts/gen_img.py"]
    assert argv[argv.index("--ckpt") + 1] == "/models/sd15.safetensors"
    assert argv[argv.index("--network_weights") + 1] == str(plan.root / "run out" / "captain-000001.safetensors")
    assert argv[argv.index("--network_module") + 1] == "networks.lora"
    assert [argv[argv.index(k) + 1] for k in ("--W", "--H", "--steps", "--sampler")] == ["512", "768", "20", "euler_a"]
    assert "--fp16" in argv and "--sdxl" not in argv and "--network_weights" not in zero.call.argv
    assert first.call.cwd == Path("/sd-scripts")
    # each line: prompt, negative, seed, multiplier, and the exact file the plan expects
    line = first.lines[0]
    assert line == "hxh --n lowres, blurry --d 7 --am 0.5 --f e001/w0.5/face-trigger_s7.png"
    outdir = Path(argv[argv.index("--outdir") + 1])
    assert outdir / "e001/w0.5/face-trigger_s7.png" == plan.image("base", 1, 0.5, "face-trigger", 7)
    assert len(first.lines) == len(first.outputs) == 2 * len(plan.prompts)  # two weights x rows x one seed
    assert " --am " not in zero.lines[0] and zero.outputs[0] == plan.image("base", None, 0.0, "face-trigger", 7)
    assert calls[3].call.argv[calls[3].call.argv.index("--ckpt") + 1] == "/models/real.safetensors"


def test_sdxl_and_sd2_flags(tmp_path: Path):
    plan = _plan(tmp_path)
    ckpts = {"base": Path("/b"), "test": Path("/t")}
    assert "--sdxl" in jobs(plan, "py", Path("/s"), ckpts, "sdxl", None)[0].call.argv
    assert "--v2" in jobs(plan, "py", Path("/s"), ckpts, "sd2", None)[0].call.argv
    assert "--fp16" not in jobs(plan, "py", Path("/s"), ckpts, "sd15", "no")[0].call.argv
