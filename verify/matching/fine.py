"""Stage 4: place low-motion footage in time by what moves in it.

On a talking head, a tripod or a CCTV view every query frame's pHash matches every reference frame
(0-4 bits), so the hash alignment (stages 1-3) cannot say when. The reference keeps a finer signal
(``Fingerprint.fine``: the block means of a 6x6 grid over its picture, 5 per second, see
``verify.hashing.grid``) and the query keeps its sample pictures. For a reference the hash search
found but could not place, this stage

1. takes the geometry the hashes matched with (which region of the query shows which region of the
   reference, mirrored or turned) and computes the query's series *in the reference's cells*;
2. keeps the cells where something changes in the query (a fixed logo, caption band or border does
   not, nor do cells outside the query's view);
3. searches speed and offset per window of query samples by normalised cross-correlation of the
   cell series after each cell's own mean is taken out (what changes, not what is there), coarse to
   fine, and groups windows that agree into lines;
4. accepts a line when its correlation over all its samples is high (``fine_min_correlation``) and
   clearly above the best correlation at any other moment of the reference (``fine_min_margin``,
   more than ``fine_window`` s away) -- or when the other moments that correlate as well are a few
   sharp peaks: the reference repeats that picture (``alternatives``);
5. whatever stays unplaced is handed back for the ``scenes`` list.

Numbers behind the defaults: docs/matching.md ("Low-motion footage").
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from ..hashing import grid as fine_grid
from ..hashing.variants import TURNS, base_box
from .candidates import Candidates, variant_parts
from .settings import MatchSettings

#: Query samples per search window (4 s at 2 samples a second) and the step between windows.
WINDOW = 8
HOP = 4
#: A cell takes part when its query series varies by at least this (std, gray levels) ...
MIN_CELL_STD = 0.35
#: ... and by at least this share of the most active cell's.
MIN_CELL_SHARE = 0.05
#: Coarse search grid: speed ratio and offset step (s); then a local refinement.
COARSE_RATIO = 1.08
COARSE_STEP = 0.25
FINE_STEP = 0.05
#: Normal speed is kept when it correlates within this of the best speed.
PREFER_UNIT = 0.03


@dataclass(frozen=True, eq=False)
class FineLine:
    """A placed segment: query samples ``samples`` (indices of usable samples) follow the reference."""

    ref: int
    speed: float
    offset: float
    samples: np.ndarray
    correlation: float
    rival: float
    alternatives: tuple[float, ...]
    mirrored: bool
    crop: str | None
    rotation: int
    label: str


@dataclass(frozen=True)
class Geometry:
    """Where the reference's whole picture lies in a query picture, and how that picture is read."""

    picture: int  # index into the fingerprint's ``settings.pictures``
    box: tuple[float, float, float, float]
    mirrored: bool
    turns: int
    crop: str | None
    label: str


def geometries(
    c: Candidates, picture_names: tuple[str, ...], aspect: float, ref_aspect: float = 16 / 9
) -> list[Geometry]:
    """The pairing most samples matched with (their best pair), as mappings of the reference's
    picture into the query's kept pictures: into the bar-free picture, and (the bar detection may
    have cut dark picture as bars) into the whole frame; empty when that pairing has no picture."""
    geo = geometry(c, picture_names, aspect, ref_aspect)
    if geo is None:
        return []
    out = [geo]
    if "frame" in picture_names and geo.picture == picture_names.index("full"):
        out.append(
            Geometry(picture_names.index("frame"), geo.box, geo.mirrored, geo.turns, geo.crop, geo.label)
        )
    return out


