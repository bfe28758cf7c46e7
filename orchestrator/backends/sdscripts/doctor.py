"""`orchestrator trainer doctor`: is sd-scripts installed the way the pin expects?

Each check has a verdict and, when it fails, the fix. The trainer's environment is
probed in a subprocess with its own Python (probes/environment.py), so orchestrator
never imports torch itself.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.backends.sdscripts.locate import PINNED_COMMIT, PINNED_TAG, Installation, locate

PROBES = Path(__file__).resolve().parent / "probes"
KNOWN_GOOD = "Python 3.10, torch ≥ 2.6 with its matching torchvision (CPU here: torch 2.14.1 + torchvision 0.29.1)"


@dataclass
class Check:
    name: str
    status: str  # ok | warn | fail | info
    detail: str
    fix: str = ""


@dataclass
class DoctorReport:
    checks: list[Check] = field(default_factory=list)
    environment: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(c.status != "fail" for c in self.checks)

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "checks": [asdict(c) for c in self.checks], "environment": self.environment}


def probe_environment(python: Path, checkout: Path, timeout: float = 120) -> dict[str, Any]:
    done = subprocess.run(
        [str(python), str(PROBES / "environment.py")],
        capture_output=True, text=True, timeout=timeout, cwd=checkout, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _accelerate_config_checks(env: dict[str, Any]) -> list[Check]:
    config = env.get("accelerate_config", {})
    if not config.get("exists"):
        return [Check("accelerate config", "ok", "no global default_config.yaml; orchestrator passes every setting explicitly")]
    values = config.get("values") or {}
    problems = []
    gpus = len(env.get("gpus", []))
    precision = values.get("mixed_precision")
    if precision in ("fp16", "bf16") and not env.get("cuda_available"):
        problems.append(f"mixed_precision: {precision} with no GPU (accelerate fails: 'requires a GPU')")
    processes = values.get("num_processes")
    if isinstance(processes, int) and processes > max(gpus, 1):
        problems.append(f"num_processes: {processes} but {gpus} GPU(s) here")
    if values.get("distributed_type") not in (None, "NO") and gpus <= 1:
        problems.append(f"distributed_type: {values.get('distributed_type')} on a single-device machine")
    if problems:
        return [Check("accelerate config", "warn", f"{config['path']}: " + "; ".join(problems),
                      "A stale global config is a classic failure: orchestrator overrides it per run, "
                      f"but plain `accelerate launch` reads it. Fix or delete {config['path']}")]
    return [Check("accelerate config", "ok", f"{config['path']} looks consistent with this machine")]


def diagnose(path: Path | None = None, python: Path | None = None) -> DoctorReport:
    report = DoctorReport()
    install, problems = locate(path, python)
    if install is None:
        for p in problems:
            report.checks.append(Check(p.location, "fail", p.message, p.fix))
        return report
    report.checks.append(Check("checkout", "ok", str(install.checkout)))
    report.checks.append(_commit_check(install))
    report.checks.append(Check("python", "ok", str(install.python)))
    try:
        env = probe_environment(install.python, install.checkout)
    except (OSError, RuntimeError, subprocess.TimeoutExpired, json.JSONDecodeError) as exc:
        report.checks.append(Check("environment", "fail", f"the trainer's Python did not answer: {exc}",
                                   f"Check that {install.python} runs; known good: {KNOWN_GOOD}"))
        return report
    report.environment = env
    report.checks += _package_checks(env)
    report.checks += _accelerate_config_checks(env)
    return report


def _commit_check(install: Installation) -> Check:
    if install.commit is None:
        return Check("version", "warn", "commit unknown (not a git checkout, or git is missing)",
                     f"Use a git checkout of {PINNED_TAG} so runs record the exact trainer")
    if install.is_pinned:
        return Check("version", "ok", f"{PINNED_TAG} ({install.commit[:8]}), the pinned release")
    return Check("version", "warn", f"{install.commit[:8]} is not the pinned {PINNED_TAG} ({PINNED_COMMIT[:8]})",
                 "Option checks use this checkout's own parser; the tested combination is the pin: "
                 "`git -C vendor/sd-scripts checkout v0.10.1`")


def _package_checks(env: dict[str, Any]) -> list[Check]:
    pkgs, imports = env.get("packages", {}), env.get("imports", {})
    checks = [Check("python version", "ok" if env.get("python", "").startswith(("3.10", "3.11", "3.12")) else "warn",
                    env.get("python", "?"), "" if env.get("python", "").startswith(("3.10", "3.11", "3.12")) else
                    "sd-scripts is tested on Python 3.10 (3.11/3.12 should work)")]
    for module, what in (("torch", "PyTorch"), ("torchvision", "torchvision (sd-scripts imports it at start-up)"),
                         ("accelerate", "accelerate"), ("library.train_util", "sd-scripts' own package (`pip install -e .`)")):
        state = imports.get(module, {})
        dist = module.split(".")[0]
        if state.get("ok"):
            checks.append(Check(module, "ok", f"{what} {pkgs.get(dist) or ''}".strip()))
        else:
            checks.append(Check(module, "fail", f"{what} does not import: {state.get('error')}",
                                f"Install sd-scripts' requirements in its venv (`pip install -r requirements.txt`); known good: {KNOWN_GOOD}"))
    if env.get("cuda_available"):
        for gpu in env.get("gpus", []):
            checks.append(Check(f"GPU {gpu['index']}", "ok", f"{gpu['name']}, {gpu['memory_gb']} GB (CUDA {env.get('cuda')})"))
    else:
        checks.append(Check("GPU", "warn", "no CUDA GPU visible to the trainer's torch",
                            "Training SD on a CPU is for tests only; install a CUDA build of torch on a GPU machine. "
                            "presets/demo.toml runs the embedded CPU trainer"))
    for optional, purpose in (("xformers", "memory-efficient attention (training.attention = \"xformers\")"),
                              ("bitsandbytes", "8-bit optimisers such as AdamW8bit")):
        version = pkgs.get(optional)
        checks.append(Check(optional, "ok" if version else "info", f"{version} installed" if version else f"not installed: needed for {purpose}",
                            "" if version else f"`pip install {optional}` in the trainer's venv if you use it"))
    return checks


def main() -> int:  # pragma: no cover - convenience: python -m orchestrator.backends.sdscripts.doctor
    report = diagnose()
    json.dump(report.to_json(), sys.stdout, indent=2)
    return 0 if report.ok else 1
