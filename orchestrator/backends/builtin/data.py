"""Images, captions, buckets and batches, the way sd-scripts' DreamBoothDataset builds them.

Scanning uses the shared `list_images`/`image_size` (the trainer's glob and header
sizes), bucket choice the shared `BucketSelector`, reg balancing the shared step
arithmetic, so the numbers printed here are `plan_steps`' numbers by construction.
Per epoch the buckets and the batch order are shuffled from `seed + epoch` (a private
RNG), so a resumed run sees the same batches as an uninterrupted one; caption shuffle,
dropout and flips draw from Python's `random`, whose state is saved with the run.
"""

from __future__ import annotations

import logging
import math
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.backends.builtin.dataset_config import DatasetConfig, SubsetConfig
from orchestrator.compile.buckets import BucketSelector, BucketSettings, Size
from orchestrator.compile.steps import DatasetSpec, SubsetImages, balanced_reg_repeats
from orchestrator.dataset.scan import image_size, list_images

log = logging.getLogger("orchestrator.builtin")


@dataclass
class ImageItem:
    path: Path
    size: Size
    caption: str
    subset: SubsetConfig
    repeats: int
    bucket: Size = (0, 0)
    resized: Size = (0, 0)


@dataclass
class LoadedDataset:
    config: DatasetConfig
    subsets: list[SubsetConfig] = field(default_factory=list)  # kept subsets, in order
    img_counts: list[int] = field(default_factory=list)
    subset_sizes: list[tuple[Size, ...]] = field(default_factory=list)
    items: list[ImageItem] = field(default_factory=list)  # train images, then the reg images in use
    num_train_images: int = 0
    num_reg_images: int = 0
    tag_frequency: dict[str, dict[str, int]] = field(default_factory=dict)
    buckets: list[tuple[Size, list[int]]] = field(default_factory=list)  # (resolution, item index per repeat)
    mean_ar_error: float = 0.0

    @property
    def bucket_info(self) -> dict | None:
        if not self.config.enable_bucket:
            return None
        return {"buckets": {i: {"resolution": list(r), "count": len(ix)} for i, (r, ix) in enumerate(self.buckets)},
                "mean_img_ar_error": self.mean_ar_error}

    def spec(self) -> DatasetSpec:
        subsets = tuple(SubsetImages(s.image_dir, sizes, s.num_repeats, s.is_reg)
                        for s, sizes in zip(self.subsets, self.subset_sizes))
        return DatasetSpec(subsets, bucket_settings(self.config), self.config.batch_size)


def bucket_settings(cfg: DatasetConfig) -> BucketSettings:
    return BucketSettings(cfg.resolution, cfg.enable_bucket, cfg.min_bucket_reso, cfg.max_bucket_reso,
                          cfg.bucket_reso_steps, cfg.bucket_no_upscale)


def read_caption(image: Path, extension: str, wildcard: bool) -> str | None:
    path = image.with_name(image.stem + extension)
    if not path.is_file():
        return None
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise ValueError(f"illegal char in file (not UTF-8) / ファイルにUTF-8以外の文字があります: {path}") from exc
    if not lines:
        raise ValueError(f"caption file is empty / キャプションファイルが空です: {path}")
    if wildcard:
        return "\n".join(line.strip() for line in lines if line.strip())
    return lines[0].strip()


def _tag_frequency(captions: list[str]) -> dict[str, int]:
    freq: dict[str, int] = {}
    for caption in captions:
        for tag in caption.split(","):
            tag = tag.strip().lower()
            if tag:
                freq[tag] = freq.get(tag, 0) + 1
    return freq


def _resized_size(selector: BucketSelector, size: Size, bucket: Size) -> Size:
    w, h = size
    settings = selector.settings
    if settings.enabled and settings.no_upscale and w * h <= settings.resolution[0] * settings.resolution[1]:
        return (w, h)  # kept as is, only cropped to its bucket
    scale = max(bucket[0] / w, bucket[1] / h)  # cover the bucket (sd-scripts' rule), then crop
    return (int(w * scale + 0.5), int(h * scale + 0.5))