def geometry(
    c: Candidates, picture_names: tuple[str, ...], aspect: float, ref_aspect: float = 16 / 9
) -> Geometry | None:
    """The pairing most samples matched with (their best pair), as a mapping of the reference's picture
    into the query's kept pictures; None when that pairing has no kept picture."""
    if len(c) == 0:
        return None
    order = np.lexsort((c.distance, c.sample))
    first = np.ones(len(order), bool)
    first[1:] = c.sample[order][1:] != c.sample[order][:-1]
    votes = Counter(int(x) for x in c.label[order[first]])
    for label, _ in votes.most_common():
        name = c.labels[label]
        qn, _, rn = name.partition("/")
        qb, qm = variant_parts(qn)
        rb, rm = variant_parts(rn or "full")
        mirrored = qm != rm
        turns = TURNS.get(qb, 0)
        if qb == "inset" and "inset" in picture_names:
            pic, qbox = picture_names.index("inset"), (0.0, 0.0, 1.0, 1.0)
        elif "full" in picture_names and qb != "inset":
            pic, qbox = picture_names.index("full"), base_box(qb)(aspect)
        else:
            continue
        rbox = base_box(rb)(ref_aspect)
        sx = (qbox[2] - qbox[0]) / max(rbox[2] - rbox[0], 1e-9)
        sy = (qbox[3] - qbox[1]) / max(rbox[3] - rbox[1], 1e-9)
        box = (qbox[0] - rbox[0] * sx, qbox[1] - rbox[1] * sy, qbox[0] + (1 - rbox[0]) * sx,
               qbox[1] + (1 - rbox[1]) * sy)  # fmt: skip
        if mirrored:  # read the query picture flipped: the region sits mirrored across the picture
            box = (1.0 - box[2], box[1], 1.0 - box[0], box[3])
        net = None if qb == rb else (qb if qb.startswith("win") or rb == "full" else rb)
        if qb in TURNS:
            net = None
        return Geometry(pic, box, mirrored, turns, net, name)
    return None


def query_series(pictures: np.ndarray, geo: Geometry, g: int) -> tuple[np.ndarray, np.ndarray]:
    """The query's block means in the reference's cells: ((N, g*g) float32, valid (g*g,))."""
    pics = pictures[:, geo.picture]
    if geo.turns:
        pics = np.rot90(pics, geo.turns, axes=(1, 2))
    if geo.mirrored:
        pics = pics[:, :, ::-1]
    return fine_grid.region_means(np.ascontiguousarray(pics), geo.box, g)


