"""Pictures as bytes: the one JPEG/PNG encoder of verify, and the record that names a picture.

Every picture verify writes (keyframes, evidence frame pairs, thumbnails in reports and case
files, exported frames) goes through :func:`encode`. Input is the frame format of
:mod:`verify.frames`: RGB ``(H, W, 3)`` or gray ``(H, W)`` ``uint8``. OpenCV does the work
(``cv2.resize`` with area interpolation, ``cv2.imencode``).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .digest import sha256_bytes

#: Longest side of the pictures an analysis keeps (keyframes, evidence pairs), pixels.
PICTURE_SIDE = 480
JPEG_QUALITY = 85


@dataclass(frozen=True)
class ImageRef:
    """A picture by reference: ``name`` is its path inside a case file or an analysis."""

    name: str
    sha256: str
    media_type: str = "image/jpeg"
    width: int = 0
    height: int = 0
    size: int = 0


def fit(img: np.ndarray, max_side: int | None) -> np.ndarray:
    """The picture scaled down (never up) so that its longer side is at most ``max_side``."""
    a = np.asarray(img)
    if not max_side or max(a.shape[:2]) <= max_side:
        return a
    k = max_side / max(a.shape[:2])
    size = (max(1, round(a.shape[1] * k)), max(1, round(a.shape[0] * k)))
    return cv2.resize(a, size, interpolation=cv2.INTER_AREA)


def encode(
    img: np.ndarray, fmt: str = "jpeg", *, quality: int = JPEG_QUALITY, max_side: int | None = None
) -> bytes:
    """JPEG or PNG bytes of an RGB or gray ``uint8`` picture (scaled to ``max_side`` first)."""
    a = np.asarray(img)
    if a.dtype != np.uint8 or not (a.ndim == 2 or (a.ndim == 3 and a.shape[2] == 3)):
        raise ValueError(f"pictures must be RGB or gray uint8, got {a.dtype} {a.shape}")
    kind = fmt.lower().lstrip(".")
    if kind in ("jpg", "jpeg"):
        ext, params = ".jpg", [cv2.IMWRITE_JPEG_QUALITY, int(min(max(quality, 1), 100))]
    elif kind == "png":
        ext, params = ".png", [cv2.IMWRITE_PNG_COMPRESSION, 3]
    else:
        raise ValueError(f"unknown picture format {fmt!r} (png or jpeg)")
    a = fit(a, max_side)
    bgr = a if a.ndim == 2 else np.ascontiguousarray(a[:, :, ::-1])
    ok, buf = cv2.imencode(ext, bgr, params)
    if not ok:  # pragma: no cover - OpenCV refuses only impossible sizes
        raise ValueError(f"OpenCV could not encode a {a.shape} picture as {kind}")
    return buf.tobytes()


def decode(data: bytes) -> np.ndarray:
    """RGB ``uint8`` picture from JPEG/PNG bytes (gray ones come back as RGB too)."""
    arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if arr is None:
        raise ValueError("not a picture OpenCV can decode")
    return np.ascontiguousarray(arr[:, :, ::-1])


def _size_of(data: bytes) -> tuple[int, int, str]:
    """Width, height and media type read from JPEG/PNG headers (no decode)."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big"), "image/png"
    i = 2
    while i + 9 < len(data) and data[:2] == b"\xff\xd8":
        if data[i] != 0xFF:
            break
        marker = data[i + 1]
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2):
            h = int.from_bytes(data[i + 5 : i + 7], "big")
            w = int.from_bytes(data[i + 7 : i + 9], "big")
            return w, h, "image/jpeg"
        i += 2 + length
    return 0, 0, "image/jpeg"


def image_ref(name: str, data: bytes) -> ImageRef:
    """The reference record of picture bytes (size read from the bytes)."""
    width, height, media_type = _size_of(data)
    return ImageRef(name, sha256_bytes(data), media_type, width, height, len(data))


def add_image(
    images: dict[str, bytes], name: str, image: np.ndarray, *, max_side: int = PICTURE_SIDE
) -> ImageRef:
    """Encode ``image`` as JPEG into ``images[name]`` and return its record."""
    data = encode(image, "jpeg", max_side=max_side)
    images[name] = data
    return image_ref(name, data)
