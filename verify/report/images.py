"""Pictures for reports: small JPEG thumbnails named and hashed for case files."""

from __future__ import annotations

import hashlib
import io

import numpy as np
from PIL import Image

from .model import ImageRef

#: Longest side of a report picture, pixels.
THUMB_SIDE = 320


def encode_thumbnail(image: np.ndarray, *, max_side: int = THUMB_SIDE, quality: int = 85) -> bytes:
    """JPEG bytes of an RGB (or gray) uint8 frame, scaled so its longer side is at most ``max_side``."""
    pic = Image.fromarray(np.ascontiguousarray(image))
    if max(pic.size) > max_side:
        pic.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    if pic.mode not in ("RGB", "L"):
        pic = pic.convert("RGB")
    buf = io.BytesIO()
    pic.save(buf, format="JPEG", quality=quality, optimize=True)
    return buf.getvalue()


def image_ref(name: str, data: bytes) -> ImageRef:
    """The reference record of picture bytes (size read from the bytes)."""
    with Image.open(io.BytesIO(data)) as pic:
        width, height = pic.size
        fmt = (pic.format or "JPEG").lower()
    media_type = {"jpeg": "image/jpeg", "png": "image/png"}.get(fmt, f"image/{fmt}")
    return ImageRef(name, hashlib.sha256(data).hexdigest(), media_type, width, height, len(data))


def add_image(images: dict[str, bytes], name: str, image: np.ndarray) -> ImageRef:
    data = encode_thumbnail(image)
    images[name] = data
    return image_ref(name, data)