def _check_unbucketed(ds: "LoadedDataset") -> None:
    """Without buckets sd-scripts neither resizes nor pads: sizes must fit (checked up front here)."""
    width, height = ds.config.resolution
    for item in ds.items:
        w, h = item.size
        if (w < width or h < height) or ((w > width or h > height) and not item.subset.random_crop):
            raise ValueError(
                f"image is {w}x{h} but resolution is {width}x{height} and enable_bucket is false: sd-scripts "
                f"only crops larger images with random_crop ({item.path}). Enable buckets or resize the images.")


def load_dataset(cfg: DatasetConfig) -> LoadedDataset:
    """Scan every subset, read captions, balance reg images and fill the buckets."""
    ds = LoadedDataset(cfg)
    reg: list[tuple[SubsetImages, int]] = []
    reg_items: list[ImageItem] = []
    for subset in cfg.subsets:
        if subset.num_repeats < 1:
            log.warning(f"ignore subset with image_dir='{subset.image_dir}': num_repeats is less than 1")
            continue
        directory = Path(subset.image_dir)
        if not directory.is_dir():
            log.warning(f"not directory: {subset.image_dir}")
        paths = list_images(directory)
        log.info(f"found directory {subset.image_dir} contains {len(paths)} image files")
        if not paths:
            log.warning(f"ignore subset with image_dir='{subset.image_dir}': no images found")
            continue
        captions, missing = [], []
        for path in paths:
            caption = read_caption(path, subset.caption_extension, subset.enable_wildcard)
            if caption is None:
                missing.append(path)
                if subset.class_tokens is None:
                    log.warning(f"neither caption file nor class tokens are found. use empty caption for {path}")
                caption = subset.class_tokens or ""
            captions.append(caption)
        if missing:
            log.warning(f"No caption file found for {len(missing)} images. Training will continue without captions "
                        "for these images. If class token exists, it will be used.")
        name = directory.name
        ds.tag_frequency.setdefault(name, {})
        for tag, n in _tag_frequency(captions).items():
            ds.tag_frequency[name][tag] = ds.tag_frequency[name].get(tag, 0) + n
        sizes = [image_size(p) for p in paths]
        items = [ImageItem(p, s, c, subset, subset.num_repeats) for p, s, c in zip(paths, sizes, captions)]
        if subset.is_reg:
            ds.num_reg_images += subset.num_repeats * len(paths)
            images = SubsetImages(subset.image_dir, tuple(sizes), subset.num_repeats, True)
            reg.extend((images, i) for i in range(len(paths)))
            reg_items.extend(items)
        else:
            ds.num_train_images += subset.num_repeats * len(paths)
            ds.items.extend(items)
        ds.subsets.append(subset)
        ds.img_counts.append(len(paths))
        ds.subset_sizes.append(tuple(sizes))
    log.info(f"{ds.num_train_images} train images with repeats.")
    log.info(f"{ds.num_reg_images} reg images with repeats.")
    if reg:
        if ds.num_train_images < ds.num_reg_images:
            log.warning("some of reg images are not used / 正則化画像の数が多いので、一部使用されない正則化画像があります")
        for item, repeats in zip(reg_items, balanced_reg_repeats(reg, ds.num_train_images)):
            if repeats:
                item.repeats = repeats
                ds.items.append(item)
    else:
        log.warning("no regularization images / 正則化画像が見つかりませんでした")
    if not cfg.enable_bucket:
        _check_unbucketed(ds)
    _fill_buckets(ds)
    return ds


