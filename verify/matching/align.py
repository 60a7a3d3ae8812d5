"""Stage 2: fit ``reference_time = speed * query_time + offset`` to one reference's candidate pairs.

Hough voting over a geometric grid of speeds with offsets binned at the tolerance; each bin counts
*distinct query samples* (a sample whose frame matches a plateau of near-identical reference frames
votes once). The peak is refined by least squares on one pair per sample, the best-distance pair near the line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Pairs x speeds processed per Hough chunk (bounds memory to ~50 MB of int64).
_CHUNK = 6_000_000


@dataclass(frozen=True)
class Line:
    speed: float
    offset: float
    support: int


def speed_grid(min_speed: float, max_speed: float, step: float, reverse: bool = False) -> np.ndarray:
    """Geometric grid from ``min_speed`` to ``max_speed`` with ratio ``1 + step``; contains 1.0.
    ``reverse``: the same speeds negated too (playback backwards), after the forward ones."""
    r = math.log1p(step)
    lo = math.ceil(math.log(min_speed) / r - 1e-6)
    hi = math.floor(math.log(max_speed) / r + 1e-6)
    grid = np.exp(np.arange(lo, hi + 1) * r)
    return np.concatenate([grid, -grid]) if reverse else grid


def _preference(a: float) -> float:
    """Tie-break key of a speed: nearest 1.0 first, any forward speed before a backward one."""
    return -(abs(math.log(abs(a))) + (10.0 if a < 0 else 0.0))


def hough_peak(qt: np.ndarray, rt: np.ndarray, sample: np.ndarray, speeds: np.ndarray, tol: float) -> Line:
    """Best (speed, offset) by distinct-sample votes. Pairs must be sorted by (sample, rt)."""
    m = len(qt)
    if m == 0:
        return Line(1.0, 0.0, 0)
    same_sample = np.zeros(m, bool)
    same_sample[1:] = sample[1:] == sample[:-1]
    best = (0, 1.0, 0.0)
    best_key: tuple[int, float] = (0, -math.inf)
    rows = max(1, _CHUNK // max(m, 1))
    for start in range(0, len(speeds), rows):
        a = speeds[start : start + rows]
        bins = np.floor((rt[None, :] - a[:, None] * qt[None, :]) / tol).astype(np.int64)
        lo = int(bins.min())
        bins -= lo
        nb = int(bins.max()) + 2
        first = np.ones(bins.shape, bool)  # first pair of its sample in this bin
        first[:, 1:] = ~(same_sample[1:] & (bins[:, 1:] == bins[:, :-1]))
        key = (np.arange(len(a))[:, None] * nb + bins)[first]
        counts = np.bincount(key, minlength=len(a) * nb).reshape(len(a), nb)
        pair = counts[:, :-1] + counts[:, 1:]  # a line between two bins collects both
        row_bin = np.argmax(pair, axis=1)
        row_max = pair[np.arange(len(a)), row_bin]
        for ai in np.flatnonzero(row_max == row_max.max()):
            # ties (a static shot fits many speeds equally) go to the speed nearest 1.0
            key = (int(row_max[ai]), _preference(float(a[ai])))
            if key > best_key:
                best_key = key
                best = (key[0], float(a[ai]), (int(row_bin[ai]) + lo + 1) * tol)
    return Line(best[1], best[2], best[0])


def best_per_sample(
    qt: np.ndarray,
    rt: np.ndarray,
    sample: np.ndarray,
    dist: np.ndarray,
    speed: float,
    offset: float,
    tol: float,
) -> np.ndarray:
    """Per sample with a pair within ``tol`` of the line: its closest pair in distance, then in time.

    Taking the best-distance pair (not the one nearest the line) lets the fit follow the true frames
    when a slow scene gives each sample a plateau of near-identical reference frames.
    """
    resid = np.abs(rt - (speed * qt + offset))
    ok = np.flatnonzero(resid <= tol)
    if len(ok) == 0:
        return ok
    order = ok[np.lexsort((resid[ok], dist[ok], sample[ok]))]
    first = np.ones(len(order), bool)
    first[1:] = sample[order][1:] != sample[order][:-1]
    return order[first]


def refine(
    qt: np.ndarray,
    rt: np.ndarray,
    sample: np.ndarray,
    dist: np.ndarray,
    line: Line,
    tol: float,
    speed_range: tuple[float, float],
) -> Line:
    """Least-squares refit on the best pair per sample near the line, narrowing from 2x to 1x tol."""
    speed, offset = line.speed, line.offset
    sign = -1.0 if speed < 0 else 1.0
    for width in (2.0, 1.5, 1.0):
        idx = best_per_sample(qt, rt, sample, dist, speed, offset, tol * width)
        if len(idx) < 2:
            break
        x, y = qt[idx], rt[idx]
        if np.ptp(x) >= 4 * tol and len(idx) >= 4:
            xm, ym = x.mean(), y.mean()
            denom = float(((x - xm) ** 2).sum())
            s = float(((x - xm) * (y - ym)).sum() / denom) * sign
            speed = sign * min(max(s, speed_range[0]), speed_range[1])
        offset = float(np.median(y - speed * x))
    idx = best_per_sample(qt, rt, sample, dist, speed, offset, tol)
    if abs(speed) != 1.0 and len(idx) >= 2:
        # slow scenes pin time down poorly; prefer normal speed when it explains the pairs as well
        off1 = float(np.median(rt[idx] - sign * qt[idx]))
        idx1 = best_per_sample(qt, rt, sample, dist, sign, off1, tol)
        if len(idx1) >= len(idx) and dist[idx1].mean() <= dist[idx].mean() + 0.5:
            return Line(sign, off1, len(idx1))
    return Line(speed, offset, len(idx))
