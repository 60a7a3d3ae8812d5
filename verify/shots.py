"""Shot boundaries and keyframes, computed on verify's own frames (no scenedetect).

Stateless functions over arrays, plus :func:`keyframes` that decodes a file.

* :func:`shot_feature` turns a small gray frame (``uint8``, 2-D, any size from 8x8; a
  32x32 hashing input is fine) into a 80-value vector: a 16-bin luminance histogram and
  an 8x8 thumbnail, scaled so that the mean absolute difference of two vectors is
  ``0.5 * histogram total variation + 0.5 * mean thumbnail difference``, in [0, 1].
  ``verify.fingerprint`` can call it on frames it already decoded (one decode).
* :func:`detect_shots` ``(times, features) -> shot start times``: a hard cut is a
  consecutive-frame distance far above its neighbourhood (rolling median + k·MAD, and
  an absolute floor); a gradual transition (fade, dissolve) is a peak of the distance
  between frames ``gradual_span`` seconds apart, placed at its middle. Boundaries closer
  than ``min_shot`` seconds to a stronger one are dropped.
* :func:`keyframes` picks, per shot, the sharpest of its most typical frames (see
  :func:`_pick`) plus evenly spaced extras for long shots, and returns them as RGB.
* :func:`encode_image` makes PNG/JPEG bytes of a frame.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from .errors import DecodeError, TruncatedMediaError
from .frames import DecodeStats, Sampling, iter_frames

log = logging.getLogger("verify")

SCHEMA_VERSION = 1
HIST_BINS = 16
THUMB_SIDE = 8
FEATURE_SIZE = HIST_BINS + THUMB_SIDE * THUMB_SIDE
#: Side of the gray frames keyframes() analyses (features and sharpness).
ANALYSIS_SIDE = 96


@dataclass(frozen=True, eq=False)
class Keyframe:
    """A representative frame. ``time`` is seconds from the stream start (what a player
    shows), ``pts_time`` the frame's own presentation time; ``shot`` counts from 1;
    ``image`` is RGB ``uint8`` (height, width, 3) — None after :meth:`without_image`."""

    time: float
    pts_time: float
    index: int
    shot: int
    shot_start: float
    shot_end: float
    width: int
    height: int
    sharpness: float = 0.0
    image: np.ndarray | None = None
    schema_version: int = SCHEMA_VERSION

    def without_image(self) -> Keyframe:
        """The same record without pixels (for JSON)."""
        return replace(self, image=None)


def shot_feature(gray_small: np.ndarray) -> np.ndarray:
    """Feature vector (float32, ``FEATURE_SIZE``) of one small gray frame; see the module doc."""
    g = np.asarray(gray_small)
    if g.dtype != np.uint8 or g.ndim != 2 or min(g.shape) < 1:
        raise ValueError(f"shot_feature wants a 2-D uint8 gray frame, got {g.dtype} {g.shape}")
    hist = np.bincount((g >> 4).ravel(), minlength=HIST_BINS).astype(np.float32) / g.size
    thumb = cv2.resize(g, (THUMB_SIDE, THUMB_SIDE), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    # mean |a-b| over FEATURE_SIZE values = 0.25*sum|dh| + (0.5/64)*sum|dt|
    return np.concatenate([hist * (0.25 * FEATURE_SIZE), thumb.ravel() * (0.5 * FEATURE_SIZE / thumb.size)])


def frame_distances(features: np.ndarray, lag: int = 1) -> np.ndarray:
    """Distance (mean absolute difference) between feature ``i`` and ``i - lag``; length N - lag."""
    f = np.asarray(features, dtype=np.float32)
    if lag < 1 or len(f) <= lag:
        return np.zeros(0, np.float32)
    return np.abs(f[lag:] - f[:-lag]).mean(axis=1)


def _rolling(values: np.ndarray, half: int) -> tuple[np.ndarray, np.ndarray]:
    """Rolling median and MAD over ``2*half+1`` samples (edges padded by reflection)."""
    if len(values) == 0:
        return values, values
    padded = np.pad(values, half, mode="reflect") if len(values) > half else np.pad(values, half, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1)
    med = np.median(windows, axis=1)
    mad = np.median(np.abs(windows - med[:, None]), axis=1)
    return med, mad


def _keep_strongest(candidates: list[tuple[float, int]], times: np.ndarray, min_shot: float) -> list[int]:
    kept: list[int] = []
    for _, i in sorted(candidates, reverse=True):
        if times[i] - times[0] < min_shot or times[-1] - times[i] < min_shot * 0.5:
            continue
        if all(abs(times[i] - times[j]) >= min_shot for j in kept):
            kept.append(i)
    return sorted(kept)


def detect_shots(
    times: Sequence[float] | np.ndarray,
    features: np.ndarray,
    *,
    k: float = 6.0,
    min_cut: float = 0.08,
    calm_ratio: float = 15.0,
    window: float = 2.0,
    min_shot: float = 0.5,
    gradual_span: float = 1.0,
    min_gradual: float = 0.15,
    stability: float = 2.5,
) -> list[float]:
    """Shot start times (the first is ``times[0]``) from per-frame features in time order.

    ``k``/``window``: a cut is a consecutive distance above ``median + k * 1.4826 * MAD``
    of the distances within ±``window`` seconds, and either above ``min_cut`` or (in calm
    footage) ``calm_ratio`` times that median and at least 0.03. Gradual
    transitions compare frames ``gradual_span`` seconds apart and need ``min_gradual``,
    twice the local median, and ``stability`` times the change over the same span
    just before and just after (camera moves change steadily; fades do not). Works on any sampling rate; cuts are exact to one sample.
    """
    t = np.asarray(times, dtype=np.float64)
    f = np.asarray(features, dtype=np.float32)
    if f.ndim != 2 or len(f) != len(t):
        raise ValueError(f"features must be (N, D) with N = len(times); got {f.shape} for {len(t)} times")
    if len(t) == 0:
        return []
    if len(t) < 3:
        return [float(t[0])]
    step = float(np.median(np.diff(t))) or 1.0 / 25
    d = frame_distances(f)  # d[i]: between frame i and i+1
    med, mad = _rolling(d, max(3, round(window / step)))
    adaptive = d > med + k * np.maximum(1.4826 * mad, 0.004)
    strong = (d >= min_cut) | ((d >= 0.03) & (d >= calm_ratio * med))  # or a jump in calm footage
    peak = (d >= np.r_[d[1:], 0]) & (d >= np.r_[0, d[:-1]])
    cuts = [(float(d[i]), i + 1) for i in np.flatnonzero(adaptive & strong & peak)]
    boundaries = _keep_strongest(cuts, t, min_shot)

    lag = max(2, round(gradual_span / step))
    if len(f) > 2 * lag:
        dl = frame_distances(f, lag)  # dl[i]: frame i+lag vs frame i
        gmed, _ = _rolling(dl, max(lag, round(2 * window / step)))
        above = dl > np.maximum(min_gradual, 2.0 * gmed)
        gradual: list[tuple[float, int]] = []
        for run in np.split(np.flatnonzero(above), np.flatnonzero(np.diff(np.flatnonzero(above)) > 1) + 1):
            if len(run) == 0:
                continue
            top = float(dl[run].max())
            plateau = run[dl[run] >= 0.9 * top]
            centre = round((plateau[0] + plateau[-1]) / 2 + lag / 2)  # middle of the transition
            # steady on both sides (a fade between two shots, not a camera move), not a cut's echo
            sides = [dl[j] for j in (centre - lag // 2 - lag, centre + lag // 2) if 0 <= j < len(dl)]
            steady = top > stability * max(sides, default=0.0)
            if steady and all(abs(centre - b) > lag for b in boundaries):
                gradual.append((top, min(max(centre, 1), len(t) - 1)))
        boundaries = _keep_strongest([(2.0, b) for b in boundaries] + gradual, t, min_shot)
    return [float(t[0])] + [float(t[i]) for i in boundaries]


def sharpness(gray: np.ndarray) -> float:
    """Variance of the Laplacian: higher is sharper (and less flat)."""
    return float(cv2.Laplacian(np.asarray(gray), cv2.CV_32F).var())


def _pick(features: np.ndarray, sharp: np.ndarray, lo: int, hi: int) -> int:
    """Representative of frames ``lo:hi``: the sharpest among the most typical.

    Typical = closest to the segment's median feature (what the shot mostly shows, so
    what a reverse image search will find), leaving out the first and last tenth (fades,
    motion blur after a cut). Among the closest 30 % take the sharpest, which gives the
    best search hits and legible text; a blurred or flat frame is never typical *and* sharp.
    """
    n = hi - lo
    if n <= 2:
        return lo
    trim = n // 10 if n >= 10 else 0
    a, b = lo + trim, hi - trim
    seg = features[a:b]
    typical = np.abs(seg - np.median(seg, axis=0)).mean(axis=1)
    close = np.flatnonzero(typical <= np.quantile(typical, 0.3))
    return a + int(close[np.argmax(sharp[a:b][close])])


def keyframes(
    path: str | Path,
    *,
    max_per_shot: int = 3,
    long_shot_every: float = 10.0,
    size: int = 640,
    max_bytes: int | None = None,
    progress: Callable[[float, float], None] | None = None,
    stats: DecodeStats | None = None,
) -> list[Keyframe]:
    """One representative frame per shot, plus one per ``long_shot_every`` seconds of a
    long shot (at most ``max_per_shot`` per shot), as RGB images whose longer side is at
    most ``size``. Decodes every frame once at a small gray size, then seeks to the picks.
    ``progress`` gets ``(fraction done, 1.0)``.
    """
    if max_per_shot < 1 or not long_shot_every > 0 or size < 1:
        raise ValueError("max_per_shot and size must be at least 1, long_shot_every positive")
    stats = stats if stats is not None else DecodeStats()
    times, idx, feats, sharp = [], [], [], []

    def scan_progress(done: float, total: float) -> None:
        if progress is not None and total > 0:
            progress(0.9 * min(done / total, 1.0), 1.0)

    analysis = Sampling(max_side=ANALYSIS_SIDE, pixel_format="gray")
    for frame in iter_frames(path, analysis, max_bytes=max_bytes, stats=stats, progress=scan_progress):
        times.append(frame.time)
        idx.append(frame.index)
        feats.append(shot_feature(frame.image))
        sharp.append(sharpness(frame.image))
    t = np.asarray(times)
    f = np.asarray(feats, dtype=np.float32).reshape(len(times), FEATURE_SIZE)
    s = np.asarray(sharp)
    starts = detect_shots(t, f)
    bounds = [int(np.searchsorted(t, x)) for x in starts] + [len(t)]
    end_time = float(t[-1]) + (float(np.median(np.diff(t))) if len(t) > 1 else 0.0)
    picks: list[tuple[int, int]] = []  # (frame position, shot number)
    for shot, (lo, hi) in enumerate(itertools.pairwise(bounds), start=1):
        shot_len = (t[hi] if hi < len(t) else end_time) - t[lo]
        parts = max(1, min(max_per_shot, math.ceil(shot_len / long_shot_every)))
        edges = np.linspace(lo, hi, parts + 1).round().astype(int)
        picks += [(_pick(f, s, a, b), shot) for a, b in itertools.pairwise(edges) if b > a]
    log.debug("%s: %d frames, %d shots, %d keyframes", path, len(t), len(starts), len(picks))

    start = stats.start_time
    wanted = Sampling(
        mode="times", times=tuple(float(t[i]) - start for i in {p for p, _ in picks}), max_side=size
    )
    images = _fetch(path, wanted, {round(float(t[p]), 6) for p, _ in picks}, max_bytes)
    out = []
    for pos, shot in picks:
        img = images.get(round(float(t[pos]), 6))
        if img is None:
            log.warning("%s: could not seek back to the frame at %.3f s; keyframe skipped", path, t[pos])
            continue
        lo, hi = bounds[shot - 1], bounds[shot]
        out.append(
            Keyframe(
                time=float(t[pos]) - start,
                pts_time=float(t[pos]),
                index=int(idx[pos]),
                shot=shot,
                shot_start=float(t[lo]) - start,
                shot_end=(float(t[hi]) if hi < len(t) else end_time) - start,
                width=int(img.shape[1]),
                height=int(img.shape[0]),
                sharpness=float(s[pos]),
                image=img,
            )
        )
    if progress is not None:
        progress(1.0, 1.0)
    return out


def _fetch(
    path: str | Path, wanted: Sampling, keys: set[float], max_bytes: int | None
) -> dict[float, np.ndarray]:
    """Pictures of the picked frames by seeking; frames a seek cannot reach (damaged or odd
    files) come from one sequential pass instead."""
    images: dict[float, np.ndarray] = {}
    try:
        for fr in iter_frames(path, wanted, max_bytes=max_bytes):
            images[round(fr.time, 6)] = fr.image
    except (DecodeError, TruncatedMediaError) as exc:
        log.info("%s: seeking to the keyframes failed (%s); decoding sequentially", path, exc)
    missing = keys - images.keys()
    if missing:
        every = Sampling(max_side=wanted.max_side)
        with closing(iter_frames(path, every, max_bytes=max_bytes)) as frames:
            for fr in frames:
                key = round(fr.time, 6)
                if key in missing:
                    images[key] = fr.image
                    missing.discard(key)
                    if not missing:
                        break
    return images


def encode_image(img: np.ndarray, fmt: str = "png", quality: int = 90) -> bytes:
    """PNG or JPEG bytes of an RGB (H, W, 3) or gray (H, W) ``uint8`` picture."""
    a = np.asarray(img)
    if a.dtype != np.uint8 or not (a.ndim == 2 or (a.ndim == 3 and a.shape[2] == 3)):
        raise ValueError(f"encode_image wants RGB or gray uint8, got {a.dtype} {a.shape}")
    kind = fmt.lower().lstrip(".")
    if kind in ("jpg", "jpeg"):
        ext, params = ".jpg", [cv2.IMWRITE_JPEG_QUALITY, int(min(max(quality, 1), 100))]
    elif kind == "png":
        ext, params = ".png", [cv2.IMWRITE_PNG_COMPRESSION, 3]
    else:
        raise ValueError(f"unknown image format {fmt!r} (png or jpeg)")
    bgr = a if a.ndim == 2 else np.ascontiguousarray(a[:, :, ::-1])
    ok, buf = cv2.imencode(ext, bgr, params)
    if not ok:  # pragma: no cover - OpenCV refuses only impossible sizes
        raise ValueError(f"OpenCV could not encode a {a.shape} picture as {kind}")
    return buf.tobytes()
