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
    p.add_argument("--allow-pickle", action="store_true", help="accept .ckpt/.pt checkpoints (they can run code)")


def _schema_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--markdown", action="store_true", help="print the preset reference as Markdown instead")


def _presets_args(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    sub.add_parser("list", help="list the shipped presets (the default)")
    copy = sub.add_parser("copy", help="copy a shipped preset to edit it")
    copy.add_argument("name", help="preset name, e.g. captain")
    copy.add_argument("destination", help="file to write, e.g. my-lora.toml")


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