def _fill_buckets(ds: LoadedDataset) -> None:
    selector = BucketSelector(bucket_settings(ds.config))
    log.info("make buckets" if ds.config.enable_bucket else "prepare dataset")
    members: dict[Size, list[int]] = {}
    errors = []
    for index, item in enumerate(ds.items):
        item.bucket, err = selector.select(*item.size)
        if 0 in item.bucket:  # sd-scripts dies here with a bare ZeroDivisionError; say which image
            raise ValueError(f"image {item.path} ({item.size[0]}x{item.size[1]}) gets a 0-pixel bucket with "
                             f"bucket_no_upscale at this resolution and bucket_reso_steps")  # fmt: skip
        # without buckets sd-scripts never resizes (sizes were checked), it only crops
        item.resized = _resized_size(selector, item.size, item.bucket) if ds.config.enable_bucket else item.size
        errors.append(abs(err))
        members.setdefault(item.bucket, []).extend([index] * item.repeats)
    ds.buckets = sorted(members.items())
    ds.mean_ar_error = sum(errors) / len(errors) if errors else 0.0
    if ds.config.enable_bucket:
        log.info("number of images (including repeats) / 各bucketの画像枚数（繰り返し回数を含む）")
        for i, (reso, indices) in enumerate(ds.buckets):
            log.info(f"bucket {i}: resolution {reso}, count: {len(indices)}")
        log.info(f"mean ar error (without repeats): {ds.mean_ar_error}")


@dataclass(frozen=True)
class BatchRef:
    dataset: int
    items: tuple[int, ...]


def epoch_batches(datasets: list[LoadedDataset], seed: int, epoch: int) -> list[BatchRef]:
    """This epoch's batches: buckets shuffled, cut into batches, batch order shuffled."""
    rng = random.Random(seed + epoch)
    batches: list[BatchRef] = []
    for d, ds in enumerate(datasets):
        size = ds.config.batch_size
        for _reso, indices in ds.buckets:
            order = list(indices)
            rng.shuffle(order)
            for b in range(math.ceil(len(order) / size)):
                batches.append(BatchRef(d, tuple(order[b * size:(b + 1) * size])))
    rng.shuffle(batches)
    return batches


# --- captions: sd-scripts' process_caption, in our words -----------------------------

def _wildcards(caption: str) -> str:
    if "\n" in caption:
        caption = random.choice(caption.split("\n"))
    open_mark, close_mark = "⦅", "⦆"
    while open_mark in caption or close_mark in caption:
        open_mark, close_mark = open_mark + "⦅", close_mark + "⦆"
    caption = caption.replace("{{", open_mark).replace("}}", close_mark)
    caption = re.sub(r"\{([^}]+)\}", lambda m: random.choice(m.group(1).split("|")), caption)
    return caption.replace(open_mark, "{").replace(close_mark, "}")


def process_caption(subset: SubsetConfig, caption: str, epoch: int) -> str:
    if subset.caption_prefix:
        caption = subset.caption_prefix + " " + caption
    if subset.caption_suffix:
        caption = caption + " " + subset.caption_suffix
    dropped = subset.caption_dropout_rate > 0 and random.random() < subset.caption_dropout_rate
    every = subset.caption_dropout_every_n_epochs
    if dropped or every > 0 and epoch % every == 0:
        return ""
    caption = _wildcards(caption) if subset.enable_wildcard else caption.split("\n")[0]
    if subset.shuffle_caption or subset.caption_tag_dropout_rate > 0:
        sep = subset.caption_separator
        fixed, flex, suffix = [], [], []
        marker = subset.keep_tokens_separator
        if marker and marker in caption:
            fixed_part, flex_part = caption.split(marker, 1)
            if marker in flex_part:
                flex_part, suffix_part = flex_part.split(marker, 1)
                suffix = [t.strip() for t in suffix_part.split(sep) if t.strip()]
            fixed = [t.strip() for t in fixed_part.split(sep) if t.strip()]
            flex = [t.strip() for t in flex_part.split(sep) if t.strip()]
        else:
            tokens = [t.strip() for t in caption.strip().split(sep)]
            flex = tokens[:]
            if subset.keep_tokens > 0:
                fixed, flex = tokens[:subset.keep_tokens], tokens[subset.keep_tokens:]
        if subset.shuffle_caption:
            random.shuffle(flex)
        if subset.caption_tag_dropout_rate > 0:
            flex = [t for t in flex if random.random() >= subset.caption_tag_dropout_rate]
        caption = ", ".join(fixed + flex + suffix)
    if subset.secondary_separator:
        caption = caption.replace(subset.secondary_separator, subset.caption_separator)
    return caption
