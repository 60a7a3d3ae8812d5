"""Perceptual hashes of frames, batched: pHash/dHash bit-identical to imagehash, the
mirror hash from the same DCT, a frame-quality gate and black-bar removal.

Frames are gray ``uint8`` arrays of shape (N, H, W) (see ``verify.frames`` for the
frame format); batch functions return ``uint64`` arrays, one hash per frame, that
:class:`Hash` wraps as a value object with its algorithm id. ``imagehash`` stays the
reference implementation and hashes single stills (:func:`hash_image`).
"""

from __future__ import annotations

from pathlib import Path

import imagehash
from PIL import Image, UnidentifiedImageError

from ..errors import HashingError, MediaNotFoundError, NotMediaError
from .dct import PHASH_SIZE, dhash_batch, phash_batch, phash_batch_with_mirror
from .frames import (
    BAR_LEVEL,
    QUALITY_THRESHOLD,
    Bars,
    crop_bars,
    detect_bars,
    frame_quality,
    resize_batch,
)
from .pilresize import lanczos_resize_batch
from .value import ALGORITHMS, DHASH, PHASH, Hash, hamming

__all__ = [
    "ALGORITHMS",
    "BAR_LEVEL",
    "DHASH",
    "PHASH",
    "PHASH_SIZE",
    "QUALITY_THRESHOLD",
    "Bars",
    "Hash",
    "crop_bars",
    "detect_bars",
    "dhash_batch",
    "frame_quality",
    "hamming",
    "hash_image",
    "lanczos_resize_batch",
    "phash_batch",
    "phash_batch_with_mirror",
    "resize_batch",
]


def hash_image(image: str | Path | Image.Image, algorithm: str = PHASH) -> Hash:
    """Hash one still with imagehash itself (the reference implementation).

    ``image`` is a path or a PIL image; EXIF orientation is not applied (imagehash does
    not either), so a rotated still hashes as stored.
    """
    funcs = {PHASH: imagehash.phash, DHASH: imagehash.dhash}
    if algorithm not in funcs:
        raise HashingError(f"unknown hash algorithm {algorithm!r}; use one of {', '.join(funcs)}")
    if isinstance(image, Image.Image):
        return Hash.from_bits(funcs[algorithm](image).hash, algorithm)
    path = Path(image)
    if not path.is_file():
        raise MediaNotFoundError("no such image file", path=path)
    try:
        with Image.open(path) as img:
            img.load()
            bits = funcs[algorithm](img).hash
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise NotMediaError(f"not an image Pillow can read ({exc})", path=path) from exc
    return Hash.from_bits(bits, algorithm)
