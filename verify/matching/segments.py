"""Stage 3: every segment of the query that follows one reference.

For one reference: find the strongest alignment line, cut the samples aligned with it into runs
(gaps up to ``max_gap``), keep runs with enough aligned samples and a high enough aligned fraction,
take their samples out and look for the next line (a reference can appear twice; a look-alike line
that yields nothing is taken out too), up to ``max_lines`` lines.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .align import Line, hough_peak, refine
from .candidates import Candidates
from .settings import MatchSettings


@dataclass(frozen=True, eq=False)
class RawSegment:
    """A run of aligned samples on one line; ``pairs`` index the reference's candidates."""

    ref: int
    speed: float
    offset: float
    pairs: np.ndarray  # one pair per aligned sample (the closest in distance on the line), by time
    q_first: float
    q_last: float
    aligned: int
    usable: int
    distinct: float  # sum over aligned samples of the share of their pairs near the line
    alternatives: tuple[float, ...] = ()  # offsets of parallel lines the samples fit as well (repeats)

    @property
    def fraction(self) -> float:
        return self.aligned / max(self.usable, 1)

    @property
    def support(self) -> float:
        """Aligned fraction with each sample weighted by how uniquely it points at this line."""
        return self.distinct / max(self.usable, 1)


def best_on_line(c: Candidates, alive: np.ndarray, line: Line, tol: float) -> np.ndarray:
    """Per sample, among live pairs within ``tol`` of the line, the one with the smallest distance."""
    resid = np.abs(c.ref_time - (line.speed * c.query_time + line.offset))
    ok = np.flatnonzero(alive & (resid <= tol))
    if len(ok) == 0:
        return ok
    order = ok[np.lexsort((resid[ok], c.distance[ok], c.sample[ok]))]
    first = np.ones(len(order), bool)
    first[1:] = c.sample[order][1:] != c.sample[order][:-1]
    return order[first]


def near_share(c: Candidates, line: Line, window: float) -> np.ndarray:
    """Per query sample: the share of its voting pairs (this reference) within ``window`` of the line.

    A true copy's frame matches the reference near one time; a look-alike (same camera, other time;
    a slowly changing scene) matches many times equally well, so its pairs spread along the reference.
    """
    near = np.abs(c.ref_time - (line.speed * c.query_time + line.offset)) <= window
    n = int(c.sample.max()) + 1 if len(c) else 0
    total = np.bincount(c.sample, minlength=n)
    return np.bincount(c.sample, weights=near, minlength=n) / np.maximum(total, 1)


def runs(pairs: np.ndarray, c: Candidates, max_gap: float) -> list[np.ndarray]:
    """Split the aligned pairs (sorted by sample) where the query-time gap exceeds ``max_gap``."""
    if len(pairs) == 0:
        return []
    t = c.query_time[pairs]
    cuts = np.flatnonzero(np.diff(t) > max_gap) + 1
    return [p for p in np.split(pairs, cuts) if len(p)]


#: A run is cut at a pause of this many seconds between aligned samples when the part on one side
#: only touches the line (mean share below WEAK_SHARE): a jump cut of low-motion footage, whose
#: next excerpt matches the first line's plateau here and there.
WEAK_GAP = 1.0
WEAK_SHARE = 0.25


def _trim_weak(parts: list[np.ndarray], c: Candidates, share: np.ndarray) -> list[np.ndarray]:
    out = []
    for run in parts:
        t = c.query_time[run]
        w = share[c.sample[run]]
        cuts = np.flatnonzero(np.diff(t) > WEAK_GAP) + 1
        pieces = np.split(np.arange(len(run)), cuts)
        if len(pieces) == 1:
            out.append(run)
            continue
        strong = [p for p in pieces if float(w[p].mean()) >= WEAK_SHARE]
        if not strong:
            out.append(run)
            continue
        keep = np.concatenate(strong)
        # keep the strong pieces together when they are next to each other
        out.extend(run[k] for k in np.split(keep, np.flatnonzero(np.diff(keep) > 1) + 1))
    return out


def _needed_support(speed: float, s: MatchSettings) -> float:
    if speed < 0:
        return max(s.min_support, s.reverse_min_support)
    return s.min_support if abs(speed - 1.0) < 0.03 else max(s.min_support, s.warped_min_support)


def reference_span(c: Candidates, run: np.ndarray, line: Line) -> float:
    """Seconds of the reference the line covers over the run, cut where its pairs stop (the line
    may run past the reference's end: a half-speed line over its last seconds covers only those)."""
    rt = c.ref_time[run]
    lo, hi = float(rt.min()), float(rt.max())
    ends = line.speed * c.query_time[run[[0, -1]]] + line.offset
    a, b = np.clip(ends, lo, hi)
    return float(abs(b - a))


