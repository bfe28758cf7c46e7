"""`publish`: a Hugging Face model-card folder for a LoRA, then (unless --dry-run) the upload.

The folder is complete and offline: README.md (model card), the LoRA, the ComfyUI
workflow, the run's project.toml with local paths shortened, the grid or sample images
and the scorecard when they exist. It is built in a temp folder and renamed into place.
The token is whatever huggingface_hub finds (HF_TOKEN, or the login stored by
`hf auth login`); it is only ever handed to HfApi, and the folder is scanned for it
before anything is uploaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator import hub
from orchestrator.export import comfyui
from orchestrator.export.model_card import CardInputs, render
from orchestrator.export.source import ExportSource
from orchestrator.fsutil import write_atomic
from orchestrator.problems import Problem, ProjectInvalid

REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")
_ABS_PATH = re.compile(r'"((?:/|~/|[A-Za-z]:[\\/])[^"]*)"')
_TOKEN_ENV = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")
_GRID_WORDS = ("grid", "contact", "sheet")
_SAMPLE_INDEX = re.compile(r"_(?:e\d+|\d{6})_(\d+)_")


@dataclass
class Published:
    folder: Path
    files: list[str]
    url: str | None = None
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"folder": str(self.folder), "files": self.files, "url": self.url, "notes": self.notes}


def check_repo(repo: str) -> None:
    if not REPO_ID.match(repo):
        raise ProjectInvalid([Problem("--repo", f"{repo!r} is not a Hub repository id", "Write it as user/name, e.g. --repo alice/captain-lora")])


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def shorten_paths(toml_text: str) -> str:
    """Local absolute paths → `…/parent/name`: the settings stay readable, the machine's layout stays home."""

    def short(match: re.Match[str]) -> str:
        parts = [p for p in re.split(r"[\\/]", match.group(1)) if p]
        return json.dumps("…/" + "/".join(parts[-2:]), ensure_ascii=False)

    body = [line for line in toml_text.splitlines() if not line.startswith("#")]  # the header names the run folder
    return "# The training project of this LoRA (orchestrator preset, fully resolved).\n" + _ABS_PATH.sub(short, "\n".join(body)).lstrip("\n") + "\n"


def _images(src: ExportSource) -> list[tuple[Path, str]]:
    """The eval grid / contact sheet first, else the newest epoch's training samples, each with its prompt."""
    if src.run is None:
        return []
    grids = sorted(p for p in src.run.folder.eval_dir.glob("*.png") if any(w in p.name.lower() for w in _GRID_WORDS))
    if grids:
        return [(g, src.prompt) for g in grids[:2]]
    prompts = list(getattr(getattr(src.project, "samples", None), "prompts", []) or [])
    samples = sorted(src.run.folder.samples_dir.glob("*.png")) if src.run.folder.samples_dir.is_dir() else []
    out = []
    for path in samples[-(len(prompts) or 3) :]:
        match = _SAMPLE_INDEX.search(path.name)  # sd-scripts: <name>_e000001_00_<time>_<seed>.png, 00 = prompt line
        index = int(match.group(1)) if match else -1
        out.append((path, prompts[index] if 0 <= index < len(prompts) else src.prompt))
    return out


def _known_tokens() -> list[str]:
    tokens = [os.environ[name] for name in _TOKEN_ENV if os.environ.get(name)]
    try:
        from huggingface_hub import get_token

        stored = get_token()
    except Exception:  # noqa: BLE001 - no token, an unreadable token file: nothing to look for
        stored = None
    if stored:
        tokens.append(stored)
    return [t for t in dict.fromkeys(tokens) if len(t) >= 8]


def _assert_no_token(folder: Path) -> None:
    """Belt and braces: nothing we wrote may contain the Hub token."""
    tokens = [t.encode() for t in _known_tokens()]
    if not tokens:
        return
    for path in folder.rglob("*"):
        if path.is_file() and any(t in path.read_bytes() for t in tokens):
            raise ProjectInvalid([Problem(str(path), "contains your Hugging Face token", "Nothing was uploaded; remove the token from the source of that file")])


