"""The command surface. Thin: parse arguments, import the command's module lazily, run it.

Only argparse is imported at start-up so `orchestrator --help` is instant; each
command's module (and pydantic, rich, …) is imported when that command runs.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from dataclasses import dataclass

EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_BUG, EXIT_INTERRUPTED = 0, 1, 2, 70, 130


@dataclass(frozen=True)
class Command:
    name: str
    module: str  # orchestrator.commands.<module>, with `run(args) -> int`
    help: str
    example: str
    arguments: Callable[[argparse.ArgumentParser], None]


def _project_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("preset", help="the project's TOML preset, e.g. presets/captain.toml")
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a preset value (TOML syntax), e.g. --set training.learning_rate=5e-5; repeatable",
    )


def _validate_args(p: argparse.ArgumentParser) -> None:
    _project_args(p)
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--allow-pickle", action="store_true", help="accept .ckpt/.pt checkpoints (they can run code)")


def _plan_args(p: argparse.ArgumentParser) -> None:
    _validate_args(p)


def _compile_args(p: argparse.ArgumentParser) -> None:
    _project_args(p)
    p.add_argument("-o", "--output", required=True, help="folder to write the TOMLs, prompts and command into")
    p.add_argument("--target", choices=["local", "slurm"], default="local",
                   help="slurm also writes train.sbatch (one task per node, srun + accelerate launch)")
    p.add_argument("--allow-pickle", action="store_true", help="accept .ckpt/.pt checkpoints (they can run code)")


def _schema_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--markdown", action="store_true", help="print the preset reference as Markdown instead")


def _presets_args(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    sub.add_parser("list", help="list the shipped presets (the default)")
    copy = sub.add_parser("copy", help="copy a shipped preset to edit it")
    copy.add_argument("name", help="preset name, e.g. captain")
    copy.add_argument("destination", help="file to write, e.g. my-lora.toml")


def _trainer_args(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    doctor = sub.add_parser("doctor", help="check the sd-scripts checkout, its Python, torch, GPUs and accelerate config")
    doctor.add_argument("--path", help="sd-scripts checkout (default: $ORCHESTRATOR_SD_SCRIPTS, then vendor/sd-scripts)")
    doctor.add_argument("--python", help="the trainer's Python (default: a venv inside the checkout)")
    doctor.add_argument("--json", action="store_true", help="print the report as JSON")


def _tag_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("target", metavar="DIR|PRESET", help="an image folder, or a preset (tags every subject's images with its trigger)")
    p.add_argument("--model", default="SmilingWolf/wd-vit-tagger-v3", metavar="NAME|PATH",
                   help="Hugging Face repo id or a folder with model.onnx + selected_tags.csv (WD14) or tags.txt (DeepDanbooru)")
    p.add_argument("--profile", choices=["auto", "wd14", "deepdanbooru"], default="auto", help="preprocessing (auto: from the tag list)")
    p.add_argument("--mode", choices=["new", "merge", "overwrite"], default="new",
                   help="new: only images without a caption; merge: append missing tags; overwrite: replace (with a backup)")
    p.add_argument("--write", action="store_true", help="write the captions (default: a dry run showing the changes)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--general-threshold", type=float, metavar="P", help="minimum general-tag score (WD14 0.35, DeepDanbooru 0.5)")
    p.add_argument("--character-threshold", type=float, metavar="P", help="minimum character-tag score (WD14 0.85, DeepDanbooru 0.5)")
    p.add_argument("--mcut", action="store_true", help="per-image thresholds by Maximum Cut (largest score gap) instead")
    p.add_argument("--rating", choices=["drop", "first", "last"], default="drop", help="the rating tag (general, sensitive, ...)")
    p.add_argument("--exclude", action="append", default=[], metavar="TAGS", help="tags never written, comma-separated; repeatable")
    p.add_argument("--replace", action="append", default=[], metavar="OLD=NEW", help="write NEW for OLD (empty NEW drops it); repeatable")
    p.add_argument("--keep-underscores", action="store_true", help="keep tagger spellings (default: underscores to spaces, kaomoji kept)")
    p.add_argument("--max-tags", type=int, metavar="N", help="at most N tags per image, highest scores first")
    p.add_argument("--character-first", action="store_true", help="character tags before general ones")
    p.add_argument("--trigger", help="trigger word written first (a folder; a preset uses each subject's)")
    p.add_argument("--no-trigger", action="store_true", help="do not prepend the trigger word")
    p.add_argument("--caption-extension", metavar="EXT", help="caption file extension for a folder (default .txt)")
    p.add_argument("--subject", action="append", metavar="NAME", help="with a preset: only this subject; repeatable")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE", help="override a preset value")
    p.add_argument("--batch-size", type=int, metavar="N", help="images per network run (default 8, or the model's fixed batch)")
    p.add_argument("--workers", type=int, metavar="N", help="image decoding threads (default: CPU cores)")
    p.add_argument("--threads", type=int, metavar="N", help="onnxruntime threads (default: CPU cores)")
    p.add_argument("--provider", action="append", metavar="NAME", help="onnxruntime provider, e.g. CUDAExecutionProvider (default: best available)")


def _run_args(p: argparse.ArgumentParser) -> None:
    _project_args(p)
    p.add_argument("--backend", help="trainer backend instead of the preset's trainer.backend (sd-scripts, builtin, …)")
    p.add_argument("--name", help="run name (default: the project's name); the folder adds a time stamp")
    p.add_argument("--dry-run", action="store_true", help="check and compile, print the command, create nothing")
    p.add_argument("--json", action="store_true", help="stream events as JSON lines instead of the dashboard")
    p.add_argument("--allow-pickle", action="store_true", help="accept .ckpt/.pt checkpoints (they can run code)")
    p.add_argument("--force", action="store_true", help="train even when the dataset check finds errors")


def _runs_args(p: argparse.ArgumentParser) -> None:
    from_run = "a run: a unique prefix of its folder name, or `latest`"
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    ls = sub.add_parser("list", help="list runs, newest first (the default)")
    ls.add_argument("--json", action="store_true", help="print the list as JSON")
    show = sub.add_parser("show", help="show a run's status, diagnosis, metrics and files")
    show.add_argument("run", help=from_run)
    show.add_argument("--json", action="store_true", help="print status and manifest as JSON")
    diff = sub.add_parser("diff", help="compare two runs: project differences, then metrics")
    diff.add_argument("run", help=from_run)
    diff.add_argument("other", help=from_run)
    diff.add_argument("--json", action="store_true", help="print the differences as JSON")
    for name, text in (("rerun", "run the same project again in a new folder"),
                       ("resume", "continue a run from its newest saved state, in a new folder")):  # fmt: skip
        again = sub.add_parser(name, help=text)
        again.add_argument("run", help=from_run)
        again.add_argument("--backend", help="trainer backend (default: the run's own)")
        again.add_argument("--json", action="store_true", help="stream events as JSON lines")
        if name == "resume":
            again.add_argument("--force", action="store_true", help="resume even if the project or dataset changed")
    rm = sub.add_parser("rm", help="delete a run folder")
    rm.add_argument("run", nargs="+", help=from_run)
    rm.add_argument("--force", action="store_true", help="also delete a run that is still running")


def _dataset_args(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    check = sub.add_parser(
        "check", help="check images, captions, duplicates, buckets and triggers; exit 1 on errors",
        epilog="Examples: orchestrator dataset check presets/captain.toml | orchestrator dataset check ~/lora/img --json",
    )
    check.add_argument("target", help="a preset .toml, or a folder: a kohya parent of N_name folders or one image folder")
    check.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE", help="override a preset value")
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    check.add_argument("--force", action="store_true", help="exit 0 even when errors are found")
    check.add_argument("--no-cache", action="store_true", help="read every image again instead of reusing unchanged results")
    folder = check.add_argument_group("for a folder (a preset brings its own settings)")
    # No argparse defaults here: the command tells a given option from an absent one (a preset refuses them).
    folder.add_argument("--caption-extension", help="caption file extension (default .txt; sd-scripts' own default is .caption)")
    folder.add_argument("--trigger", help="trigger word: also run the trigger lint")
    folder.add_argument("--resolution", help="training resolution, SIZE or W,H (default 512)")
    folder.add_argument("--batch-size", type=int, help="batch size for the step count (default 1)")
    folder.add_argument("--epochs", type=int, help="epochs for the total step count")
    folder.add_argument("--min-bucket", type=int, help="min_bucket_reso (default 256)")
    folder.add_argument("--max-bucket", type=int, help="max_bucket_reso (default 1024)")
    folder.add_argument("--bucket-step", type=int, help="bucket_reso_steps (default 64; 32 for SDXL)")
    folder.add_argument("--no-upscale", action="store_true", help="bucket_no_upscale")
    folder.add_argument("--no-buckets", action="store_true", help="buckets disabled: every image is cropped to the resolution")


def _captions_args(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    actions = {
        "prepend-trigger": "put each subject's trigger first in every caption (idempotent)",
        "add": "add tags that are missing (at the end, or after the trigger with --front)",
        "remove": "remove tags, however they are spelled (`male_focus` = `male focus`)",
        "replace": "replace a tag everywhere, keeping its position",
        "normalize": "remove duplicate tags and, with --spelling, unify underscores and spaces",
        "freq": "tag frequency per subject (as sd-scripts records it in ss_tag_frequency)",
    }
    for name, text in actions.items():
        a = sub.add_parser(name, help=text, epilog="Dry run with a diff unless --write; originals are backed up to .orchestrator-backup/.")
        a.add_argument("target", help="a preset .toml (its subjects' folders) or a caption folder")
        if name in ("add", "remove"):
            a.add_argument("tags", nargs="+", help="tags, comma-separated or as separate arguments")
        if name == "replace":
            a.add_argument("old", help="tag to replace")
            a.add_argument("new", help="tag to put in its place")
        a.add_argument("--subject", action="append", help="only this subject (repeatable)")
        a.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE", help="override a preset value")
        a.add_argument("--caption-extension", default=".txt", help="for a folder: caption extension (default .txt)")
        a.add_argument("--trigger", help="trigger word (default: each subject's trigger)")
        a.add_argument("--json", action="store_true", help="print the changes (or frequencies) as JSON")
        if name == "freq":
            a.add_argument("--top", type=int, default=30, help="tags shown per subject (0 = all; default 30)")
            continue
        if name == "add":
            a.add_argument("--front", action="store_true", help="insert at the front, right after the trigger")
        if name in ("prepend-trigger", "add"):
            a.add_argument("--create-missing", action="store_true", help="also write captions for images that have none")
        a.add_argument("--spelling", choices=("spaces", "underscores"), help="rewrite tags with spaces or with underscores")
        a.add_argument("--write", action="store_true", help="apply the changes (default: dry run showing a diff)")


def _lora_args(p: argparse.ArgumentParser) -> None:
    target = "a LoRA file, or a run (a unique prefix of its folder name, or `latest`)"
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    inspect = sub.add_parser("inspect", help="metadata, trigger words, per-block norms and the health check; exit 1 on errors",
                             epilog="Examples: orchestrator lora inspect latest | orchestrator lora inspect my.safetensors --json")
    inspect.add_argument("target", metavar="FILE|RUN", help=target)
    inspect.add_argument("--json", action="store_true", help="print the report as JSON")
    inspect.add_argument("--metadata", action="store_true", help="also list every raw metadata key")
    inspect.add_argument("--allow-pickle", action="store_true", help="accept .ckpt/.pt files (they can run code; loads torch)")
    resize = sub.add_parser("resize", help="change the rank with sd-scripts' networks/resize_lora.py (SVD)",
                            epilog="Example: orchestrator lora resize latest --rank 8 -o demo-r8.safetensors")
    resize.add_argument("target", metavar="FILE|RUN", help=target)
    resize.add_argument("--rank", type=int, required=True, help="new rank (the upper limit with --dynamic-method) → --new_rank")
    resize.add_argument("-o", "--output", required=True, help="the .safetensors file to write → --save_to")
    resize.add_argument("--conv-rank", type=int, help="rank of 3x3 conv layers (LoCon) → --new_conv_rank")
    resize.add_argument("--dynamic-method", choices=["sv_ratio", "sv_fro", "sv_cumulative"], help="rank per layer from its singular values")
    resize.add_argument("--dynamic-param", type=float, help="target of the dynamic method → --dynamic_param")
    resize.add_argument("--save-precision", choices=["float", "fp16", "bf16"], help="→ --save_precision (default float)")
    resize.add_argument("--device", help="e.g. cuda (default: CPU) → --device")
    resize.add_argument("--verbose", action="store_true", help="per-layer details from the script")
    merge = sub.add_parser("merge", help="combine LoRAs with sd-scripts' networks/merge_lora.py (sdxl_merge_lora.py for SDXL)",
                           epilog="Example: orchestrator lora merge face.safetensors suit.safetensors --ratios 1.0 0.7 -o both.safetensors")
    merge.add_argument("models", nargs="+", metavar="FILE|RUN", help="the LoRAs to merge")
    merge.add_argument("--ratios", type=float, nargs="+", help="one weight per LoRA (default 1.0 each) → --ratios")
    merge.add_argument("-o", "--output", required=True, help="the .safetensors file to write → --save_to")
    merge.add_argument("--same-rank", action="store_true",
                       help="add up/down matrices (sd-scripts' default; equal ranks, approximate) instead of --concat (exact, rank = sum)")
    merge.add_argument("--precision", choices=["float", "fp16", "bf16"], help="merge precision → --precision")
    merge.add_argument("--save-precision", choices=["float", "fp16", "bf16"], help="→ --save_precision")
    for command in (resize, merge):
        command.add_argument("--force", action="store_true", help="overwrite the output file")
        command.add_argument("--dry-run", action="store_true", help="print the sd-scripts command, run nothing")


def _export_args(p: argparse.ArgumentParser) -> None:
    target = "a run (a unique prefix of its folder name, or `latest`) or a LoRA file"
    sub = p.add_subparsers(dest="action", metavar="FORMAT", required=True)
    a1111 = sub.add_parser("a1111", help="the A1111/Forge prompt snippet: <lora:NAME:0.8> + trigger words",
                           epilog="Example: orchestrator export a1111 latest --weight 0.7")
    a1111.add_argument("target", metavar="RUN|FILE", help=target)
    a1111.add_argument("--weight", type=float, default=0.8, help="LoRA weight (default 0.8)")
    a1111.add_argument("--json", action="store_true", help="print snippet, example and triggers as JSON")
    comfy = sub.add_parser("comfyui", help="a ComfyUI workflow (API format) on the preset's test model",
                           epilog="Example: orchestrator export comfyui latest -o workflow.json --with pose.safetensors:0.6")
    comfy.add_argument("target", metavar="RUN|FILE", help=target)
    comfy.add_argument("-o", "--output", help="file to write (default: stdout)")
    comfy.add_argument("--weight", type=float, default=0.8, help="strength of this LoRA (default 0.8)")
    comfy.add_argument("--with", dest="with_lora", action="append", default=[], metavar="FILE[:WEIGHT]",
                       help="stack another LoRA after this one (generalisation test); repeatable")
    comfy.add_argument("--checkpoint", help="ckpt_name as ComfyUI lists it (default: the test model's file name, else the base's)")
    comfy.add_argument("--prompt", help="positive prompt (default: the preset's eval/sample prompt; triggers are added if missing)")
    comfy.add_argument("--negative", help="negative prompt (default: samples.negative_prompt)")
    comfy.add_argument("--seed", type=int, help="seed (default: the first eval seed)")
    comfy.add_argument("--steps", type=int, help="sampling steps (default: eval.steps)")


def _eval_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("run", metavar="RUN", help="a run (a unique prefix of its folder name, or `latest`)")
    p.add_argument("--weights", type=float, nargs="+", help="LoRA weights of the columns (default: eval.weights)")
    p.add_argument("--seeds", type=int, nargs="+", help="fixed seeds (default: eval.seeds)")
    p.add_argument("--epochs", type=int, nargs="+", help="only these saved epochs (default: every saved one)")
    p.add_argument("--embedding", help="auto, pixel, clip or clip:<hub id or folder> (default: eval.embedding)")
    p.add_argument("--allow-pickle", action="store_true", help="let sd-scripts load a .ckpt/.pt test model (it can run code)")
    p.add_argument("--json", action="store_true", help="print the scorecard as JSON")


def _publish_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("run", metavar="RUN", help="a run (a unique prefix of its folder name, or `latest`) or a LoRA file")
    p.add_argument("--repo", required=True, help="Hugging Face model repository, user/name")
    p.add_argument("--dry-run", action="store_true", help="write the model-card folder only, upload nothing (works offline)")
    p.add_argument("--private", action="store_true", help="create the repository as private")
    p.add_argument("-o", "--output", help="model-card folder (default: RUN/publish)")
    p.add_argument("--license", help="license id for the card, e.g. creativeml-openrail-m (default: none stated)")
    p.add_argument("--weight", type=float, default=0.8, help="LoRA weight in the usage examples (default 0.8)")
    p.add_argument("--json", action="store_true", help="print the folder, files and URL as JSON")


COMMANDS = [
    Command("validate", "validate", "check a preset, its dataset folders and the compiled options",
            "orchestrator validate presets/captain.toml --set training.epochs=5", _validate_args),
    Command("plan", "plan", "show subjects, buckets and the exact step count sd-scripts will train",
            "orchestrator plan presets/captain.toml --json", _plan_args),
    Command("compile", "compile_cmd", "write the sd-scripts TOMLs and launch command for a preset",
            "orchestrator compile presets/captain.toml -o build/captain", _compile_args),
    Command("schema", "schema_cmd", "print the preset JSON Schema (for editor validation)",
            "orchestrator schema > orchestrator.schema.json", _schema_args),
    Command("presets", "presets_cmd", "list or copy the shipped presets",
            "orchestrator presets copy captain my-lora.toml", _presets_args),
    Command("trainer", "trainer_cmd", "check the real trainer's installation (sd-scripts)",
            "orchestrator trainer doctor", _trainer_args),
    Command("tag", "tag_cmd", "auto-caption images with an ONNX tagger (WD14, DeepDanbooru); dry run unless --write",
            "orchestrator tag datasets/captain/hxh --model SmilingWolf/wd-vit-tagger-v3 --mode merge --write", _tag_args),
    Command("run", "run_cmd", "train a preset under supervision into a new run folder",
            "orchestrator run presets/demo.toml --set training.epochs=2", _run_args),
    Command("runs", "runs_cmd", "list, show, compare, rerun, resume or delete runs",
            "orchestrator runs show latest", _runs_args),
    Command("dataset", "dataset_cmd", "check a dataset: images, captions, duplicates, buckets, triggers",
            "orchestrator dataset check presets/captain.toml", _dataset_args),
    Command("captions", "captions_cmd", "edit captions (prepend trigger, add/remove/replace tags) or count tags",
            "orchestrator captions prepend-trigger presets/captain.toml --write", _captions_args),
    Command("lora", "lora_cmd", "inspect a LoRA (metadata, norms, health), resize or merge it with sd-scripts' scripts",
            "orchestrator lora inspect latest", _lora_args),
    Command("eval", "eval_cmd", "fixed-seed grid over epochs x weights x prompts: contact sheet and scorecard",
            "orchestrator eval latest --weights 0 0.5 1", _eval_args),
    Command("export", "export_cmd", "A1111/Forge prompt snippet or ComfyUI workflow for a trained LoRA",
            "orchestrator export comfyui latest -o workflow.json", _export_args),
    Command("publish", "publish_cmd", "write a Hugging Face model card folder for a run and upload it",
            "orchestrator publish latest --repo alice/captain-lora --dry-run", _publish_args),
]  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="orchestrator",
        description="Checked, reproducible LoRA training with kohya-ss sd-scripts, from one TOML preset.",
        epilog="Example: orchestrator plan presets/captain.toml",
    )
    from orchestrator import __version__

    parser.add_argument("--version", action="version", version=f"orchestrator {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        p = sub.add_parser(
            command.name,
            help=command.help,
            description=command.help[0].upper() + command.help[1:] + ".",
            epilog=f"Example: {command.example}",
        )
        command.arguments(p)
        p.set_defaults(_command=command)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    command: Command | None = getattr(args, "_command", None)
    if command is None:
        parser.print_help()
        return EXIT_INVALID
    module = importlib.import_module(f"orchestrator.commands.{command.module}")
    from orchestrator.problems import ProjectInvalid

    try:
        return int(module.run(args))
    except ProjectInvalid as exc:
        from orchestrator.commands.common import print_problems

        print_problems(exc.problems)
        return EXIT_INVALID
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except OSError as exc:
        if exc.filename is None:  # not about a path the user gave: treat it as a bug below
            return _internal_error()
        from orchestrator.commands.common import print_problems

        print_problems([_os_problem(exc)])
        return EXIT_INVALID
    except Exception:  # a bug, not a user mistake: show it and ask for a report
        return _internal_error()


def _internal_error() -> int:
    import traceback

    traceback.print_exc()
    print(
        "\norchestrator hit an internal error (a bug, not a problem with your preset). "
        "Please report it with the traceback above.",
        file=sys.stderr,
    )
    return EXIT_BUG


def _os_problem(exc: OSError):  # noqa: ANN202 - Problem, imported lazily
    """A file-system failure on a named path (missing folder, no permission, disk full): the
    user's to fix, so one line naming the path instead of a traceback."""
    import errno

    from orchestrator.problems import Problem

    fixes = {
        errno.ENOENT: "Check that the path and its parent folders exist",
        errno.EACCES: "Check the permissions of the path, or choose another place",
        errno.EPERM: "Check the permissions of the path, or choose another place",
        errno.EROFS: "The file system is read-only: choose another place",
        errno.ENOSPC: "The disk is full: free some space and try again",
        errno.EISDIR: "Give a file, not a folder",
        errno.ENOTDIR: "A part of the path is a file, not a folder: check the path",
    }
    where = str(exc.filename) + (f" -> {exc.filename2}" if exc.filename2 else "")
    return Problem(where, exc.strerror or str(exc), fixes.get(exc.errno or 0, "Check the path and try again"), code="os-error")
