"""Pictures upright and at the asked size: display rotation, EXIF orientation, HEIF, scaling."""

from __future__ import annotations

import math
import struct
import warnings
from pathlib import Path

import av
import av.error
import numpy as np
from av.video.reformatter import VideoReformatter

from ..errors import FileTooLargeError, NotMediaError, UnsupportedCodecError
from .base import MAX_PIXELS, Sampling

_HEIF_BRANDS = {"heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1"}
_PIL_ERRORS = (OSError, ValueError, SyntaxError, KeyError, TypeError, IndexError, struct.error)


def rotation_of(frame: av.VideoFrame) -> int:
    """Display-matrix rotation, degrees counter-clockwise, snapped to 0/90/180/270."""
    try:
        rot = frame.rotation
    except (AttributeError, ValueError):
        return 0
    if rot is None or not math.isfinite(rot):
        return 0
    return round(rot / 90.0) * 90 % 360


def orientation_of_rotation(rotation: int) -> int:
    """EXIF orientation code that shows a picture stored with this display rotation upright."""
    return {0: 1, 90: 8, 180: 3, 270: 6}.get(rotation % 360, 1)


def apply_orientation(img: np.ndarray, orientation: int) -> np.ndarray:
    """Transform a stored picture to upright, as EXIF orientation ``orientation`` (1–8) says.

    Matches ``PIL.ImageOps.exif_transpose``: 2 mirror, 3 rotate 180, 4 flip, 5 transpose,
    6 rotate 90° clockwise, 7 transverse, 8 rotate 90° counter-clockwise.
    """
    if orientation == 2:
        out = img[:, ::-1]
    elif orientation == 3:
        out = img[::-1, ::-1]
    elif orientation == 4:
        out = img[::-1]
    elif orientation == 5:
        out = img.swapaxes(0, 1)
    elif orientation == 6:
        out = np.rot90(img, k=-1)
    elif orientation == 7:
        out = img[::-1, ::-1].swapaxes(0, 1)
    elif orientation == 8:
        out = np.rot90(img, k=1)
    else:
        return img
    return np.ascontiguousarray(out)


def _pil_errors() -> tuple[type[BaseException], ...]:
    from PIL import Image

    return (*_PIL_ERRORS, Image.DecompressionBombError, EOFError)


def still_header(path: Path) -> tuple[int | None, int, int]:
    """(EXIF orientation or None, width, height) of a still via Pillow: tags and header, no pixels.

    Width and height are 0 when Pillow cannot read the header.
    """
    from PIL import Image  # deferred: only stills need it

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # DecompressionBombWarning: the size is checked by the caller
            with Image.open(path) as im:
                width, height = im.size
                if width * height > MAX_PIXELS:  # getexif() of a PNG decodes the whole picture
                    return None, int(width), int(height)
                value = im.getexif().get(0x0112)
    except Image.DecompressionBombError as exc:  # over twice Pillow's limit: refused by Pillow itself
        raise FileTooLargeError(f"its picture is too large to decode ({exc})", path=path, hint=_BIG) from exc
    except _pil_errors():
        return None, 0, 0
    return (value if isinstance(value, int) and 1 <= value <= 8 else None), int(width), int(height)


def still_orientation(path: Path) -> int | None:
    """EXIF orientation of a still image via Pillow (reads tags, not pixels), or None."""
    return still_header(path)[0]


_BIG = "A header claiming a picture this big is typical of a damaged or hostile file; scale a real one down first."


def check_pixels(width: int, height: int, path: Path) -> None:
    """Refuse a picture larger than :data:`MAX_PIXELS` before anything decodes it."""
    if width * height > MAX_PIXELS:
        raise FileTooLargeError(
            f"its picture is {width}x{height} ({width * height:,} pixels), more than verify decodes "
            f"({MAX_PIXELS:,})",
            path=path,
            hint=_BIG,
        )


def is_still_format(container: av.container.InputContainer) -> bool:
    name = container.format.name or ""
    return name == "image2" or name.endswith("_pipe")


def is_heif(container: av.container.InputContainer) -> bool:
    name = container.format.name or ""
    brand = str(container.metadata.get("major_brand", "")).strip().lower()
    return "mp4" in name and brand in _HEIF_BRANDS


def _output_size(w: int, h: int, rotation: int, s: Sampling) -> tuple[int, int]:
    """Size to ask FFmpeg for, in stored orientation; ``rotation`` 90/270 (or a swapping
    EXIF transform passed as 90) means the upright picture has width and height swapped."""
    swap = rotation in (90, 270)
    up_w, up_h = (h, w) if swap else (w, h)
    if s.width and s.height:
        out_w, out_h = s.width, s.height
    elif s.width:
        out_w, out_h = s.width, max(1, round(up_h * s.width / up_w))
    elif s.height:
        out_w, out_h = max(1, round(up_w * s.height / up_h)), s.height
    elif s.max_side and max(up_w, up_h) > s.max_side:
        k = s.max_side / max(up_w, up_h)
        out_w, out_h = max(1, round(up_w * k)), max(1, round(up_h * k))
    else:
        out_w, out_h = up_w, up_h
    return (out_h, out_w) if swap else (out_w, out_h)


def to_array(
    frame: av.VideoFrame,
    sampling: Sampling,
    rotation: int,
    *,
    orientation: int | None = None,
    reformatter: VideoReformatter | None = None,
) -> np.ndarray:
    """Scale/convert inside FFmpeg, then make upright (cheap on the small result).

    ``orientation`` (EXIF code 1–8) overrides ``rotation`` (display matrix, degrees
    counter-clockwise). Pass one ``reformatter`` for a whole clip: FFmpeg then keeps
    its scaler set up instead of building a new one for every frame.
    """
    code = orientation if orientation is not None else orientation_of_rotation(rotation)
    w, h = _output_size(frame.width, frame.height, 90 if code >= 5 else 0, sampling)
    fmt = sampling.pixel_format
    if (w, h) == (frame.width, frame.height) and frame.format.name == fmt:
        img = frame.to_ndarray()
    else:
        rf = reformatter if reformatter is not None else VideoReformatter()
        img = rf.reformat(frame, width=w, height=h, format=fmt, interpolation="AREA").to_ndarray()
    return np.ascontiguousarray(apply_orientation(img, code))


def heif_picture(path: Path) -> av.VideoFrame:
    """A HEIF/HEIC still decoded whole (all tiles) by pillow-heif, irot/imir applied by libheif."""
    try:
        import pillow_heif
    except ImportError as exc:
        raise UnsupportedCodecError(
            "HEIF/HEIC pictures need the pillow-heif package (pip install pillow-heif)", path=path
        ) from exc
    try:
        heif = pillow_heif.open_heif(str(path), convert_hdr_to_8bit=True)
        check_pixels(int(heif.size[0]), int(heif.size[1]), path)
        picture = heif.to_pillow().convert("RGB")
    except FileTooLargeError:
        raise
    except (*_PIL_ERRORS, EOFError, RuntimeError, MemoryError, NotImplementedError) as exc:
        raise NotMediaError(f"the HEIF/HEIC picture cannot be decoded ({exc})", path=path) from exc
    return av.VideoFrame.from_image(picture)
