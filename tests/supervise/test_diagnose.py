"""Known failure texts (facts §8) map to a cause and a fix; anything else shows the last 30 lines."""

from __future__ import annotations

import pytest

from orchestrator.supervise.diagnose import TAIL_LINES, diagnose

CASES = [
    ("torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 20.00 MiB", "out-of-memory"),
    ("No data found. Please verify arguments (train_data_dir must be the parent of folders with images) / 画像", "no-data"),
    ("illegal char in file (not UTF-8) / ファイルにUTF-8以外の文字があります: /d/a.txt", "caption-encoding"),
    ("AssertionError: caption file is empty / キャプションファイルが空です: /d/a.caption", "caption-empty"),
    ("\tsize mismatch for down_blocks.0.attentions.0.proj_in.weight: copying a param with shape", "size-mismatch"),
    ("ValueError: fp16 mixed precision requires a GPU (not 'cpu').", "accelerate-config"),
    ("ImportError: No xformers / xformersがインストールされていないようです", "missing-xformers"),
    ("ImportError: No bitsandbytes / bitsandbytesがインストールされていないようです", "missing-bitsandbytes"),
    ("ValueError: model is not found as a file or in Hugging Face, perhaps file name is wrong? / x: /m.safetensors", "model-not-found"),
    ("OSError: Can't load tokenizer for 'openai/clip-vit-large-patch14'. If you were trying to load it", "offline-download"),
    ("OSError: [Errno 28] No space left on device", "disk-full"),
    ("ModuleNotFoundError: No module named 'prodigyopt'", "missing-module"),
]


@pytest.mark.parametrize(("line", "code"), CASES)
def test_known_failures(line: str, code: str) -> None:
    found = diagnose(["INFO     preparing accelerator", line, "subprocess.CalledProcessError: Command ... exit status 1."])
    assert found.code == code and found.fix and found.evidence


def test_nan_wins_and_unknown_shows_the_tail() -> None:
    assert diagnose(["anything"], nan=True).code == "nan-loss"
    lines = [f"line {i}" for i in range(100)]
    unknown = diagnose(lines)
    assert unknown.code == "unknown" and unknown.tail == lines[-TAIL_LINES:]
    assert diagnose(lines, exited_clean_without_output=True).code == "no-final-lora"
