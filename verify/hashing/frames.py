"""Frame preparation before hashing: resizing, a quality gate, black-bar removal.

All functions take gray frames as uint8 arrays of shape (N, H, W) (a single (H, W)
frame is accepted too) and keep no state.
"""

from __future__ import annotations

from typing import NamedTuple

import cv2
import numpy as np

from ..errors import HashingError
from .dct import PHASH_SIZE, check_gray_batch

#: Frames scoring below this are flagged low quality (see :func:`frame_quality`).
QUALITY_THRESHOLD = 6.0

#: A pixel at or below this gray level (0-255) counts as black for bar detection
#: (real bars, limited-range black converted to full range, sit at 0-5).
BAR_LEVEL = 24
#: A row/column is a bar line when at most this fraction of its pixels is ever brighter.
BAR_BRIGHT_FRACTION = 0.02
#: ... and its mean level varies along the line and over time by at most this (gray levels, std).
BAR_MAX_STD = 2.0
#: At most this many frames (evenly spread over the window) are looked at.
BAR_WINDOW_FRAMES = 64
#: Each bar may cover at most this fraction of the frame's height (or width).
BAR_MAX_FRACTION = 0.42
#: ... or this fraction when the opposite side has a bar too (an off-centre vertical frame).
BAR_MAX_FRACTION_PAIRED = 0.6


class Bars(NamedTuple):
    """Black bars in pixels of the frames they were detected on."""

    top: int = 0
    bottom: int = 0
    left: int = 0
    right: int = 0

    @property
    def any(self) -> bool:
        return any(self)

    def scaled(self, sx: float, sy: float) -> Bars:
        """The same bars in a frame scaled by ``sx`` horizontally and ``sy`` vertically."""
        return Bars(
            round(self.top * sy), round(self.bottom * sy), round(self.left * sx), round(self.right * sx)
        )


def resize_batch(gray: np.ndarray, size: int | tuple[int, int] = PHASH_SIZE) -> np.ndarray:
    """Resize every frame to ``size`` (an int for a square, or ``(width, height)``) with
    ``cv2.INTER_AREA``; returns uint8 (N, height, width)."""
    frames = check_gray_batch(gray)
    width, height = (size, size) if isinstance(size, int) else size
    if width < 1 or height < 1:
        raise HashingError(f"cannot resize frames to {width}x{height}")
    out = np.empty((frames.shape[0], height, width), np.uint8)
    if frames.shape[1:] == (height, width):
        out[:] = frames
        return out
    for i, frame in enumerate(frames):
        out[i] = cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)
    return out


def frame_quality(gray: np.ndarray) -> np.ndarray:
    """How much picture structure each frame has at hash scale: float64 (N,).

    The score is the standard deviation, in gray levels, of the frame shrunk to 32x32
    (the picture pHash sees). Black, near-black, flat and faded-out frames score near 0;
    their hash bits are decided by compression noise, so a frame scoring below
    :data:`QUALITY_THRESHOLD` should not be used to claim a match.
    """
    frames = check_gray_batch(gray)
    if frames.shape[0] == 0:
        return np.zeros(0)
    small = frames if frames.shape[1:] == (PHASH_SIZE, PHASH_SIZE) else resize_batch(frames)
    return small.reshape(small.shape[0], -1).std(axis=1, dtype=np.float64)


def _bar_lines(peak: np.ndarray, average: np.ndarray, means: np.ndarray) -> np.ndarray:
    """Bool per line. ``peak``/``average`` (lines, length): max and mean over time;
    ``means`` (N, lines): each frame's line means."""
    bright = (peak > BAR_LEVEL).mean(axis=1)
    uniform = average.std(axis=1) <= BAR_MAX_STD
    steady = means.std(axis=0) <= BAR_MAX_STD
    return (bright <= BAR_BRIGHT_FRACTION) & uniform & steady


def _run(flags: np.ndarray) -> int:
    """Length of the leading run of True values."""
    if flags.all():
        return int(flags.size)
    return int(np.argmin(flags))


def detect_bars(gray: np.ndarray) -> Bars:
    """Black bars around the picture, from the statistics of a window of frames.

    A line (row or column) is part of a bar when, over every frame of the window, at most
    2% of its pixels are ever brighter than :data:`BAR_LEVEL` (compression noise and a
    stray logo pixel are tolerated), its average is uniform along the line and its mean
    level steady in time. The maximum over the window keeps a dark scene's sky or floor
    from being taken for a bar as soon as anything in it lights up, and uniformity keeps
    dim texture out; a frame that is black throughout has no bars (the
    result is all zeros), and a bar may cover at most 42% of a side (60% when the opposite
    side has a bar too). Pass a few seconds
    of frames (the fingerprint passes chunks of up to 256 frames / 8 s).
    """
    frames = check_gray_batch(gray)
    n, h, w = frames.shape
    if n == 0 or h < 8 or w < 8:
        return Bars()
    if n > BAR_WINDOW_FRAMES:  # bars do not move: spread-out frames tell as much as all of them
        frames = frames[np.linspace(0, n - 1, BAR_WINDOW_FRAMES).round().astype(int)]
    peak = frames.max(axis=0)
    average = frames.mean(axis=0, dtype=np.float32)
    rows = _bar_lines(peak, average, frames.mean(axis=2, dtype=np.float32))
    cols = _bar_lines(peak.T, average.T, frames.mean(axis=1, dtype=np.float32))
    if rows.all() or cols.all():
        return Bars()  # nothing but black: a black frame, not a letterbox
    top, bottom = _run(rows), _run(rows[::-1])
    left, right = _run(cols), _run(cols[::-1])
    bars = Bars(*_limit(top, bottom, h), *_limit(left, right, w))
    return _shave(bars, h, w)


def _limit(first: int, second: int, side: int) -> tuple[int, int]:
    """Bars on the two ends of a side: each at most 42% of it, or at most 60% when the other end
    has a bar too (a picture placed off-centre in a taller frame: bars of 44% and 24% are usual)."""
    cap, wide = int(BAR_MAX_FRACTION * side), int(BAR_MAX_FRACTION_PAIRED * side)
    both = 0 < first <= wide and 0 < second <= wide
    limit = wide if both else cap
    return (first if first <= limit else 0, second if second <= limit else 0)


def _shave(bars: Bars, h: int, w: int) -> Bars:
    """Take one more line past each detected bar: the scaled edge blends bar and picture."""
    top, bottom, left, right = (b + 1 if b else 0 for b in bars)
    if top + bottom >= h - 4 or left + right >= w - 4:
        return Bars()
    return Bars(top, bottom, left, right)


def crop_bars(gray: np.ndarray, bars: Bars) -> np.ndarray:
    """The frames without their bars (a view, no copy): (N, H - top - bottom, W - left - right)."""
    frames = check_gray_batch(gray)
    _, h, w = frames.shape
    if bars.top + bars.bottom >= h or bars.left + bars.right >= w:
        raise HashingError(f"bars {tuple(bars)} leave nothing of a {w}x{h} frame")
    return frames[:, bars.top : h - bars.bottom, bars.left : w - bars.right]
