"""Hash variants: which region of a frame is hashed, and whether its mirror is too.

A variant name is ``base`` or ``base+mirror``. A *base* names a region of the picture
once its black bars are removed, as a box of fractions ``(x0, y0, x1, y1)`` of that
picture; the box may depend on the picture's aspect ratio (width / height in source
pixels). ``+mirror`` adds the hash of the horizontally mirrored region, taken from
the same DCT (no extra work but a sign flip).

Built-in bases:

* ``full``: the whole picture (bars removed);
* ``cropNN``: the central NN% of it in each direction (``crop85``, ``crop70``...);
* ``band169``: the central 16:9 band when the picture is taller than 16:9 (a landscape
  clip pasted into a vertical frame over a blurred copy of itself); ``full`` otherwise;
* ``tlNN``/``trNN``/``blNN``/``brNN``: the NN% corner region (picture-in-picture);
* ``winKK-XX-YY`` (query side, pairs with the reference's ``crop60``): *if* this picture is a
  window keeping KK% of a reference's width and height, placed at XX%/YY% of the slack
  (0 = left/top edge, 100 = right/bottom edge, as ffmpeg's ``crop=iw*k:ih*k:(iw-iw*k)*x:...``),
  the part of it that shows the reference's central 60%. A grid of such hypotheses
  (:func:`window_variants`) finds crops of 10-20% wherever they sit;
* ``bandAA-YY`` (``AA`` one of 169, 43, 32, 11): a full-width band of aspect 16:9, 4:3, 3:2
  or 1:1 at YY% of the vertical slack (a clip pasted off-centre into a taller frame over a
  blurred copy of itself); ``full`` when the picture is not taller than that aspect;
* ``inset``: the inside of a persistent rectangle found in each chunk of frames (a
  picture-in-picture, a screen filmed off a wall; see :mod:`verify.hashing.inset`), ``full``
  when there is none.

The registry is open: :func:`register_base` adds a name (or a regular expression
that builds a box function from its match).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

from ..errors import ConfigError
from .dct import PHASH_SIZE, phash_batch, phash_batch_with_mirror
from .frames import Bars, crop_bars, detect_bars, resize_batch
from .inset import detect_inset

Box = tuple[float, float, float, float]
BoxFn = Callable[[float], Box]

MIRROR_SUFFIX = "+mirror"
#: A region narrower than this many pixels of the 64x64 copy is cut from the work frames instead.
_MIN_HALF_SIDE = 40
ASPECT_169 = 16 / 9
# a picture within 3% of 16:9 counts as 16:9 (band169 = full)
_ASPECT_TOLERANCE = 0.97


def _full(aspect: float) -> Box:
    return (0.0, 0.0, 1.0, 1.0)


def _band169(aspect: float) -> Box:
    if aspect >= ASPECT_169 * _ASPECT_TOLERANCE:
        return (0.0, 0.0, 1.0, 1.0)
    frac = aspect / ASPECT_169  # band height as a fraction of the picture height
    return (0.0, 0.5 - frac / 2, 1.0, 0.5 + frac / 2)


def _crop(match: re.Match[str]) -> BoxFn:
    keep = int(match.group(1)) / 100.0
    if not 0.1 <= keep <= 1.0:
        raise ConfigError(f"crop variant {match.group(0)!r} must keep 10-100% of the picture")
    margin = (1.0 - keep) / 2

    def box(aspect: float) -> Box:
        return (margin, margin, 1.0 - margin, 1.0 - margin)

    return box


def _corner(match: re.Match[str]) -> BoxFn:
    where, size = match.group(1), int(match.group(2)) / 100.0
    if not 0.1 <= size <= 1.0:
        raise ConfigError(f"corner variant {match.group(0)!r} must cover 10-100% of the picture")
    x0 = 0.0 if where[1] == "l" else 1.0 - size
    y0 = 0.0 if where[0] == "t" else 1.0 - size

    def box(aspect: float) -> Box:
        return (x0, y0, x0 + size, y0 + size)

    return box


#: The reference region that every crop window of a query is hashed against (``crop60``):
#: a window keeping >= 80% of the reference, wherever it sits, contains its central 60%.
WINDOW_INNER = 0.6


def _window(match: re.Match[str]) -> BoxFn:
    keep, x, y = (int(g) / 100.0 for g in match.groups())
    if not (0.65 <= keep <= 1.0 and 0 <= x <= 1 and 0 <= y <= 1):
        raise ConfigError(f"window variant {match.group(0)!r}: keep 65-100%, position 0-100%")
    margin = (1.0 - WINDOW_INNER) / 2

    def side(pos: float) -> tuple[float, float]:
        origin = pos * (1.0 - keep)  # where the window starts, in reference fractions
        lo, hi = (margin - origin) / keep, (1.0 - margin - origin) / keep
        return max(0.0, lo), min(1.0, hi)

    (x0, x1), (y0, y1) = side(x), side(y)

    def box(aspect: float) -> Box:
        return (x0, y0, x1, y1)

    return box


_BAND_ASPECTS = {"169": 16 / 9, "43": 4 / 3, "32": 3 / 2, "11": 1.0}


def _band_at(match: re.Match[str]) -> BoxFn:
    code, pos = match.group(1), int(match.group(2)) / 100.0
    if code not in _BAND_ASPECTS or not 0 <= pos <= 1:
        raise ConfigError(f"band variant {match.group(0)!r}: aspect 169, 43, 32 or 11, position 0-100%")
    band_aspect = _BAND_ASPECTS[code]

    def box(aspect: float) -> Box:
        if aspect >= band_aspect * _ASPECT_TOLERANCE:
            return (0.0, 0.0, 1.0, 1.0)
        frac = aspect / band_aspect  # band height as a fraction of the picture height
        y0 = (1.0 - frac) * pos
        return (0.0, y0, 1.0, y0 + frac)

    return box


def band_variants(
    aspects: Sequence[str] = ("169", "43"), positions: Sequence[int] = (35, 40, 45, 50, 55, 60, 65)
) -> tuple[str, ...]:
    """The grid of ``bandAA-YY`` hypotheses a query is hashed with."""
    return tuple(f"band{a}-{y}" for a in aspects for y in positions)


def window_variants(
    keeps: Sequence[int] = (80, 85, 90), positions: Sequence[int] = (0, 25, 50, 75, 100), mirror: bool = True
) -> tuple[str, ...]:
    """The grid of ``winKK-XX-YY`` hypotheses (and their mirrors) a query is hashed with."""
    out = []
    for k in keeps:
        for y in positions:
            for x in positions:
                out.append(f"win{k}-{x}-{y}")
                if mirror:
                    out.append(f"win{k}-{x}-{y}{MIRROR_SUFFIX}")
    return tuple(out)


#: Bases whose box is found in the frames of each chunk, not computed from the aspect ratio.
DETECTED = {"inset": detect_inset}

_BASES: dict[str, BoxFn] = {"full": _full, "band169": _band169, **{name: _full for name in DETECTED}}
_PATTERNS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], BoxFn]]] = [
    (re.compile(r"crop(\d{2,3})"), _crop),
    (re.compile(r"(tl|tr|bl|br)(\d{2,3})"), _corner),
    (re.compile(r"win(\d{2,3})-(\d{1,3})-(\d{1,3})"), _window),
    (re.compile(r"band(\d{2,3})-(\d{1,3})"), _band_at),
]


def register_base(name: str | re.Pattern[str], box: BoxFn | Callable[[re.Match[str]], BoxFn]) -> None:
    """Add a base: a name with its box function, or a compiled pattern with a factory
    that turns a full match into a box function."""
    if isinstance(name, re.Pattern):
        _PATTERNS.append((name, box))  # type: ignore[arg-type]
    elif not name or "+" in name:
        raise ConfigError(f"bad variant base name {name!r}")
    else:
        _BASES[name] = box  # type: ignore[assignment]


def base_box(base: str) -> BoxFn:
    """The box function of a base name, or ConfigError."""
    if base in _BASES:
        return _BASES[base]
    for pattern, factory in _PATTERNS:
        match = pattern.fullmatch(base)
        if match:
            return factory(match)
    raise ConfigError(
        f"unknown hash variant base {base!r}",
        hint="Use full, cropNN (e.g. crop85), band169 or tlNN/trNN/blNN/brNN, optionally +mirror.",
    )


def parse_variant(name: str) -> tuple[str, bool]:
    """``"crop85+mirror"`` -> ``("crop85", True)``; ``"mirror"`` is ``full+mirror``."""
    if name == "mirror":
        return "full", True
    base, mirrored = (name[: -len(MIRROR_SUFFIX)], True) if name.endswith(MIRROR_SUFFIX) else (name, False)
    base_box(base)  # validates
    return base, mirrored


def region(frames: np.ndarray, box: Box) -> np.ndarray:
    """The box of each frame (a view); at least one pixel each way."""
    _, h, w = frames.shape
    x0, y0 = round(box[0] * w), round(box[1] * h)
    x1, y1 = max(x0 + 1, round(box[2] * w)), max(y0 + 1, round(box[3] * h))
    return frames[:, y0:y1, x0:x1]


def hash_variants(
    frames: np.ndarray, bars: Bars, source_aspect: float, variants: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """pHash every variant of every frame.

    ``frames`` uint8 (N, H, W) gray work frames; ``bars`` in their pixels;
    ``source_aspect`` the width/height of the upright source picture (the work frames
    may be squeezed). Returns ``(hashes uint64 (N, len(variants)), full32 uint8 (N, 32, 32))``
    where ``full32`` is the bar-free picture at hash size (for quality and shot features).
    """
    n, h, w = frames.shape
    picture = crop_bars(frames, bars) if bars.any else frames
    ph, pw = picture.shape[1:]
    aspect = source_aspect * (pw / w) / (ph / h)  # of the bar-free picture, in source pixels
    parsed = [parse_variant(v) for v in variants]
    out = np.zeros((n, len(variants)), np.uint64)
    # regions are cut from a 64x64 copy: cv2's area resize is 2-3x cheaper from there
    # than from the work size, and 64 pixels still hold 4x the detail a 32x32 hash sees
    half = resize_batch(picture, 2 * PHASH_SIZE)
    full32 = resize_batch(half)
    done: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
    for col, (base, mirrored) in enumerate(parsed):
        if base not in done:
            # detected on the frames with their bars: a dark background next to an inset passes for bars
            found = DETECTED[base](frames) if base in DETECTED else None
            box = base_box(base)(aspect)
            if found is not None:
                inside = region(frames, found)
                inner_bars = detect_bars(inside)  # the inset footage may be letterboxed itself
                small = resize_batch(crop_bars(inside, inner_bars) if inner_bars.any else inside)
            elif box == (0.0, 0.0, 1.0, 1.0):
                small = full32
            else:
                # a small region (an inset) loses detail at 64 pixels: cut it from the work frames
                small_side = min(box[2] - box[0], box[3] - box[1]) * 2 * PHASH_SIZE < _MIN_HALF_SIDE
                small = resize_batch(region(picture if small_side else half, box))
            want_mirror = any(b == base and m for b, m in parsed)
            done[base] = phash_batch_with_mirror(small) if want_mirror else (phash_batch(small), None)
        plain, mirror = done[base]
        out[:, col] = mirror if mirrored and mirror is not None else plain
    return out, full32


_ASPECT_WORDS = {"169": "16:9", "43": "4:3", "32": "3:2", "11": "square"}


def describe_base(base: str | None) -> str | None:
    """What a region name means to an analyst: ``"win85-0-25"`` -> ``"cropped to 85 %, off centre"``.

    None for the whole picture. Used wherever a match's reframing is shown (UI, CLI, reports);
    the region names themselves stay in the JSON records.
    """
    if not base or base == "full":
        return None
    name = base.split("/")[-1].replace(MIRROR_SUFFIX, "")
    if m := re.fullmatch(r"crop(\d+)", name):
        return f"cropped to {int(m.group(1))} %"
    if m := re.fullmatch(r"win(\d+)-(\d+)-(\d+)", name):
        where = "centred" if (m.group(2), m.group(3)) == ("50", "50") else "off centre"
        return f"cropped to {int(m.group(1))} %, {where}"
    if m := re.fullmatch(r"band(\d+)(?:-(\d+))?", name):
        aspect = _ASPECT_WORDS.get(m.group(1), m.group(1))
        where = "" if m.group(2) in (None, "50") else ", off centre"
        return f"reframed from a vertical video ({aspect} picture{where})"
    if name == "inset":
        return "shown as a picture-in-picture"
    if m := re.fullmatch(r"(tl|tr|bl|br)(\d+)", name):
        corner = {"tl": "top left", "tr": "top right", "bl": "bottom left", "br": "bottom right"}[m.group(1)]
        return f"shown small in the {corner} corner"
    return f"reframed ({name})"
