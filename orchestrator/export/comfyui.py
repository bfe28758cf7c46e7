"""A ComfyUI workflow for a LoRA, in the API ("prompt") format, and its structural check.

Why the API format: it is the graph itself (`{"<id>": {"class_type", "inputs"}}`, a link
is `["<node id>", <output slot>]`), so it can be queued as is with `POST /prompt` and
checked exactly; ComfyUI also opens it from the menu (Workflow → Open, or drag and drop).
The graph: CheckpointLoaderSimple (the preset's test model, else the base) → LoraLoader
per LoRA → CLIPTextEncode positive/negative → EmptyLatentImage → KSampler → VAEDecode →
SaveImage.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from orchestrator.export.comfy_nodes import COMBOS, FROM_SD_SCRIPTS, NODES
from orchestrator.export.prompt import with_triggers
from orchestrator.export.source import ExportSource

Workflow = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class ExtraLora:
    file_name: str  # as ComfyUI lists it in models/loras/
    weight: float


def checkpoint_name(ref: str | None) -> tuple[str, list[str]]:
    """What CheckpointLoaderSimple's ckpt_name should say (a file in ComfyUI's models/checkpoints/), and notes."""
    if not ref:
        return "model.safetensors", ["no base or test model recorded: set ckpt_name to your checkpoint"]
    if ref.startswith("builtin:"):
        name = ref.split(":", 1)[1]
        return f"{name}.safetensors", [f"{ref} is the embedded trainer's tiny model: ComfyUI cannot load it; set ckpt_name to a real checkpoint"]
    path = PurePosixPath(ref.replace("\\", "/").removeprefix("hf://"))
    if not path.suffix:
        return f"{path.name}.safetensors", [f"{ref} is a folder or a hub repo: ComfyUI loads single checkpoint files, save it as one"]
    return path.name, []


def _link(node: str, slot: int) -> list[Any]:
    return [node, slot]


def build(
    src: ExportSource,
    *,
    weight: float = 0.8,
    extra: list[ExtraLora] | None = None,
    checkpoint: str | None = None,
    prompt: str | None = None,
    negative: str | None = None,
    seed: int | None = None,
    steps: int | None = None,
    cfg: float | None = None,
    batch_size: int = 1,
) -> tuple[Workflow, list[str]]:
    """The workflow and notes for the user (e.g. a checkpoint ComfyUI cannot load)."""
    notes: list[str] = []
    if checkpoint is None:
        checkpoint, notes = checkpoint_name(src.test_model or src.base_model)
    nodes: Workflow = {}

    def add(class_type: str, title: str, **inputs: Any) -> str:
        node_id = str(len(nodes) + 1)
        nodes[node_id] = {"class_type": class_type, "inputs": inputs, "_meta": {"title": title}}
        return node_id

    ckpt = add("CheckpointLoaderSimple", "Load Checkpoint (test model)" if src.test_model else "Load Checkpoint", ckpt_name=checkpoint)
    model, clip = _link(ckpt, 0), _link(ckpt, 1)
    for lora in [ExtraLora(src.lora.name, weight), *(extra or [])]:
        loader = add("LoraLoader", f"LoRA {lora.file_name}", model=model, clip=clip, lora_name=lora.file_name,
                     strength_model=float(lora.weight), strength_clip=float(lora.weight))  # fmt: skip
        model, clip = _link(loader, 0), _link(loader, 1)
    text = with_triggers(prompt if prompt is not None else src.prompt, src.triggers)
    positive = add("CLIPTextEncode", "Positive prompt", text=text, clip=clip)
    negative_id = add("CLIPTextEncode", "Negative prompt", text=negative if negative is not None else src.negative, clip=clip)
    latent = add("EmptyLatentImage", "Empty Latent Image", width=src.width, height=src.height, batch_size=batch_size)
    sampler = FROM_SD_SCRIPTS.get(src.sampler, "euler")
    sample = add("KSampler", "KSampler", model=model, seed=src.seed if seed is None else seed, steps=steps or src.steps,
                 cfg=float(cfg if cfg is not None else src.cfg), sampler_name=sampler, scheduler="normal",
                 positive=_link(positive, 0), negative=_link(negative_id, 0), latent_image=_link(latent, 0), denoise=1.0)  # fmt: skip
    decode = add("VAEDecode", "VAE Decode", samples=_link(sample, 0), vae=_link(ckpt, 2))
    add("SaveImage", "Save Image", images=_link(decode, 0), filename_prefix=f"lora_{src.name}")
    return nodes, notes


def _value_ok(kind: str, name: str, value: Any) -> bool:
    if kind == "INT":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "FLOAT":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "STRING":
        return isinstance(value, str)
    return value in COMBOS.get(name, ())


def validate(workflow: Workflow) -> list[str]:
    """Everything ComfyUI's prompt validation would reject, one line each (empty: valid)."""
    errors: list[str] = []
    if not isinstance(workflow, dict) or not workflow:
        return ["the workflow is empty or not an object of nodes"]
    edges: dict[str, set[str]] = {}
    for node_id, node in workflow.items():
        where = f"node {node_id}"
        if not isinstance(node, dict) or "class_type" not in node or not isinstance(node.get("inputs"), dict):
            errors.append(f"{where}: needs class_type and an inputs object")
            continue
        spec = NODES.get(node["class_type"])
        if spec is None:
            errors.append(f"{where}: unknown node type {node['class_type']!r}")
            continue
        where = f"{where} ({node['class_type']})"
        inputs = node["inputs"]
        for name in spec.inputs.keys() - inputs.keys():
            errors.append(f"{where}: required input {name!r} is missing")
        for name in inputs.keys() - spec.inputs.keys():
            errors.append(f"{where}: unknown input {name!r}")
        edges[node_id] = set()
        for name, value in inputs.items():
            kind = spec.inputs.get(name)
            if kind is None:
                continue
            if isinstance(value, list):  # a link: [node id, output slot]
                if len(value) != 2 or not isinstance(value[0], str) or not isinstance(value[1], int):
                    errors.append(f"{where}: input {name!r} is a malformed link {value!r}")
                    continue
                source = workflow.get(value[0])
                source_spec = NODES.get(source.get("class_type")) if isinstance(source, dict) else None
                if source is None:
                    errors.append(f"{where}: input {name!r} links to missing node {value[0]!r}")
                elif source_spec is None:
                    continue  # reported at that node
                elif not 0 <= value[1] < len(source_spec.outputs):
                    errors.append(f"{where}: input {name!r} links to output {value[1]} of node {value[0]}, which has {len(source_spec.outputs)}")
                elif source_spec.outputs[value[1]] != kind:
                    errors.append(f"{where}: input {name!r} wants {kind} but gets {source_spec.outputs[value[1]]} from node {value[0]}")
                else:
                    edges[node_id].add(value[0])
            elif kind not in ("INT", "FLOAT", "STRING", "COMBO"):
                errors.append(f"{where}: input {name!r} must be a link to a {kind} output, not a value")
            elif not _value_ok(kind, name, value):
                errors.append(f"{where}: input {name!r} has an invalid {kind} value {value!r}")
    outputs = [i for i, n in workflow.items() if isinstance(n, dict) and getattr(NODES.get(n.get("class_type")), "output_node", False)]
    if not outputs:
        errors.append("no output node (SaveImage): ComfyUI would refuse to run it")
    errors += _graph_errors(edges, outputs)
    return errors


def _graph_errors(edges: dict[str, set[str]], outputs: list[str]) -> list[str]:
    """No cycles, and every node feeds an output (ComfyUI silently skips the others)."""
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(node: str) -> bool:
        if state.get(node) == 1:
            return False
        if state.get(node) == 2:
            return True
        state[node] = 1
        ok = all(visit(n) for n in edges.get(node, ()))
        state[node] = 2
        return ok

    if not all(visit(n) for n in list(edges)):
        return ["the links form a cycle"]
    used: set[str] = set()
    stack = list(outputs)
    while stack:
        node = stack.pop()
        if node not in used:
            used.add(node)
            stack.extend(edges.get(node, ()))
    return [f"node {n} does not feed any output" for n in edges if n not in used]
