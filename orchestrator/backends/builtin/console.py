"""sd-scripts' console grammar (facts §6): log lines, the dataset block and the training summary.

Log lines go to stderr as `LEVEL message` (with `console_log_simple`: bare messages on
stdout); `accelerator.print` output (summary, `epoch i/E`, `saving checkpoint:`)
goes to stdout; the tqdm `steps:` bar to stderr.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from orchestrator.backends.builtin.dataset_config import DatasetConfig

LOGGER_NAME = "orchestrator.builtin"


def setup_logging(args: dict[str, Any]) -> logging.Logger:
    log = logging.getLogger(LOGGER_NAME)
    log.handlers.clear()
    simple = bool(args.get("console_log_simple"))
    handler = logging.StreamHandler(sys.stdout if simple else sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s" if simple else "%(levelname)-8s %(message)s"))
    log.addHandler(handler)
    log.setLevel(args.get("console_log_level") or "INFO")
    log.propagate = False
    return log


def out(text: str = "") -> None:
    """accelerator.print: stdout, flushed so a supervising parser sees it at once."""
    print(text, flush=True)


def dataset_block(configs: list[DatasetConfig], img_counts: list[list[int]]) -> str:
    lines = []
    for i, ds in enumerate(configs):
        lines += [f"[Dataset {i}]", f"  batch_size: {ds.batch_size}", f"  resolution: {ds.resolution}",
                  f"  resize_interpolation: {ds.resize_interpolation}", f"  enable_bucket: {ds.enable_bucket}"]
        if ds.enable_bucket:
            lines += [f"  min_bucket_reso: {ds.min_bucket_reso}", f"  max_bucket_reso: {ds.max_bucket_reso}",
                      f"  bucket_reso_steps: {ds.bucket_reso_steps}", f"  bucket_no_upscale: {ds.bucket_no_upscale}"]
        lines.append("")
        for j, s in enumerate(ds.subsets):
            count = img_counts[i][j] if j < len(img_counts[i]) else 0
            lines += [f"  [Subset {j} of Dataset {i}]", f'    image_dir: "{s.image_dir}"', f"    image_count: {count}",
                      f"    num_repeats: {s.num_repeats}", f"    shuffle_caption: {s.shuffle_caption}",
                      f"    keep_tokens: {s.keep_tokens}", f"    caption_dropout_rate: {s.caption_dropout_rate}",
                      f"    caption_dropout_every_n_epochs: {s.caption_dropout_every_n_epochs}",
                      f"    caption_tag_dropout_rate: {s.caption_tag_dropout_rate}",
                      f"    caption_prefix: {s.caption_prefix}", f"    caption_suffix: {s.caption_suffix}",
                      f"    color_aug: {s.color_aug}", f"    flip_aug: {s.flip_aug}",
                      f"    face_crop_aug_range: {s.face_crop_aug_range}", f"    random_crop: {s.random_crop}",
                      f"    is_reg: {s.is_reg}", f"    class_tokens: {s.class_tokens}",
                      f"    caption_extension: {s.caption_extension}", ""]
    return "\n".join(lines)


def summary(num_train: int, num_reg: int, batches: int, epochs: int, batch_sizes: list[int], ga: int, steps: int) -> None:
    out("running training / 学習開始")
    out(f"  num train images * repeats / 学習画像の数×繰り返し回数: {num_train}")
    out("  num validation images * repeats / 学習画像の数×繰り返し回数: 0")
    out(f"  num reg images / 正則化画像の数: {num_reg}")
    out(f"  num batches per epoch / 1epochのバッチ数: {batches}")
    out(f"  num epochs / epoch数: {epochs}")
    out(f"  batch size per device / バッチサイズ: {', '.join(str(b) for b in batch_sizes)}")
    out(f"  gradient accumulation steps / 勾配を合計するステップ数 = {ga}")
    out(f"  total optimization steps / 学習ステップ数: {steps}")
