"""`orchestrator lora inspect|resize|merge`: look into a trained LoRA, change its rank, combine LoRAs."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from orchestrator.commands.common import console, print_json, print_problems
from orchestrator.problems import Problem, ProjectInvalid


def _num(value: float | int | None) -> str:
    return "-" if value is None else f"{value:g}"


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def _render(inspection) -> None:  # an orchestrator.lora.inspect.Inspection
    out = console()
    lora, s = inspection.lora, inspection.summary
    dtypes = ", ".join(f"{k}×{v}" for k, v in inspection.dtypes.items()) or "-"
    out.print(f"[bold]{escape(lora.path.name)}[/]  {_size(lora.size)} · {lora.format} · "
              f"{len(lora.tensors)} tensors · {inspection.health.modules} modules · {dtypes}")  # fmt: skip
    meta = Table(box=None, show_header=False, pad_edge=False)
    meta.add_column(style="bold", no_wrap=True)
    meta.add_column(overflow="fold")
    args = f"  args {s.network_args}" if s.network_args else ""
    meta.add_row("network", escape(f"{s.network_module or '-'}  dim {_num(s.network_dim)}  alpha {_num(s.network_alpha)}  "
                                   f"scale alpha/dim {_num(inspection.effective_scale)}{args}"))  # fmt: skip
    base = ", ".join(v for v in (s.base_model_version, s.architecture) if v)
    meta.add_row("base model", escape(f"{s.base_model or '-'}" + (f"  ({base})" if base else "")))
    epochs = f"epoch {_num(s.epoch)}/{_num(s.epochs)}" if s.epoch is not None else ""
    meta.add_row("training", escape(f"{_num(s.steps)} steps  {epochs}  resolution {s.resolution or '-'}  {_num(s.train_images)} images"))
    meta.add_row("learning", escape(f"lr {_num(s.learning_rate)} · unet {_num(s.unet_lr)} · text encoder {_num(s.text_encoder_lr)}"
                                    f" · {s.optimizer or '-'} · {s.lr_scheduler or '-'}"))  # fmt: skip
    if s.trainer:
        meta.add_row("trainer", escape(s.trainer))
    if s.comment:
        meta.add_row("comment", escape(s.comment))
    triggers = ", ".join(s.trigger_words) or "- (none recorded)"
    meta.add_row("trigger words", escape(triggers) + (f" [dim](from {escape(s.trigger_source)})[/]" if s.trigger_source else ""))
    for d in s.datasets:
        tags = ", ".join(f"{t} {c}" for t, c in d.top_tags)
        meta.add_row(f"  {escape(d.name)}", escape(f"×{_num(d.repeats)}  {_num(d.images)} images  top tags: {tags or '-'}"))
    out.print(meta)
    blocks = Table(box=None, pad_edge=False, title=None)
    for column in ("block", "modules", "rank", "scale", "‖ΔW‖", "mean |up|", "max |up|", "zero"):
        blocks.add_column(column, justify="left" if column == "block" else "right", no_wrap=True)
    for b in inspection.blocks:
        zero = f"[red]{b.zero_modules}[/]" if b.zero_modules else "0"
        blocks.add_row(b.block, str(b.modules), ",".join(map(str, b.ranks)) or "-", ",".join(f"{v:g}" for v in b.scales) or "-",
                       f"{b.delta_norm:.4g}", f"{b.up_mean:.3g}", f"{b.up_max:.3g}", zero)  # fmt: skip
    out.print(blocks)
    health = inspection.health
    style = {"ok": "bold green", "warning": "bold yellow", "error": "bold red"}[health.state]
    out.print(f"health: [{style}]{health.state}[/]")
    if health.problems:
        print_problems(health.problems, stderr=False)


def cmd_inspect(args: argparse.Namespace) -> int:
    from orchestrator.lora.inspect import inspect
    from orchestrator.lora.reader import read_lora
    from orchestrator.lora.target import resolve_target

    path, _ = resolve_target(args.target)
    inspection = inspect(read_lora(path, allow_pickle=args.allow_pickle))
    if args.json:
        print_json(inspection.to_json(raw_metadata=args.metadata))
    else:
        _render(inspection)
        if args.metadata:
            table = Table(box=None, pad_edge=False, show_header=False)
            table.add_column(no_wrap=True)
            table.add_column(overflow="fold")
            for key, value in sorted(inspection.lora.metadata.items()):
                table.add_row(escape(key), escape(value if len(value) < 400 else value[:400] + "…"))
            console().print(table)
    return 1 if inspection.health.state == "error" else 0


def _output(path: str, force: bool) -> Path:
    out = Path(path)
    if out.exists() and not force:
        raise ProjectInvalid([Problem(str(out), "already exists", "Choose another -o, or pass --force to overwrite")])
    if out.suffix.lower() != ".safetensors":
        raise ProjectInvalid([Problem(str(out), "the output must be a .safetensors file", "Name it NAME.safetensors")])
    return out


def _execute(call, dry_run: bool, out: Path) -> int:
    from orchestrator.backends.sdscripts import scripts

    console(stderr=True).print("[dim]$ " + escape(" ".join(call.argv)) + "[/]")
    if dry_run:
        return 0
    code = scripts.run(call)
    if code != 0:
        print_problems([Problem(out.name, f"sd-scripts' script exited with code {code}", "See its output above")])
        return 1
    console().print(f"wrote {escape(str(out))}  (check it: orchestrator lora inspect {escape(str(out))})")
    return 0


def cmd_resize(args: argparse.Namespace) -> int:
    from orchestrator.backends.sdscripts import scripts
    from orchestrator.lora.target import resolve_target

    source, _ = resolve_target(args.target)
    if not source.is_file():
        raise ProjectInvalid([Problem(str(source), "no such file")])
    _kohya_headers([source])
    out = _output(args.output, args.force)
    inst = scripts.installation("lora resize")
    call = scripts.resize_call(inst, source, out, args.rank, conv_rank=args.conv_rank, save_precision=args.save_precision,
                               device=args.device, dynamic_method=args.dynamic_method, dynamic_param=args.dynamic_param,
                               verbose=args.verbose)  # fmt: skip
    return _execute(call, args.dry_run, out)


def _kohya_headers(paths: list[Path]) -> list[dict]:
    """Each input's header. sd-scripts' scripts read kohya LoRA only; anything else fails deep
    inside them (or, for resize, writes a file of nothing), so every input is checked first."""
    from orchestrator.lora.reader import lora_header

    headers, problems = [], []
    for path in paths:
        try:
            headers.append(lora_header(path, lycoris=False))
        except ProjectInvalid as exc:
            problems += exc.problems
    if problems:
        raise ProjectInvalid(problems)
    return headers


def _is_sdxl(header: dict) -> bool:
    version = (header.get("__metadata__") or {}).get("ss_base_model_version", "")
    return version.startswith("sdxl") or any(k.startswith(("lora_te1_", "lora_te2_")) for k in header)


def cmd_merge(args: argparse.Namespace) -> int:
    from orchestrator.backends.sdscripts import scripts
    from orchestrator.lora.target import resolve_target

    models = [resolve_target(ref)[0] for ref in args.models]
    missing = [Problem(str(m), "no such file") for m in models if not m.is_file()]
    if missing:
        raise ProjectInvalid(missing)
    headers = _kohya_headers(models)
    ratios = args.ratios or [1.0] * len(models)
    out = _output(args.output, args.force)
    sdxl = [_is_sdxl(h) for h in headers]
    if len(set(sdxl)) > 1:
        raise ProjectInvalid([Problem("MODELS", "mixes SDXL and SD 1.x/2.x LoRAs", "Merge LoRAs of one model family")])
    inst = scripts.installation("lora merge")
    call = scripts.merge_call(inst, models, ratios, out, sdxl=sdxl[0], concat=not args.same_rank,
                              precision=args.precision, save_precision=args.save_precision)  # fmt: skip
    return _execute(call, args.dry_run, out)


def run(args: argparse.Namespace) -> int:
    actions = {"inspect": cmd_inspect, "resize": cmd_resize, "merge": cmd_merge}
    return actions[args.action](args)