def _interp(rt: np.ndarray, rv: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Linear interpolation of the reference series at times ``t`` (any shape) -> t.shape + (cells,)."""
    idx = np.clip(np.searchsorted(rt, t), 1, len(rt) - 1)
    t0, t1 = rt[idx - 1], rt[idx]
    a = np.clip((t - t0) / np.maximum(t1 - t0, 1e-9), 0.0, 1.0)[..., None]
    return rv[idx - 1] * (1 - a) + rv[idx] * a


def ncc(q: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Normalised cross-correlation over time and cells after each cell's mean over time is removed.
    ``q`` (T, C); ``r`` (..., T, C) -> (...)."""
    qc = q - q.mean(axis=0)
    rc = r - r.mean(axis=-2, keepdims=True)
    num = (rc * qc).sum(axis=(-2, -1))
    den = np.sqrt((qc * qc).sum() * (rc * rc).sum(axis=(-2, -1))) + 1e-9
    return np.asarray(num / den)


#: The reference series is resampled on this grid (s) for the correlation search.
GRID_STEP = 0.05


class _Prepared:
    """One (query window, reference series) pair, precomputed for correlations at many (speed, offset).

    With the query's cell series ``qc`` mean-removed, the numerator of the NCC at a placement is
    ``sum_t R[i_t] . qc[t]``: the products ``R @ qc.T`` are computed once (one matrix product) and a
    placement only gathers from them, as it gathers the sums and squares of ``R`` for the
    denominator.
    """

    def __init__(self, qt: np.ndarray, q: np.ndarray, rt: np.ndarray, rv: np.ndarray) -> None:
        self.g0 = float(rt[0])
        n = max(2, int((float(rt[-1]) - self.g0) / GRID_STEP) + 1)
        self.R = _interp(rt, rv, self.g0 + np.arange(n) * GRID_STEP).astype(np.float64)
        self.R2 = (self.R * self.R).sum(axis=1)
        qc = np.asarray(q, np.float64) - np.asarray(q, np.float64).mean(axis=0)
        self.qn2 = float((qc * qc).sum())
        self.M = self.R @ qc.T  # (n, T)
        self.qt = np.asarray(qt, np.float64)
        self.n = n

    def curve(
        self, speed: float, step: float, around: tuple[float, float] | None
    ) -> tuple[np.ndarray, np.ndarray]:
        k = np.round(speed * self.qt / GRID_STEP).astype(np.int64)
        lo, hi = int(-k.min()), int(self.n - 1 - k.max())
        if around is not None:
            lo = max(lo, math.ceil((around[0] - self.g0) / GRID_STEP - 1e-9))
            hi = min(hi, math.floor((around[1] - self.g0) / GRID_STEP + 1e-9))
        if hi < lo or self.qn2 <= 0:
            return np.zeros(0), np.zeros(0)
        os_ = np.arange(lo, hi + 1, max(1, round(step / GRID_STEP)))
        t = len(k)
        out = np.empty(len(os_))
        chunk = max(1, 4_000_000 // max(1, t * self.R.shape[1]))
        cols = np.arange(t)
        for a in range(0, len(os_), chunk):
            idx = os_[a : a + chunk, None] + k[None, :]
            num = self.M[idx, cols].sum(axis=1)
            s1 = self.R[idx].sum(axis=1)
            var = self.R2[idx].sum(axis=1) - (s1 * s1).sum(axis=1) / t
            out[a : a + chunk] = num / np.sqrt(self.qn2 * np.maximum(var, 1e-12))
        return self.g0 + os_ * GRID_STEP, out


_CACHE: list[tuple[tuple[int, ...], tuple[object, ...], _Prepared]] = []


def _prepared(qt: np.ndarray, q: np.ndarray, rt: np.ndarray, rv: np.ndarray) -> _Prepared:
    key = (id(qt), id(q), id(rt), id(rv))
    for k, _, prep in _CACHE:
        if k == key:
            return prep
    prep = _Prepared(qt, q, rt, rv)
    _CACHE.append((key, (qt, q, rt, rv), prep))  # the objects are held so their ids stay theirs
    del _CACHE[:-4]
    return prep


def curve(
    qt: np.ndarray, q: np.ndarray, rt: np.ndarray, rv: np.ndarray, speed: float, step: float,
    around: tuple[float, float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """NCC at every offset (``step`` apart, on a :data:`GRID_STEP` grid) that keeps all mapped
    times inside the reference (or inside ``around`` = (lo, hi) offsets)."""
    return _prepared(qt, q, rt, rv).curve(speed, step, around)


def speeds(s: MatchSettings) -> np.ndarray:
    r = math.log(COARSE_RATIO)
    k = np.arange(
        math.ceil(math.log(s.min_speed) / r - 1e-6), math.floor(math.log(s.max_speed) / r + 1e-6) + 1
    )
    fwd = np.exp(k * r)
    return np.concatenate([fwd, -fwd]) if s.reverse else fwd


def best_line(
    qt: np.ndarray, q: np.ndarray, rt: np.ndarray, rv: np.ndarray, s: MatchSettings
) -> tuple[float, float, float]:
    """(correlation, speed, offset) of the best line for one window: coarse grid, then refined."""
    best = (-2.0, 1.0, 0.0)
    for a in speeds(s):
        offs, c = curve(qt, q, rt, rv, float(a), COARSE_STEP)
        if len(c) and float(c.max()) > best[0]:
            best = (float(c.max()), float(a), float(offs[int(np.argmax(c))]))
    if best[0] <= -2.0:
        return best
    return refine_line(qt, q, rt, rv, best[1], best[2], best[0])


def refine_line(
    qt: np.ndarray, q: np.ndarray, rt: np.ndarray, rv: np.ndarray, a0: float, o0: float, floor: float = -2.0
) -> tuple[float, float, float]:
    """Local search around (a0, o0); normal speed (1 or -1) wins when it correlates within
    :data:`PREFER_UNIT` of the best (a few seconds pin a slow scene's speed down poorly)."""
    best = (floor, a0, o0)
    for a in a0 * np.exp(np.linspace(-0.5, 0.5, 9) * math.log(COARSE_RATIO)):
        offs, c = curve(qt, q, rt, rv, float(a), FINE_STEP, (o0 - 0.6, o0 + 0.6))
        if len(c) and float(c.max()) > best[0]:
            best = (float(c.max()), float(a), float(offs[int(np.argmax(c))]))
    unit = math.copysign(1.0, best[1])
    mid = float(np.mean(qt))
    o1 = best[1] * mid + best[2] - unit * mid  # the same placement of the middle at normal speed
    offs, c = curve(qt, q, rt, rv, unit, FINE_STEP, (o1 - 0.6, o1 + 0.6))
    if len(c) and float(c.max()) >= best[0] - PREFER_UNIT:
        best = (float(c.max()), unit, float(offs[int(np.argmax(c))]))
    return best


def widen_line(
    qt: np.ndarray, q: np.ndarray, rt: np.ndarray, rv: np.ndarray, a0: float, o0: float
) -> tuple[float, float, float]:
    """Best (correlation, speed, offset) within 25% of speed ``a0`` that places the samples' middle
    within 0.6 s of where (a0, o0) does; normal speed preferred as in :func:`refine_line`."""
    mid = float(np.mean(qt))
    best = (-2.0, a0, o0)
    for a in a0 * np.exp(np.linspace(-0.25, 0.25, 21)):
        oc = a0 * mid + o0 - a * mid
        offs, c = curve(qt, q, rt, rv, float(a), FINE_STEP, (oc - 0.6, oc + 0.6))
        if len(c) and float(c.max()) > best[0]:
            best = (float(c.max()), float(a), float(offs[int(np.argmax(c))]))
    return refine_line(qt, q, rt, rv, best[1], best[2], best[0])


def active_cells(q: np.ndarray, valid: np.ndarray) -> np.ndarray:
    std = q.std(axis=0)
    std[~valid] = 0.0
    top = float(std.max()) if std.size else 0.0
    return valid & (std >= max(MIN_CELL_STD, MIN_CELL_SHARE * top))


def verdict(
    qt: np.ndarray,
    q: np.ndarray,
    rt: np.ndarray,
    rv: np.ndarray,
    speed: float,
    offset: float,
    s: MatchSettings,
) -> tuple[float, float, tuple[float, ...]]:
    """(correlation on the line, best correlation at other moments, repeat offsets) for a segment."""
    offs, c = curve(qt, q, rt, rv, speed, FINE_STEP)
    if not len(c):
        return -1.0, 1.0, ()
    on = np.abs(offs - offset) <= 2 * FINE_STEP
    here = float(c[on].max()) if on.any() else float(ncc(q, _interp(rt, rv, speed * qt + offset)))
    far = np.abs(offs - offset) > s.fine_window
    if not far.any():
        # the segment spans (nearly) the whole reference: compare with shifts inside it
        far = np.abs(offs - offset) > s.fine_window / 2
        if not far.any():
            return here, -1.0, ()
    rival = float(c[far].max())
    alts: list[float] = []
    if rival > here - s.fine_min_margin:
        # a few sharp peaks as high as this one: the reference repeats the picture
        peaks = np.flatnonzero((c >= here - 0.05) & (c >= np.roll(c, 1)) & (c >= np.roll(c, -1)) & far)
        sharp = []
        for p in peaks:
            near = np.abs(offs - offs[p]) <= s.fine_window
            ring = near & (np.abs(offs - offs[p]) > s.fine_window / 2)
            if ring.any() and float(c[ring].max()) < c[p] - s.fine_min_margin:
                sharp.append(float(offs[p]))
        merged: list[float] = []
        for o in sorted(sharp):
            if not merged or o - merged[-1] > s.fine_window:
                merged.append(o)
        others = far.copy()
        for o in merged:
            others &= np.abs(offs - o) > s.fine_window
        rest = float(c[others].max()) if others.any() else -1.0
        if merged and len(merged) <= s.max_repeats and rest < here - s.fine_min_margin:
            alts = merged
            rival = rest
    # any other speed (backwards too) that puts the segment elsewhere is a rival as well: a smooth
    # motion can retrace, slowed or reversed, a stretch seen at another moment. "Elsewhere": the
    # reference stretch it maps the segment to overlaps this line's (or a repeat's) by under half.
    t0, t1 = float(qt.min()), float(qt.max())
    places = [
        (min(speed * t0 + o, speed * t1 + o), max(speed * t0 + o, speed * t1 + o)) for o in (offset, *alts)
    ]
    for a in speeds(s):
        if abs(a - speed) < 1e-9:
            continue
        offs_a, c_a = curve(qt, q, rt, rv, float(a), COARSE_STEP)
        if not len(c_a):
            continue
        lo = np.minimum(a * t0 + offs_a, a * t1 + offs_a)
        hi = np.maximum(a * t0 + offs_a, a * t1 + offs_a)
        far_a = np.ones(len(offs_a), bool)
        for p0, p1 in places:
            overlap = np.maximum(0.0, np.minimum(hi, p1) - np.maximum(lo, p0))
            far_a &= overlap < 0.5 * np.maximum(np.minimum(hi - lo, p1 - p0), 1e-9)
        if far_a.any():
            rival = max(rival, float(c_a[far_a].max()))
    return here, rival, tuple(alts)


def place(
    c: Candidates,
    ref: int,
    qtimes: np.ndarray,
    pictures: np.ndarray,
    picture_names: tuple[str, ...],
    aspect: float,
    fine: tuple[np.ndarray, np.ndarray],
    explained: np.ndarray,
    s: MatchSettings,
) -> tuple[list[FineLine], float | None]:
    """Lines placing the unexplained samples of one reference (``c``: its pairs), and the best
    window correlation seen (None when nothing could be correlated)."""
    rt, stored = fine
    rv = fine_grid.decode(stored)
    if len(rt) < 4:
        return [], None
    mine = c.take(np.flatnonzero(~explained[c.sample]))
    g = round(math.sqrt(rv.shape[1]))
    best: tuple[list[FineLine], float | None] = ([], None)
    for geo in geometries(mine, picture_names, aspect):
        q_all, valid = query_series(pictures, geo, g)
        lines, seen = _place(np.unique(mine.sample), qtimes, q_all, valid, rt, rv, geo, ref, s)
        covered = sum(len(x.samples) for x in lines)
        if covered > sum(len(x.samples) for x in best[0]) or (
            not best[0] and seen is not None and (best[1] is None or seen > best[1])
        ):
            best = (lines, seen)
    return best


def _place(
    samples: np.ndarray, qtimes: np.ndarray, q_all: np.ndarray, valid: np.ndarray, rt: np.ndarray,
    rv: np.ndarray, geo: Geometry, ref: int, s: MatchSettings,
) -> tuple[list[FineLine], float | None]:  # fmt: skip
    """Best line per window (once), then lines from the best windows down, each verified over all
    the samples it gathers; windows whose samples a line took are dropped."""
    lines: list[FineLine] = []
    best_seen: float | None = None
    ref_span = float(rt[-1] - rt[0])
    windows = []
    for i in range(0, max(1, len(samples) - WINDOW + 1), HOP):
        w = samples[i : i + WINDOW]
        if len(w) < s.min_samples or qtimes[w[-1]] - qtimes[w[0]] > 2 * WINDOW:
            continue
        cells = active_cells(q_all[w], valid)
        if cells.sum() < 2:
            continue
        corr, speed, offset = best_line(qtimes[w], q_all[w][:, cells], rt, rv[:, cells], s)
        best_seen = corr if best_seen is None else max(best_seen, corr)
        if corr >= s.fine_min_correlation - 0.1:
            windows.append((corr, speed, offset, w))
    windows.sort(key=lambda x: -x[0])
    todo = samples.copy()
    tried = 0
    while windows and len(lines) < s.max_lines and tried < s.max_lines + s.max_stray:
        tried += 1
        _, speed, offset, _w = windows.pop(0)
        on = _on_line(todo, qtimes, q_all, valid, rt, rv, speed, offset, s)
        if len(on) >= s.min_samples:
            # a window of a few seconds pins a slow scene's speed poorly: refit it on all the samples the
            # line gathered (up to 25% either way), then gather again along the refitted line
            cells = active_cells(q_all[on], valid)
            if cells.sum() >= 2:
                _, speed, offset = widen_line(
                    qtimes[on], q_all[on][:, cells], rt, rv[:, cells], speed, offset
                )
                on = _on_line(todo, qtimes, q_all, valid, rt, rv, speed, offset, s)
        if len(on) >= s.min_samples and qtimes[on[-1]] - qtimes[on[0]] >= s.min_duration:
            cells = active_cells(q_all[on], valid)
            if cells.sum() >= 2:
                q_on, r_on = q_all[on][:, cells], rv[:, cells]
                _, speed, offset = refine_line(qtimes[on], q_on, rt, r_on, speed, offset)
                here, rival, alts = verdict(qtimes[on], q_on, rt, r_on, speed, offset, s)
                span = abs(speed) * (qtimes[on[-1]] - qtimes[on[0]])
                need = s.fine_min_correlation if abs(speed - 1.0) < 0.03 else s.fine_min_correlation_warped
                if here >= need and here - rival >= s.fine_min_margin and span <= ref_span + 0.5:
                    lines.append(
                        FineLine(ref, speed, offset, on, here, rival,
                                 tuple(a for a in alts if abs(a - offset) > 1e-6), geo.mirrored, geo.crop,
                                 90 * geo.turns, geo.label)
                    )  # fmt: skip
                    todo = np.setdiff1d(todo, on)
                    windows = [x for x in windows if np.isin(x[3], todo).mean() > 0.5]
    return lines, best_seen


def _on_line(
    todo: np.ndarray, qtimes: np.ndarray, q_all: np.ndarray, valid: np.ndarray, rt: np.ndarray,
    rv: np.ndarray, speed: float, offset: float, s: MatchSettings,
) -> np.ndarray:  # fmt: skip
    """The longest run of samples (gaps up to ``max_gap``) whose local window correlates on the line."""
    t = qtimes[todo]
    mapped = speed * t + offset
    inside = (mapped >= rt[0] - 0.2) & (mapped <= rt[-1] + 0.2)
    good = np.zeros(len(todo), bool)
    half = WINDOW // 2
    for i in np.flatnonzero(inside):
        lo, hi = max(0, i - half), min(len(todo), i + half)
        w = todo[lo:hi]
        w = w[(speed * qtimes[w] + offset >= rt[0] - 0.2) & (speed * qtimes[w] + offset <= rt[-1] + 0.2)]
        if len(w) < 4:
            continue
        cells = active_cells(q_all[w], valid)
        if cells.sum() < 2:
            continue
        r = _interp(rt, rv[:, cells], speed * qtimes[w] + offset)
        good[i] = float(ncc(q_all[w][:, cells], r)) >= s.fine_min_correlation - 0.1
    if not good.any():
        return todo[:0]
    best: tuple[int, int] = (0, 0)
    start: int | None = None
    for k in range(len(todo) + 1):
        ok = k < len(todo) and bool(good[k])
        if ok and start is None:
            start = k
        gap = k < len(todo) and start is not None and k > start and t[k] - t[k - 1] > s.max_gap
        if start is not None and (not ok or gap):
            if k - start > best[1] - best[0]:
                best = (start, k)
            start = k if ok else None
    return todo[best[0] : best[1]]
