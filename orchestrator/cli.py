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
    except Exception:  # a bug, not a user mistake: show it and ask for a report
        import traceback

        traceback.print_exc()
        print(
            "\norchestrator hit an internal error (a bug, not a problem with your preset). "
            "Please report it with the traceback above.",
            file=sys.stderr,
        )
        return EXIT_BUG
