"""`--model NAME|PATH` → the files of one tagger: its ONNX model, tag list and profile.

A model is a local folder (or an .onnx file inside one) holding `model.onnx` and a tag
list, or a Hugging Face repo id such as `SmilingWolf/wd-vit-tagger-v3`, fetched with
`huggingface_hub` into its usual cache (so a second run, or a run with HF_HUB_OFFLINE=1,
reuses it). When the hub cannot be reached and the files are not cached, the error says
which files to download and where to put them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from orchestrator import hub
from orchestrator.problems import Problem, ProjectInvalid
from orchestrator.tagger.profiles import PROFILES, Profile

DEFAULT_MODEL = "SmilingWolf/wd-vit-tagger-v3"
MODEL_FILE = "model.onnx"
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


@dataclass(frozen=True)
class ModelFiles:
    onnx: Path
    tags: Path
    profile: Profile
    source: str  # what the user asked for: a folder or a repo id


def _fail(location: str, message: str, fix: str, code: str = "tagger-model") -> ProjectInvalid:
    return ProjectInvalid([Problem(location, message, fix, code=code)])


def _candidate_profiles(profile: str) -> list[Profile]:
    return list(PROFILES.values()) if profile == "auto" else [PROFILES[profile]]


def resolve_model(ref: str, profile: str = "auto") -> ModelFiles:
    """Local files for `ref`; ProjectInvalid with a fix when they cannot be found or fetched."""
    path = Path(ref).expanduser()
    if path.exists():
        return _local(path, ref, profile)
    if _REPO_ID.match(ref) and not ref.startswith("."):
        return _from_hub(ref, profile)
    raise _fail("--model", f"no such file or folder: {ref}", f"Pass a folder with {MODEL_FILE} and a tag list, or a Hugging Face repo id such as {DEFAULT_MODEL}")


def _local(path: Path, ref: str, profile: str) -> ModelFiles:
    folder, onnx = (path.parent, path) if path.is_file() else (path, path / MODEL_FILE)
    if not onnx.is_file():
        found = sorted(folder.glob("*.onnx"))
        if len(found) != 1:
            what = "no .onnx file" if not found else f"{len(found)} .onnx files and none named {MODEL_FILE}"
            raise _fail("--model", f"{folder} has {what}", "Pass the .onnx file itself, or a folder holding one model")
        onnx = found[0]
    for candidate in _candidate_profiles(profile):
        tags = folder / candidate.tag_file
        if tags.is_file():
            return ModelFiles(onnx, tags, candidate, ref)
    wanted = " or ".join(p.tag_file for p in _candidate_profiles(profile))
    raise _fail("--model", f"{folder} has no tag list ({wanted})", "Put the tag list that came with the model beside it")


def _download_fix(repo: str, profile: Profile) -> str:
    from huggingface_hub import constants

    files = f"{MODEL_FILE} {profile.tag_file}"
    return (
        f"Download {MODEL_FILE} and {profile.tag_file} from https://huggingface.co/{repo} where there is network "
        f"(`hf download {repo} {files}`, older huggingface_hub: `huggingface-cli download {repo} {files}`; "
        f"they land in the cache {constants.HF_HUB_CACHE}, which HF_HOME or HF_HUB_CACHE can move), "
        f"or put both files in a folder and pass --model FOLDER"
    )


def _from_hub(repo: str, profile: str) -> ModelFiles:
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError, LocalEntryNotFoundError, RepositoryNotFoundError

    candidates = _candidate_profiles(profile)
    cache_only, why_cache_only = hub.cache_only()  # decided once: no 25 s of retries per file offline

    def fetch(filename: str, wanted: Profile) -> Path | None:
        """The cached file; None when the repo has no such file."""
        try:
            return Path(hf_hub_download(repo, filename, local_files_only=cache_only))
        except LocalEntryNotFoundError:  # offline or unreachable, and not in the cache
            why = why_cache_only or "the hub cannot be reached"
            raise _fail(repo, f"{filename} is not in the Hugging Face cache and {why}", _download_fix(repo, wanted), "tagger-offline") from None
        except EntryNotFoundError:
            return None
        except RepositoryNotFoundError:
            raise _fail(repo, "no such Hugging Face repo (or it is private or gated)", f"Check the id, e.g. {DEFAULT_MODEL}; log in with `hf auth login` for gated repos") from None
        except OSError as exc:  # HTTP errors other than 404, broken connections mid-download
            raise _fail(repo, f"downloading {filename} failed ({exc})", _download_fix(repo, wanted), "tagger-offline") from None

    onnx = fetch(MODEL_FILE, candidates[0])
    if onnx is None:
        raise _fail(repo, f"the repo has no {MODEL_FILE}", "Use an ONNX tagger repo (the SmilingWolf WD v2/v3 repos have one), or a local folder")
    first_offline: ProjectInvalid | None = None
    for candidate in candidates:
        try:
            tags = fetch(candidate.tag_file, candidate)
        except ProjectInvalid as exc:  # not cached: another family's tag list may be
            if exc.problems[0].code != "tagger-offline":
                raise
            first_offline = first_offline or exc
            continue
        if tags is not None:
            return ModelFiles(onnx, tags, candidate, repo)
    if first_offline is not None:
        raise first_offline
    wanted = " or ".join(p.tag_file for p in candidates)
    raise _fail(repo, f"the repo has {MODEL_FILE} but no tag list ({wanted})", "Use a WD14 or DeepDanbooru-style repo, or a local folder")
