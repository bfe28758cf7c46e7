"""Why a run failed, in plain language with the fix (facts §8). Unknown → the last 30 lines.

Rules are tried in order against the trainer's log lines (newest first within a rule,
so the root error wins over the launcher's re-raise); the first that matches explains
the failure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

TAIL_LINES = 30


@dataclass(frozen=True)
class Diagnosis:
    code: str
    cause: str
    fix: str
    evidence: str = ""
    tail: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Rule:
    code: str
    pattern: re.Pattern[str]
    cause: str
    fix: str


def _rule(code: str, pattern: str, cause: str, fix: str) -> Rule:
    return Rule(code, re.compile(pattern, re.IGNORECASE), cause, fix)


RULES: tuple[Rule, ...] = (
    _rule("out-of-memory", r"CUDA out of memory|OutOfMemoryError|CUBLAS_STATUS_ALLOC_FAILED|MPS backend out of memory",
          "the GPU ran out of memory",
          "Lower training.batch_size or training.resolution, set training.gradient_checkpointing = true and "
          "training.cache_latents = true, use optimizer AdamW8bit and mixed_precision bf16/fp16"),
    _rule("disk-full", r"No space left on device|\[Errno 28\]",
          "the disk is full", "Free space where the run folder and the Hugging Face cache live, or set save_last_n_epochs"),
    _rule("no-data", r"No data found\. Please verify arguments",
          "sd-scripts found no training images (it exits 0 having trained nothing)",
          "Check subjects[].images points at a folder of .png/.jpg/.webp images (orchestrator validate shows the inventory)"),
    _rule("caption-encoding", r"illegal char in file \(not UTF-8\)", "a caption file is not UTF-8 text",
          "Re-save the caption named above as UTF-8"),
    _rule("caption-empty", r"caption file is empty", "a caption file is empty",
          "Write a caption into it or delete it (the class token is used then)"),
    _rule("size-mismatch", r"size mismatch for|Error\(s\) in loading state_dict|Missing key\(s\) in state_dict|Unexpected key\(s\) in state_dict",
          "the base model does not fit the training script (wrong model family: SD 1.x / SD 2.x / SDXL)",
          "Set model.family to the checkpoint's family (sdxl → sdxl_train_network.py, sd2 → --v2) and v_parameterization for 768-v models"),
    _rule("model-not-found", r"model is not found as a file or in Hugging Face|No such file or directory: .*\.(safetensors|ckpt)",
          "the base model file was not found", "Fix model.base (a local path, or hf://owner/repo/file.safetensors)"),
    _rule("offline-download", r"Can't load tokenizer for|couldn't connect to 'https://huggingface.co'|LocalEntryNotFoundError|"
          r"OfflineModeIsEnabled|outgoing traffic has been disabled|Failed to establish a new connection|Max retries exceeded with url",
          "the trainer tried to download a tokenizer or model and could not (offline or blocked)",
          "Fill the Hugging Face cache beforehand (or sd-scripts' --tokenizer_cache_dir) and keep HF_HUB_OFFLINE=1"),
    _rule("missing-xformers", r"No xformers|No module named 'xformers'", "xformers is not installed in the trainer's environment",
          "Use training.attention = \"sdpa\" or pip install xformers matching your torch"),
    _rule("missing-bitsandbytes", r"No bitsandbytes|No module named 'bitsandbytes'",
          "bitsandbytes is not installed (needed by 8-bit optimizers)", "pip install bitsandbytes, or use optimizer AdamW"),
    _rule("accelerate-config", r"mixed precision requires a GPU|default_config\.yaml|accelerate config|"
          r"requires a GPU \(not 'cpu'\)|ValueError: .*num_processes",
          "accelerate refused the launch settings (often a stale accelerate config or no GPU for fp16/bf16)",
          "Set training.mixed_precision = \"no\" on a CPU; orchestrator passes every accelerate flag, so remove "
          "~/.cache/huggingface/accelerate/default_config.yaml if it still interferes"),
    _rule("missing-module", r"No module named '([\w.]+)'", "a Python package is missing from the trainer's environment",
          "Install it into the trainer's Python (see the module name above)"),
)  # fmt: skip

NAN = Diagnosis(
    "nan-loss",
    "the loss became NaN (training diverged; the LoRA would be useless)",
    "Lower the learning rate, use mixed_precision bf16 instead of fp16, and for SDXL keep the VAE in fp32 (no_half_vae)",
)
NO_OUTPUT = Diagnosis(
    "no-final-lora",
    "the trainer exited without error but wrote no final LoRA",
    "Read logs/trainer.log; check training.epochs/max steps and output settings",
)


def diagnose(lines: Sequence[str], *, nan: bool = False, exited_clean_without_output: bool = False) -> Diagnosis:
    if nan:
        return NAN
    for rule in RULES:
        for line in reversed(lines):
            if rule.pattern.search(line):
                return Diagnosis(rule.code, rule.cause, rule.fix, evidence=line.strip()[:500])
    tail = [line for line in lines if line.strip()][-TAIL_LINES:]
    if exited_clean_without_output:
        return Diagnosis(NO_OUTPUT.code, NO_OUTPUT.cause, NO_OUTPUT.fix, tail=tail)
    return Diagnosis("unknown", "the trainer failed for a reason orchestrator does not recognise",
                     "Read the last lines below (full output in logs/trainer.log)", tail=tail)  # fmt: skip
