"""``match_audio``: which parts of a query's sound are which parts of which indexed references.

1. **Vote.** The query's peak triplets are hashed once per hypothesis (every speed of the grid, for
   ``tempo`` and for ``resample``, see ``verify.audio.hashing``) and looked up in the index; each
   posting votes for (hypothesis, reference, offset bin), ``offset = ref_time - speed * query_time``.
2. **Fit.** The best-voted bins become candidates; the postings around each give a least-squares
   line ``reference_time = speed * query_time + offset``.
3. **Verify.** Every query peak is moved onto the reference by that line, for both pitch readings
   (kept / shifted), and counted matched when a reference peak is there; the line is refitted on
   the matched peaks; segments are the stretches that hold (``verify.audio.align``). A segment
   is kept when its share of matched peaks and its count are high enough and it stands out from
   chance, by its lift or by its excess over chance (``AudioMatchSettings``). Candidates that
   describe the same segment are merged.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

import numpy as np

from ..errors import AlgorithmMismatchError
from . import align
from .align import Line
from .fingerprint import AudioFingerprint
from .hashing import hypothesis_hashes, query_triplets, semitones
from .index import AudioIndex
from .result import AudioMatch
from .settings import MATCH, AudioMatchSettings

log = logging.getLogger("verify")


def _hypotheses(s: AudioMatchSettings) -> list[tuple[float, str]]:
    out = []
    for mode in s.modes:
        for speed in s.speeds():
            if mode == "resample" and speed == 1.0 and "tempo" in s.modes:
                continue  # the same hypothesis
            out.append((speed, mode))
    return out


def match_audio(
    query: AudioFingerprint,
    index: AudioIndex,
    settings: AudioMatchSettings = MATCH,
    progress: Callable[[float, float], None] | None = None,
) -> list[AudioMatch]:
    """Time-aligned audio matches of ``query`` in ``index``, sorted by query time (may be empty)."""
    settings.check()
    if query.algorithm != index.algorithm:
        raise AlgorithmMismatchError(
            f"the query's audio algorithm {query.algorithm!r} is not the index's {index.algorithm!r}"
        )
    if query.settings != index.settings:
        raise AlgorithmMismatchError("the query's sound was fingerprinted with other settings than the index")
    if len(query) < settings.min_peaks or len(index) == 0 or index.hashes.size == 0:
        return []
    cands, _hits = _candidates(query, index, settings)
    if progress is not None:
        progress(0, len(cands))
    qt = query.times.astype(np.float64)
    qp = semitones(query.freqs, index.settings.fmin)
    found: list[AudioMatch] = []
    for n, (ref, line, nvotes) in enumerate(cands):
        found += _verify(qt, qp, index, ref, line, nvotes, settings)
        if progress is not None:
            progress(n + 1, len(cands))
    return _merge(found)


def _candidates(
    query: AudioFingerprint, index: AudioIndex, s: AudioMatchSettings
) -> tuple[list[tuple[int, Line, int]], int]:
    cfg = index.settings
    fr = cfg.frame_rate
    pairs = query_triplets(query.times, query.freqs, cfg, s.min_speed, s.query_fanout)
    hyps = _hypotheses(s)
    keys, hyp_of, pair_of = [], [], []
    for h, (speed, mode) in enumerate(hyps):
        k, idx = hypothesis_hashes(pairs, speed, mode, cfg.pair_frames)
        keys.append(k)
        pair_of.append(idx)
        hyp_of.append(np.full(k.size, h, np.int64))
    key_arr = np.concatenate(keys)
    hyp_arr = np.concatenate(hyp_of)
    pair_arr = np.concatenate(pair_of)
    ki, ref, rframe = index.lookup(key_arr, s.max_postings)
    if ki.size == 0:
        return [], 0
    hyp = hyp_arr[ki]
    qframe = pairs[0][pair_arr[ki]]
    speeds = np.asarray([sp for sp, _ in hyps])[hyp]
    offset = rframe.astype(np.float64) - speeds * qframe  # reference frame at query time 0
    width = s.offset_bin * fr
    n_ref = len(index)
    best: dict[tuple[int, int, int], int] = {}
    for stagger in (0.0, 0.5):
        b = np.floor(offset / width + stagger).astype(np.int64)
        b0 = int(b.min())
        span = int(b.max()) - b0 + 1
        key = (hyp * n_ref + ref.astype(np.int64)) * span + (b - b0)
        order = np.argsort(key, kind="stable")
        uniq, first, counts = np.unique(key[order], return_index=True, return_counts=True)
        top = np.argsort(counts)[::-1][: s.max_candidates * 2]
        for u, f, c in zip(uniq[top], first[top], counts[top]):
            if c < s.min_votes:
                break
            h, r = divmod(int(u) // span, n_ref)
            center = float(np.median(offset[order[f : f + c]]))
            cell = (h, r, round(center / width))
            if best.get(cell, 0) < c:
                best[cell] = int(c)
    ranked = sorted(best.items(), key=lambda kv: -kv[1])[: s.max_candidates]
    out = []
    for (h, r, cbin), c in ranked:
        speed, mode = hyps[h]
        near = (
            (ref == r)
            & (np.abs(offset - cbin * width) <= 2 * width)
            & (np.abs(speeds / speed - 1) < 2.5 * s.speed_step)
        )
        line = _fit_hits(qframe[near] / fr, rframe[near].astype(np.float64) / fr, speed, s)
        shift = 12 * math.log2(line.speed) if mode == "resample" else 0.0
        out.append((r, Line(line.speed, line.offset, shift), c))
    return out, int(ki.size)


def _fit_hits(qt: np.ndarray, rt: np.ndarray, speed: float, s: AudioMatchSettings) -> Line:
    """Robust line through posting hits (query seconds -> reference seconds), starting at ``speed``."""
    a = speed
    b = float(np.median(rt - a * qt))
    for tol in (0.25, 0.1, 0.05):
        res = rt - (a * qt + b)
        ok = np.abs(res) <= tol
        if ok.sum() < 6 or np.ptp(qt[ok]) < 2.0:
            b = float(np.median((rt - a * qt)[ok])) if ok.any() else b
            continue
        a_new, _ = np.polyfit(qt[ok], rt[ok], 1)
        a = float(np.clip(a_new, s.min_speed * 0.97, s.max_speed * 1.03))
        b = float(np.median(rt[ok] - a * qt[ok]))
    return Line(a, b, 0.0)


def _verify(
    qt: np.ndarray, qp: np.ndarray, index: AudioIndex, ref: int, line: Line, votes: int, s: AudioMatchSettings
) -> list[AudioMatch]:
    rt, rp = index.peaks_of(ref)
    rt = rt.astype(np.float64)
    duration = float(index.durations[ref])
    tol_t = s.tol_frames / index.settings.frame_rate
    readings = (
        [line]
        if abs(line.speed - 1) < 1e-9
        else [Line(line.speed, line.offset, 0.0), Line(line.speed, line.offset, 12 * math.log2(line.speed))]
    )
    results = []
    for reading in readings:
        cur = reading
        for _ in range(3):
            hit, where = align.land(qt, qp, rt, rp, cur, tol_t, s.tol_semitones)
            nxt = align.refit(qt, where, hit, cur, s)
            if reading.shift == 0.0:
                nxt = Line(nxt.speed, nxt.offset, 0.0)
            else:
                nxt = Line(nxt.speed, nxt.offset, 12 * math.log2(nxt.speed))
            cur = nxt
        hit, where = align.land(qt, qp, rt, rp, cur, tol_t, s.tol_semitones)
        results.append((int(hit.sum()), cur, hit, where))
    results.sort(key=lambda r: -r[0])
    n_hit, cur, hit, where = results[0]
    other = results[1][0] if len(results) > 1 else 0
    if abs(cur.speed - 1) < 0.03 or n_hit < 1.2 * other:
        pitch = "unknown"
    else:
        pitch = "shifted" if cur.shift else "kept"
    valid = align.inside(qt, cur, duration)
    chance = align.chance_rate(qt, qp, rt, rp, cur, duration, s, tol_t)
    out = []
    for a, b in align.segments(qt, hit, valid, s):
        seg = valid & (qt >= a) & (qt <= b)
        total = int(seg.sum())
        matched = int((seg & hit).sum())
        rate = matched / total if total else 0.0
        lift = rate / max(chance, 0.005)
        excess = (rate - chance) / max(1.0 - chance, 1e-9)  # share of what chance leaves that matched
        need = s.short_rate if b - a < s.short_seconds else s.min_rate
        if b - a < s.min_duration or matched < s.min_peaks or rate < need:
            continue
        if lift < s.min_lift and excess < s.min_excess:
            continue
        out.append(
            AudioMatch(
                reference=index.ids[ref],
                query_start=a,
                query_end=b,
                reference_start=cur.speed * a + cur.offset,
                reference_end=cur.speed * b + cur.offset,
                speed=cur.speed,
                offset=cur.offset,
                score=rate,
                pitch=pitch,
                matched_peaks=matched,
                query_peaks=total,
                lift=lift,
                votes=votes,
                evidence=align.evidence(qt, hit, where, a, b),
            )
        )
    return out


def _merge(found: list[AudioMatch]) -> list[AudioMatch]:
    """One match per (reference, stretch of the query): the best-supported of overlapping ones."""
    found = sorted(found, key=lambda m: (-m.matched_peaks, -m.score))
    kept: list[AudioMatch] = []
    for m in found:
        dup = False
        for k in kept:
            if k.reference != m.reference:
                continue
            inter = min(k.query_end, m.query_end) - max(k.query_start, m.query_start)
            if inter > 0.5 * min(k.duration, m.duration):
                dup = True
                break
        if not dup:
            kept.append(m)
    return sorted(kept, key=lambda m: (m.query_start, m.reference))
