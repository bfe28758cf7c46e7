"""Turn a batch reference into tensors: resized/cropped images, processed captions, loss weights.

Resizing follows sd-scripts' rule (area filter when shrinking, Lanczos when
enlarging; Pillow's BOX stands in for OpenCV's INTER_AREA), then a centre crop to the
bucket (random with `random_crop`), an optional horizontal flip, and scaling to
[-1, 1].
"""

from __future__ import annotations

import random

import numpy as np
import torch
from PIL import Image

from orchestrator.backends.builtin.data import BatchRef, ImageItem, LoadedDataset, process_caption


def load_image(item: ImageItem, flip: bool) -> torch.Tensor:
    with Image.open(item.path) as img:
        img = img.convert("RGB")
        if img.size != item.resized:
            shrinking = img.size[0] >= item.resized[0] and img.size[1] >= item.resized[1]
            img = img.resize(item.resized, Image.Resampling.BOX if shrinking else Image.Resampling.LANCZOS)
        array = np.array(img, dtype=np.uint8)
    bw, bh = item.bucket
    h, w = array.shape[:2]
    if w > bw:
        left = random.randint(0, w - bw) if item.subset.random_crop else (w - bw) // 2
        array = array[:, left:left + bw]
    if h > bh:
        top = random.randint(0, h - bh) if item.subset.random_crop else (h - bh) // 2
        array = array[top:top + bh]
    if flip:
        array = array[:, ::-1]
    tensor = torch.from_numpy(np.ascontiguousarray(array)).permute(2, 0, 1).float()
    return tensor / 127.5 - 1.0


def make_batch(datasets: list[LoadedDataset], ref: BatchRef, epoch: int, prior_loss_weight: float,
               need_images: bool = True) -> dict:
    """One batch; with cached latents (`need_images` false) only the flip draw and captions are made."""
    ds = datasets[ref.dataset]
    images, captions, weights, keys = [], [], [], []
    for index in ref.items:
        item = ds.items[index]
        weights.append(prior_loss_weight if item.subset.is_reg else 1.0)
        flip = item.subset.flip_aug and random.random() < 0.5
        if need_images:
            images.append(load_image(item, flip))
        keys.append((ref.dataset, index, flip))
        captions.append(process_caption(item.subset, item.caption, epoch))
    return {
        "images": torch.stack(images) if images else None,
        "captions": captions,
        "loss_weights": torch.tensor(weights, dtype=torch.float32),
        "keys": keys,  # (dataset, item, flipped): the latent cache key
    }