def _trainer_text(src: ExportSource) -> str | None:
    if src.run is None:
        return src.summary.trainer
    try:
        manifest = json.loads(src.run.folder.manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    t = manifest.get("trainer") or {}
    name = " ".join(str(v) for v in (t.get("name"), t.get("version")) if v)
    return f"{name} via orchestrator {manifest.get('orchestrator', {}).get('version', '')}".strip() if name else None


def write_folder(src: ExportSource, repo: str, out: Path, *, license: str | None = None, weight: float = 0.8) -> Published:
    check_repo(repo)
    out = out.absolute()
    if out.exists() and any(out.iterdir()) and not (out / "README.md").exists():
        raise ProjectInvalid([Problem(str(out), "exists and is not a folder made by publish", "Choose another -o")])
    tmp = out.parent / f".{out.name}.tmp-{secrets.token_hex(3)}"
    tmp.mkdir(parents=True)
    try:
        notes: list[str] = []
        shutil.copyfile(src.lora, tmp / src.lora.name)
        images = []
        for image, prompt in _images(src):
            (tmp / "images").mkdir(exist_ok=True)
            shutil.copyfile(image, tmp / "images" / image.name)
            images.append((f"images/{image.name}", prompt))
        scorecard = None
        if src.run is not None and (src.run.folder.eval_dir / "scorecard.json").is_file():
            shutil.copyfile(src.run.folder.eval_dir / "scorecard.json", tmp / "scorecard.json")
            try:
                scorecard = json.loads((tmp / "scorecard.json").read_text(encoding="utf-8"))
            except ValueError:
                notes.append("eval/scorecard.json is not valid JSON: copied, not summarised")
        workflow, workflow_notes = comfyui.build(src, weight=weight)
        problems = comfyui.validate(workflow)
        if problems:  # a bug in the builder; ship the card without a broken workflow
            notes.append("ComfyUI workflow left out: " + "; ".join(problems))
            workflow_file = None
        else:
            workflow_file = "comfyui_workflow.json"
            write_atomic(tmp / workflow_file, json.dumps(workflow, indent=2, ensure_ascii=False) + "\n")
            notes += workflow_notes
        project_file = None
        if src.run is not None and src.run.folder.project_toml.is_file():
            project_file = "project.toml"
            write_atomic(tmp / project_file, shorten_paths(src.run.folder.project_toml.read_text(encoding="utf-8")))
        card = CardInputs(src, repo, sha256_file(src.lora), images, scorecard if isinstance(scorecard, dict) else None,
                          workflow_file, project_file, license, _trainer_text(src))  # fmt: skip
        write_atomic(tmp / "README.md", render(card))
        _assert_no_token(tmp)
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    return Published(out, files, None, notes)


def upload(published: Published, repo: str, *, private: bool = False, api: object | None = None) -> Published:
    """create_repo + upload_folder; every failure is a Problem saying what to do, the folder stays."""
    ready = f"The folder is ready at {published.folder}; rerun publish (or upload it yourself) when this is fixed"
    if hub.offline_env():
        raise ProjectInvalid([Problem("publish", "Hugging Face Hub access is switched off (HF_HUB_OFFLINE is set)",
                                      f"Unset HF_HUB_OFFLINE to upload, or use --dry-run. {ready}", code="hub-offline")])  # fmt: skip
    from huggingface_hub import HfApi, get_token

    if api is None:
        token = get_token()
        if not token:
            raise ProjectInvalid([Problem("publish", "no Hugging Face token found (HF_TOKEN or a stored login)",
                                          f"Run `hf auth login` (or set HF_TOKEN) with a write token. {ready}", code="hub-token")])  # fmt: skip
        api = HfApi(token=token)
    try:
        url = api.create_repo(repo_id=repo, repo_type="model", private=private, exist_ok=True)
        api.upload_folder(repo_id=repo, repo_type="model", folder_path=str(published.folder),
                          commit_message=f"Upload LoRA from orchestrator ({', '.join(published.files[:3])}…)")  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - HTTP errors, no network, bad token: all end the same way
        status = getattr(getattr(exc, "response", None), "status_code", None)
        why = {401: "the token was rejected (expired or read-only?)", 403: f"the token may not write to {repo}",
               404: f"{repo} was not found"}.get(status, f"the upload failed ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})")  # fmt: skip
        raise ProjectInvalid([Problem("publish", why, f"Check the connection and the token's write access. {ready}", code="hub-upload")]) from None
    published.url = str(url) if url else f"https://huggingface.co/{repo}"
    return published
