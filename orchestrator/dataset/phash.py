"""Perceptual hash (pHash) for near-duplicate images, over Pillow and numpy.

The image is reduced to 32×32 grey, its 2-D DCT computed for the lowest 8×8 frequencies,
and each of those 64 coefficients becomes one bit: above or below their median. Resizing,
re-encoding, mild colour or brightness changes and small crops move few bits; different
pictures differ in about half of them.

The hash sees only grey structure, so two different pictures with the same layout (a
vertical gradient with a few blobs) can come close. A second, colour signature guards
against that: the picture reduced to 4×4 RGB pixels.

The documented rule: two images are near-duplicates when their hashes differ in at most
NEAR_DUPLICATE_BITS = 10 of the 64 bits AND their colour signatures differ by at most
COLOUR_TOLERANCE = 32 (of 255) on average. Measured on the bundled captain dataset and on
generated variants: the same picture resized to half or re-saved as JPEG quality 60 differs
by 0-4 bits and < 1 in colour, brightened 15 % by 0-4 bits and 12-24 in colour, cropped 3 %
on every side by 0-10 bits and 3-7 in colour; distinct pictures of the same face or outfit
differ by 14 bits or more, and look-alike generated pictures within 10 bits differ by 42-67
in colour.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable

import numpy as np
from PIL import Image

HASH_SIZE = 8  # 8×8 low frequencies -> 64 bits
SAMPLE = 32  # side of the grey thumbnail the DCT runs over
NEAR_DUPLICATE_BITS = 10
COLOUR_TOLERANCE = 32  # mean absolute difference of the 4×4 RGB signatures, 0-255
COLOUR_SIDE = 4

# DCT-II basis of the 8 lowest frequencies over 32 samples (unnormalised): hash = C · P · Cᵀ.
_DCT = np.array([[math.cos(math.pi * (2 * x + 1) * u / (2 * SAMPLE)) for x in range(SAMPLE)]
                 for u in range(HASH_SIZE)])
_BIT_WEIGHTS = [1 << (HASH_SIZE * HASH_SIZE - 1 - i) for i in range(HASH_SIZE * HASH_SIZE)]


def reduced(img: Image.Image) -> Image.Image:
    """The picture shrunk cheaply to at least 64 px a side, in RGB: what both signatures start from."""
    # reduce() first: a box filter in C, far cheaper than converting or resampling the full image.
    factor = max(1, min(img.width, img.height) // (SAMPLE * 2))
    if factor > 1 and img.mode in ("RGB", "L", "RGBA", "LA", "CMYK"):
        img = img.reduce(factor)
    return img if img.mode == "RGB" else img.convert("RGB")


def thumbnail(img: Image.Image) -> Image.Image:
    """The 32×32 grey image the hash is computed from (call `draft` before for JPEG speed)."""
    return reduced(img).convert("L").resize((SAMPLE, SAMPLE), Image.Resampling.BILINEAR)


def phash(img: Image.Image) -> int:
    """64-bit perceptual hash of an image."""
    pixels = np.frombuffer(thumbnail(img).tobytes(), dtype=np.uint8).reshape(SAMPLE, SAMPLE).astype(np.float64)
    # coeffs[v, u]: frequency v down the columns, u along the rows; row-major order as the bits
    coeffs = (_DCT @ pixels @ _DCT.T).ravel()
    median = np.sort(coeffs[1:])[len(coeffs) // 2 - 1]  # DC excluded: it is only overall brightness
    return sum(w for w, above in zip(_BIT_WEIGHTS, (coeffs > median).tolist()) if above)


def colour_signature(img: Image.Image) -> bytes:
    """The picture as 4×4 RGB pixels (48 bytes)."""
    return reduced(img).resize((COLOUR_SIDE, COLOUR_SIDE), Image.Resampling.BOX).tobytes()


def signatures(img: Image.Image) -> tuple[int, bytes]:
    """(perceptual hash, colour signature), sharing one reduction of the picture."""
    small = reduced(img)
    return phash(small), colour_signature(small)


def colour_distance(a: bytes, b: bytes) -> float:
    return sum(map(abs, map(operator.sub, a, b))) / max(1, len(a))


def distance(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def _popcount64_swar(x: np.ndarray) -> np.ndarray:
    """Set bits of each uint64, for numpy before 2.0 (no bitwise_count)."""
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return (x * np.uint64(0x0101010101010101)) >> np.uint64(56)


popcount64 = getattr(np, "bitwise_count", _popcount64_swar)
PAIR_BLOCK = 512  # rows compared at once: 512 × n distances, a few tens of MB for 10,000 images


def near_pairs(hashes: Iterable[tuple[str, int]], max_bits: int = NEAR_DUPLICATE_BITS) -> list[tuple[str, str, int]]:
    """(key a, key b, bits) for every pair of hashes at most `max_bits` apart, a before b in input order.

    Brute force over all pairs, vectorised in blocks of rows: 10,000 images are 50 million
    comparisons, a fraction of a second (a Python loop over them takes ~7 s).
    """
    items = list(hashes)
    keys = [k for k, _ in items]
    values = np.array([h for _, h in items], dtype=np.uint64)
    found: list[tuple[str, str, int]] = []
    for start in range(0, len(values), PAIR_BLOCK):
        rows = values[start : start + PAIR_BLOCK]
        right = values[start + 1 :]  # column c is image start + 1 + c
        bits = popcount64(rows[:, None] ^ right[None, :])
        # keep each pair once: column image after row image (c >= r), never an image with itself
        close = (bits <= max_bits) & (np.arange(len(right))[None, :] >= np.arange(len(rows))[:, None])
        for r, c in zip(*np.nonzero(close)):
            found.append((keys[start + r], keys[start + 1 + c], int(bits[r, c])))
    return found
