"""Perceptual hash (pHash) for near-duplicate images, in pure Python over Pillow.

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

from PIL import Image

HASH_SIZE = 8  # 8×8 low frequencies -> 64 bits
SAMPLE = 32  # side of the grey thumbnail the DCT runs over
NEAR_DUPLICATE_BITS = 10
COLOUR_TOLERANCE = 32  # mean absolute difference of the 4×4 RGB signatures, 0-255
COLOUR_SIDE = 4

_HALF = SAMPLE // 2
_COS = [[math.cos(math.pi * (2 * x + 1) * u / (2 * SAMPLE)) for x in range(SAMPLE)] for u in range(HASH_SIZE)]
# cos(u·(2x+1)π/2N) is symmetric about the middle for even u and antisymmetric for odd u, so each
# frequency needs only half the samples: (p[x] + p[N-1-x]) or (p[x] - p[N-1-x]), x < N/2.
_COS_HALF = [row[:_HALF] for row in _COS]


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


def _dct_8(values: list[int] | tuple[float, ...]) -> list[float]:
    """The 8 lowest DCT-II frequencies of 32 samples (unnormalised)."""
    head, tail = values[:_HALF], values[: _HALF - 1 : -1]
    even = list(map(operator.add, head, tail))
    odd = list(map(operator.sub, head, tail))
    mul = operator.mul
    return [sum(map(mul, _COS_HALF[u], even if u % 2 == 0 else odd)) for u in range(HASH_SIZE)]


def phash(img: Image.Image) -> int:
    """64-bit perceptual hash of an image."""
    pixels = thumbnail(img).tobytes()
    # DCT along rows (8 frequencies each), then down the 8 columns of that 32×8 result.
    row_freq = [_dct_8(pixels[i * SAMPLE : (i + 1) * SAMPLE]) for i in range(SAMPLE)]
    col_freq = [_dct_8(col) for col in zip(*row_freq)]  # [u][v]
    coeffs = [col_freq[u][v] for v in range(HASH_SIZE) for u in range(HASH_SIZE)]
    median = sorted(coeffs[1:])[len(coeffs) // 2 - 1]  # DC excluded: it is only overall brightness
    bits = 0
    for c in coeffs:
        bits = (bits << 1) | (c > median)
    return bits


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


def near_pairs(hashes: Iterable[tuple[str, int]], max_bits: int = NEAR_DUPLICATE_BITS) -> list[tuple[str, str, int]]:
    """(key a, key b, bits) for every pair of hashes at most `max_bits` apart.

    Brute force, with the XOR and popcount loops in C (map): 2,000 images are 2 million
    comparisons, a few tenths of a second.
    """
    items = list(hashes)
    keys = [k for k, _ in items]
    values = [h for _, h in items]
    found = []
    for i, h in enumerate(values):
        row = list(map(int.bit_count, map(h.__xor__, values[i + 1 :])))
        if row and min(row) <= max_bits:
            found += [(keys[i], keys[i + 1 + j], d) for j, d in enumerate(row) if d <= max_bits]
    return found
