"""Verifying one candidate alignment peak by peak, and cutting it into segments.

Given ``reference_time = a * query_time + b`` and a pitch shift, every query peak is moved onto
the reference's clock and pitch and counts as *matched* when a reference peak lies within
``tol_frames`` and ``tol_semitones`` of it. Segments are the stretches of the query where at
least ``window_rate`` of the peaks are matched (1 s windows, gaps up to ``max_gap``). The same count
at offsets that are certainly wrong (the alignment moved by several seconds) gives the chance
rate; a copy beats it many times over, other speech of the same speaker does not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .result import AudioEvidence
from .settings import AudioMatchSettings

#: Offsets (seconds) that give the chance rate of a candidate.
WRONG_SHIFTS = (-9.1, -5.3, 4.7, 8.3, 13.9)
GRID = 0.25  # seconds between segment windows
WINDOW = 1.0  # seconds a window spans
EVIDENCE = 5  # time pairs shown per segment


@dataclass(frozen=True)
class Line:
    speed: float
    offset: float
    shift: float  # semitones the query's pitch is lowered by to reach the reference

    def to_reference(self, t: np.ndarray) -> np.ndarray:
        return self.speed * t + self.offset


def land(
    qt: np.ndarray, qp: np.ndarray, rt: np.ndarray, rp: np.ndarray, line: Line, tol_t: float, tol_p: float
) -> tuple[np.ndarray, np.ndarray]:
    """Which query peaks land on a reference peak (bool), and that peak's time (NaN when none)."""
    t = line.to_reference(qt)
    p = qp - line.shift
    lo = np.searchsorted(rt, t - tol_t, side="left")
    hi = np.searchsorted(rt, t + tol_t, side="right")
    hit = np.zeros(qt.size, bool)
    where = np.full(qt.size, np.nan)
    width = int((hi - lo).max()) if qt.size else 0
    last = max(0, rt.size - 1)
    for k in range(width):
        idx = lo + k
        cand = np.minimum(idx, last)
        ok = (idx < hi) & (np.abs(rp[cand] - p) <= tol_p) & ~hit
        where[ok] = rt[cand[ok]]
        hit |= ok
    return hit, where


def inside(qt: np.ndarray, line: Line, duration: float) -> np.ndarray:
    t = line.to_reference(qt)
    return (t >= 0) & (t <= duration)


def chance_rate(
    qt: np.ndarray,
    qp: np.ndarray,
    rt: np.ndarray,
    rp: np.ndarray,
    line: Line,
    duration: float,
    s: AudioMatchSettings,
    tol_t: float,
) -> float:
    rates = []
    for d in WRONG_SHIFTS:
        wrong = Line(line.speed, line.offset + d, line.shift)
        ok = inside(qt, wrong, duration)
        if ok.sum() >= 20:
            hit, _ = land(qt[ok], qp[ok], rt, rp, wrong, tol_t, s.tol_semitones)
            rates.append(hit.mean())
    return float(np.mean(rates)) if rates else 0.05


def refit(qt: np.ndarray, where: np.ndarray, hit: np.ndarray, line: Line, s: AudioMatchSettings) -> Line:
    """Least-squares line through the matched peaks (speed kept within the searched range)."""
    if hit.sum() < 8 or np.ptp(qt[hit]) < 1.0:
        return line
    a, b = np.polyfit(qt[hit], where[hit], 1)
    a = float(np.clip(a, s.min_speed * 0.97, s.max_speed * 1.03))
    b = float(np.median(where[hit] - a * qt[hit]))
    shift = 12 * np.log2(a) if line.shift else 0.0
    return Line(a, b, float(shift))


def segments(
    qt: np.ndarray, hit: np.ndarray, valid: np.ndarray, s: AudioMatchSettings
) -> list[tuple[float, float]]:
    """Query stretches ``[start, end]`` where enough peaks land (see module docstring)."""
    t = qt[valid]
    m = qt[valid & hit]
    if m.size < s.min_peaks:
        return []
    grid = np.arange(m[0], m[-1] + GRID, GRID)
    total = np.searchsorted(t, grid + WINDOW / 2) - np.searchsorted(t, grid - WINDOW / 2)
    matched = np.searchsorted(m, grid + WINDOW / 2) - np.searchsorted(m, grid - WINDOW / 2)
    on = (matched >= 3) & (matched >= s.window_rate * np.maximum(total, 1))
    out: list[tuple[float, float]] = []
    run_start = None
    last_on = None
    for g, flag in zip(grid, on):
        if flag:
            if run_start is None or (last_on is not None and g - last_on > s.max_gap):
                if run_start is not None and last_on is not None:
                    out.append((run_start, last_on))
                run_start = g
            last_on = g
    if run_start is not None and last_on is not None:
        out.append((run_start, last_on))
    trimmed = []
    for a, b in out:
        inner = m[(m >= a - WINDOW / 2) & (m <= b + WINDOW / 2)]
        lo, hi = 0, inner.size - 1
        # ends: drop matched peaks that stand alone (the half second inside them is mostly unmatched)
        while lo < hi and _rate(t, m, inner[lo], inner[lo] + WINDOW / 2) < s.window_rate:
            lo += 1
        while hi > lo and _rate(t, m, inner[hi] - WINDOW / 2, inner[hi]) < s.window_rate:
            hi -= 1
        if inner.size:
            trimmed.append((float(inner[lo]), float(inner[hi])))
    return trimmed


def _rate(t: np.ndarray, m: np.ndarray, a: float, b: float) -> float:
    total = np.searchsorted(t, b, side="right") - np.searchsorted(t, a, side="left")
    matched = np.searchsorted(m, b, side="right") - np.searchsorted(m, a, side="left")
    return float(matched / total) if total else 0.0


def evidence(
    qt: np.ndarray, hit: np.ndarray, where: np.ndarray, start: float, end: float
) -> tuple[AudioEvidence, ...]:
    idx = np.nonzero(hit & (qt >= start) & (qt <= end))[0]
    if idx.size == 0:
        return ()
    picks = idx[np.unique(np.linspace(0, idx.size - 1, min(EVIDENCE, idx.size)).round().astype(int))]
    out = []
    for i in picks:
        near = np.abs(qt - qt[i]) <= 0.5
        out.append(AudioEvidence(float(qt[i]), float(where[i]), int((near & hit).sum()), int(near.sum())))
    return tuple(out)
