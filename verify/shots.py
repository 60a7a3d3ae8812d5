"""Shot boundaries and keyframe choice, computed on verify's own frames (no scenedetect).

Stateless functions over arrays; the decoding happens elsewhere (one decode per file:
:mod:`verify.analysis` feeds these with what the fingerprint pass computed).

* :func:`shot_features` turns small gray frames (``uint8``, (N, H, W); 32x32 hashing inputs
  are the usual case) into 80-value vectors: a 16-bin luminance histogram and an 8x8
  block-mean thumbnail, scaled so that the mean absolute difference of two vectors is
  ``0.5 * histogram total variation + 0.5 * mean thumbnail difference``, in [0, 1]. This is
  the one shot-feature implementation: the fingerprint computes it on its work pictures.
* :func:`detect_shots` ``(times, features) -> shot start times``: a hard cut is a
  consecutive-frame distance far above its neighbourhood (rolling median + k·MAD, and
  an absolute floor); a gradual transition (fade, dissolve) is a peak of the distance
  between frames ``gradual_span`` seconds apart, placed at its middle. Boundaries closer
  than ``min_shot`` seconds to a stronger one are dropped.
* :func:`select_keyframes` picks, per shot, the sharpest of its most typical samples plus
  evenly spaced extras for long shots (see :func:`pick`).
* :func:`sharpness` is the variance of the Laplacian of a picture.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

log = logging.getLogger("verify")

SCHEMA_VERSION = 1
HIST_BINS = 16
THUMB_SIDE = 8
FEATURE_SIZE = HIST_BINS + THUMB_SIDE * THUMB_SIDE


def shot_features(gray: np.ndarray) -> np.ndarray:
    """Feature vectors (float32, (N, ``FEATURE_SIZE``)) of small gray frames (N, H, W) ``uint8``.

    Frames whose sides are not multiples of 8 are first resized to 32x32 (area interpolation).
    """
    g = np.asarray(gray)
    if g.ndim == 2:
        g = g[None]
    if g.dtype != np.uint8 or g.ndim != 3 or min(g.shape[1:]) < 1:
        raise ValueError(f"shot_features wants (N, H, W) uint8 gray frames, got {g.dtype} {g.shape}")
    n, h, w = g.shape
    if h % THUMB_SIDE or w % THUMB_SIDE:
        g = (
            np.stack([cv2.resize(f, (32, 32), interpolation=cv2.INTER_AREA) for f in g])
            if n
            else g[:, :32, :32]
        )
        h = w = 32
    bins = (g >> 4).reshape(n, -1).astype(np.int64) + HIST_BINS * np.arange(n)[:, None]
    hist = np.bincount(bins.ravel(), minlength=HIST_BINS * n).reshape(n, HIST_BINS) / (h * w)
    kh, kw = h // THUMB_SIDE, w // THUMB_SIDE
    blocks = g.reshape(n, THUMB_SIDE, kh, THUMB_SIDE, kw).sum(axis=(2, 4), dtype=np.int32)
    thumb = np.floor(blocks / (kh * kw) + 0.5).reshape(n, -1) / 255
    scale = 0.5 * FEATURE_SIZE / (THUMB_SIDE * THUMB_SIDE)
    # mean |a-b| over FEATURE_SIZE values = 0.25*sum|dh| + (0.5/64)*sum|dt|
    return np.hstack([hist * (0.25 * FEATURE_SIZE), thumb * scale]).astype(np.float32)


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
    cuts = [(float(d[i]), int(i) + 1) for i in np.flatnonzero(adaptive & strong & peak)]
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


def pick(typical: np.ndarray, sharp: np.ndarray) -> int:
    """Position of the representative of a run of samples: the sharpest among the most typical.

    ``typical[i]`` is how far sample ``i`` is from what the run mostly shows (smaller is more
    typical: what a reverse image search will find; ``inf`` rules a sample out). The first and
    last tenth are left out (fades, motion blur after a cut); among the closest 30 % the
    sharpest wins, which gives the best search hits and legible text; a blurred or flat frame
    is never typical *and* sharp.
    """
    n = len(typical)
    trim = n // 10 if n >= 10 else 0
    ok = np.flatnonzero(np.isfinite(typical[trim : n - trim])) + trim
    if len(ok) == 0:
        ok = np.flatnonzero(np.isfinite(typical))
    if len(ok) <= 2:
        return int(ok[0]) if len(ok) else 0
    t = typical[ok]
    close = ok[t <= np.quantile(t, 0.3)]
    return int(close[np.argmax(sharp[close])])


def hash_typicality(hashes: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Mean Hamming distance of each 64-bit hash in ``lo:hi`` to the others (0 for one sample)."""
    h = np.asarray(hashes, np.uint64)[lo:hi]
    if len(h) <= 1:
        return np.zeros(len(h))
    # beyond 256 samples compare with an even subsample: the same ranking at a bounded cost
    ref = h[np.linspace(0, len(h) - 1, 256).round().astype(int)] if len(h) > 256 else h
    return np.bitwise_count(h[:, None] ^ ref[None, :]).mean(axis=1)


@dataclass(frozen=True)
class KeyframePick:
    """A chosen sample: its position in the samples, its shot (from 1) and the shot's bounds."""

    position: int
    shot: int
    shot_start: float
    shot_end: float


def select_keyframes(
    times: np.ndarray,
    hashes: np.ndarray,
    sharp: np.ndarray,
    shot_starts: Sequence[float],
    end_time: float,
    *,
    max_per_shot: int = 3,
    long_shot_every: float = 10.0,
    limit: int | None = None,
) -> list[KeyframePick]:
    """One representative sample per shot, plus one per ``long_shot_every`` seconds of a long
    shot (at most ``max_per_shot`` per shot); at most ``limit`` overall (evenly thinned).

    ``times`` are the samples' times (sorted), ``hashes`` their whole-picture pHashes (typicality),
    ``sharp`` their sharpness (-inf for a sample that must not be picked: no picture kept),
    ``shot_starts`` the shot start times (the first is the first sample's).
    """
    if max_per_shot < 1 or not long_shot_every > 0:
        raise ValueError("max_per_shot must be at least 1 and long_shot_every positive")
    t = np.asarray(times, np.float64)
    if len(t) == 0:
        return []
    bounds = [*sorted({int(np.searchsorted(t, x - 1e-09)) for x in shot_starts} | {0}), len(t)]
    picks: list[KeyframePick] = []
    for shot, (lo, hi) in enumerate(itertools.pairwise(bounds), start=1):
        if hi <= lo:
            continue
        s_end = float(t[hi]) if hi < len(t) else max(end_time, float(t[-1]))
        shot_len = s_end - float(t[lo])
        parts = max(1, min(max_per_shot, math.ceil(shot_len / long_shot_every)))
        edges = np.linspace(lo, hi, parts + 1).round().astype(int)
        for a, b in itertools.pairwise(edges):
            usable = np.isfinite(sharp[a:b])
            if b <= a or not usable.any():
                continue
            typical = np.where(usable, hash_typicality(hashes, a, b), np.inf)
            picks.append(KeyframePick(a + pick(typical, sharp[a:b]), shot, float(t[lo]), s_end))
    if limit is not None and len(picks) > limit:
        step = (len(picks) - 1) / max(1, limit - 1)
        picks = [picks[round(i * step)] for i in range(limit)]
    log.debug("%d samples, %d shots, %d keyframes", len(t), len(bounds) - 1, len(picks))
    return picks