def repeats(c: Candidates, line: Line, s: MatchSettings) -> tuple[float, ...]:
    """Offsets of lines parallel to ``line`` that the same samples fit about as well: a reference
    that repeats its picture (looped footage) gives a few such lines; a look-alike (a fixed camera,
    a slow scene) spreads over a continuum and gives none (empty tuple). ``line`` is included."""
    if len(c) == 0:
        return ()
    tol = s.tolerance
    b = np.floor((c.ref_time - line.speed * c.query_time) / tol).astype(np.int64)
    lo = int(b.min())
    key = (b - lo) * (int(c.sample.max()) + 1) + c.sample
    uniq = np.unique(key)  # distinct (bin, sample)
    counts = np.bincount(uniq // (int(c.sample.max()) + 1), minlength=int(b.max()) - lo + 1)
    pair = counts.copy()
    pair[:-1] += counts[1:]  # a line between two bins collects both (as in hough_peak)
    top = pair.max()
    if top < s.min_samples:
        return ()
    strong = pair >= s.repeat_share * top
    # clusters of strong bins; a repeat is a narrow cluster with a clear dip to the next one
    edges = np.flatnonzero(np.diff(np.concatenate(([0], strong.astype(np.int8), [0]))))
    clusters = list(zip(edges[::2], edges[1::2]))
    if len(clusters) < 2 or len(clusters) > s.max_repeats:
        return ()
    if any(e - a > max(3, round(2 * s.distinct_window / tol)) for a, e in clusters):
        return ()  # a broad cluster: a slow stretch, not a repeat
    between = np.ones(len(pair), bool)
    for a, e in clusters:
        between[max(0, a - 2) : e + 2] = False
    if between.any() and pair[between].max() > 0.5 * top:
        return ()  # no clear dip between them: a continuum of look-alikes
    offsets = [(lo + (a + e) / 2.0) * tol for a, e in clusters]
    return tuple(sorted(offsets, key=lambda o: abs(o - line.offset)))


def segments_for_reference(
    c: Candidates, ref: int, usable_times: np.ndarray, speeds: np.ndarray, s: MatchSettings
) -> list[RawSegment]:
    """All accepted segments of the query against one reference (``c`` holds only its pairs)."""
    alive = np.ones(len(c), bool)
    found: list[RawSegment] = []
    speed_range = (s.min_speed, s.max_speed)
    accepted_lines = stray = 0
    while accepted_lines < s.max_lines and stray <= s.max_stray:
        live = np.flatnonzero(alive)
        if len(np.unique(c.sample[live])) < s.min_samples:
            break
        qt, rt, smp = c.query_time[live], c.ref_time[live], c.sample[live]
        peak = hough_peak(qt, rt, smp, speeds, s.tolerance)
        if peak.support < s.min_samples:
            break
        line = refine(qt, rt, smp, c.distance[live], peak, s.tolerance, speed_range)
        pairs = best_on_line(c, alive, line, s.tolerance)
        share = near_share(c, line, s.distinct_window)
        accepted = False
        for run in _trim_weak(runs(pairs, c, s.max_gap), c, share):
            t0, t1 = float(c.query_time[run[0]]), float(c.query_time[run[-1]])
            usable = int(
                np.searchsorted(usable_times, t1, "right") - np.searchsorted(usable_times, t0, "left")
            )
            distinct = float(share[c.sample[run]].sum())
            seg = RawSegment(ref, line.speed, line.offset, run, t0, t1, len(run), usable, distinct)
            if seg.support < s.min_support and seg.aligned >= s.min_samples:
                # a reference that repeats its picture: the samples fit a few parallel lines alike.
                # Judged on every pair of these samples, not only the live ones: the pairs a rejected
                # (stray) line took out leave a gap in a continuum of look-alikes that would pass
                # for the dip between two repeats (a static field matched "at 0:00.0 or 0:01.1").
                mine = np.flatnonzero((c.query_time >= t0) & (c.query_time <= t1))
                alts = repeats(c.take(mine), line, s)
                if alts:
                    near_any = np.zeros(len(c), bool)
                    for o in alts:
                        near_any |= np.abs(c.ref_time - (line.speed * c.query_time + o)) <= s.distinct_window
                    n = int(c.sample.max()) + 1
                    share_any = np.bincount(c.sample, weights=near_any, minlength=n) / np.maximum(
                        np.bincount(c.sample, minlength=n), 1
                    )
                    # the share is split among the repeats: each repeat line counts for itself
                    distinct = float(share_any[c.sample[run]].sum())
                    seg = RawSegment(
                        ref, line.speed, line.offset, run, t0, t1, len(run), usable, distinct,
                        tuple(o for o in alts if abs(o - line.offset) > s.tolerance),
                    )  # fmt: skip
            if (
                seg.aligned >= s.min_samples
                and t1 - t0 >= s.min_duration  # the query span ...
                and reference_span(c, run, line) >= s.min_duration - 0.15  # ... and the reference's
                and seg.fraction >= s.min_aligned_fraction
                and seg.support >= _needed_support(line.speed, s)
            ):
                found.append(seg)
                accepted = True
                alive &= ~((c.query_time >= t0) & (c.query_time <= t1))
        if accepted:
            accepted_lines += 1
        else:  # a look-alike line: take its pairs out and try the next one
            stray += 1
            resid = np.abs(c.ref_time - (line.speed * c.query_time + line.offset))
            alive &= resid > s.tolerance
    return found
