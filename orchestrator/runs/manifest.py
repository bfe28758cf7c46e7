"""manifest.json: everything needed to say what a run was and to repeat it.

Versions are read with importlib.metadata (never by importing torch: the supervisor
stays light), hashes through the size+mtime cache, the dataset file by file.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from orchestrator import __version__
from orchestrator.fsutil import write_atomic
from orchestrator.runs.hashing import HashCache, sha256_json, sha256_tree
from orchestrator.schema.base import is_local_ref
from orchestrator.schema.project import Project

KEY_PACKAGES = (
    "torch", "torchvision", "diffusers", "transformers", "accelerate", "safetensors", "xformers",
    "bitsandbytes", "huggingface-hub", "numpy", "pillow", "rich", "pydantic", "tqdm",
)  # fmt: skip
_PACKAGES_SCRIPT = (
    "import json,sys\nfrom importlib import metadata\nout={}\n"
    "for n in sys.argv[1:]:\n try: out[n]=metadata.version(n)\n except Exception: pass\n"
    "print(json.dumps({'python': sys.version.split()[0], 'packages': out}))"
)


def _run(argv: list[str], cwd: Path | None = None, timeout: float = 10) -> str | None:
    try:
        done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_info(path: Path) -> dict[str, Any]:
    if not shutil.which("git") or not Path(path).exists():
        return {}
    commit = _run(["git", "-C", str(path), "rev-parse", "HEAD"])
    if not commit:
        return {}
    dirty = _run(["git", "-C", str(path), "status", "--porcelain", "--untracked-files=no"])
    describe = _run(["git", "-C", str(path), "describe", "--tags", "--always"])
    return {"commit": commit, "describe": describe, "dirty": bool(dirty)}


def packages_here(names: tuple[str, ...] = KEY_PACKAGES) -> dict[str, str]:
    found = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return found


def python_env(python: str) -> dict[str, Any]:
    """Python and package versions of the trainer's interpreter (ours, or another venv's)."""
    found = shutil.which(python) or python
    if Path(found).absolute() == Path(sys.executable).absolute():  # not resolve(): venvs symlink one base python
        return {"executable": sys.executable, "python": platform.python_version(), "packages": packages_here()}
    text = _run([python, "-c", _PACKAGES_SCRIPT, *KEY_PACKAGES], timeout=30)
    data = json.loads(text) if text else {}
    return {"executable": python, **data}


def gpus() -> list[dict[str, str]]:
    if not shutil.which("nvidia-smi"):
        return []
    text = _run(["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"])
    rows = []
    for line in (text or "").splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) == 3:
            rows.append({"name": parts[0], "memory": parts[1], "driver": parts[2]})
    return rows


def model_entry(ref: str | None, cache: HashCache) -> dict[str, Any] | None:
    if not ref:
        return None
    entry: dict[str, Any] = {"ref": ref}
    if is_local_ref(ref):
        path = Path(ref)
        if path.is_file():
            entry.update(size=path.stat().st_size, sha256=cache.sha256(path))
        elif path.is_dir():
            entry.update(kind="folder", sha256=sha256_tree(path, cache))
    return entry


def dataset_manifest(project: Project, cache: HashCache) -> dict[str, Any]:
    """Every image and caption the trainer reads, with sha256; one digest over them all."""
    from orchestrator.dataset.scan import list_images

    subsets = []
    for subject in project.subjects:
        folders = [(subject.images, False)] + ([(subject.reg_images, True)] if subject.reg_images else [])
        for folder, is_reg in folders:
            files = []
            for image in list_images(Path(folder)):
                caption = image.with_suffix(subject.caption_extension)
                for path, kind in ((image, "image"), (caption, "caption")):
                    if path.is_file():
                        files.append({"path": path.name, "kind": kind, "size": path.stat().st_size, "sha256": cache.sha256(path)})
            subsets.append({"subject": subject.name, "folder": str(folder), "is_reg": is_reg, "files": files})
    return {"sha256": sha256_json(subsets), "subsets": subsets}


def build_manifest(
    project: Project,
    raw: dict[str, Any],
    *,
    backend: str,
    trainer: dict[str, Any],
    trainer_python: str,
    argv: list[str],
) -> dict[str, Any]:
    cache = HashCache()
    repo = Path(__file__).resolve().parents[2]
    manifest = {
        "format": 1,
        "orchestrator": {"version": __version__, **git_info(repo)},
        "trainer": {"backend": backend, **trainer},
        "python": python_env(trainer_python),
        "supervisor_python": platform.python_version(),
        "os": {"system": platform.system(), "release": platform.release(), "platform": platform.platform(),
               "machine": platform.machine(), "cpus": os.cpu_count()},
        "gpus": gpus(),
        "models": {k: v for k, v in (("base", model_entry(project.model.base, cache)),
                                     ("vae", model_entry(project.model.vae, cache))) if v},
        "dataset": dataset_manifest(project, cache),
        "project_sha256": sha256_json(raw),
        "seeds": {"training": project.training.seed, "samples": project.samples.seed, "eval": list(project.eval.seeds)},
        "argv": argv,
        "times": {"created": time.time(), "started": None, "ended": None},
    }  # fmt: skip
    cache.save()
    return manifest


def write_manifest(path: Path, manifest: dict[str, Any]) -> None:
    write_atomic(path, json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n")


def read_manifest(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
