"""Time-aligned segment matching of a query clip against the known-footage library.

``match_file(path, library)`` fingerprints the clip (QUERY settings) and calls
``match_fingerprint(fp, library)``, which runs three stages:

1. ``candidates``: range-search every usable sample's variant hashes in the library table, keep per
   (sample, reference) the pairs within ``slack`` bits of the best;
2. ``align``: per reference, Hough-vote ``reference_time = speed * query_time + offset`` over speeds
   in [0.5, 2] and refine by least squares;
3. ``segments``: cut the aligned samples into segments, reject those too short or too sparsely aligned
   (look-alikes from the same camera match frame by frame but not in time), repeat for further lines.

See docs/matching.md for the defaults and the numbers behind them.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Protocol

import numpy as np

from ..fingerprint import Fingerprint, FingerprintSettings
from ..library import HashTable, Reference
from .align import speed_grid
from .candidates import Candidates, find_candidates
from .result import EvidencePair, MatchResult, QueryInfo, SegmentMatch
from .segments import RawSegment, segments_for_reference
from .settings import MatchSettings

__all__ = [
    "EvidencePair",
    "LibraryLike",
    "MatchResult",
    "MatchSettings",
    "QueryInfo",
    "SegmentMatch",
    "match_file",
    "match_fingerprint",
]

log = logging.getLogger("verify")


class LibraryLike(Protocol):
    """What matching needs of a library (``verify.library.Library`` is one)."""

    path: str
    library_id: str

    @property
    def generation(self) -> int: ...

    def hash_table(self, algorithm: str) -> HashTable: ...

    def get(self, id_or_sha: int) -> Reference: ...

    def __len__(self) -> int: ...


def match_file(
    path: str | Path,
    library: LibraryLike,
    *,
    settings: MatchSettings | None = None,
    query_settings: FingerprintSettings | None = None,
    top: int = 10,
    progress: Callable[[float, float], None] | None = None,
    sound: bool = True,
) -> MatchResult:
    """Fingerprint ``path`` with ``query_settings`` (default ``verify.fingerprint.QUERY``) and match it.

    With ``sound`` (default) the clip's sound is fingerprinted in the same decode and matched
    against the library's sound, then fused with the picture (``verify.matching.sound``)."""
    from .. import fingerprint as fpmod
    from ..audio.tap import fingerprint_with_sound, lead
    from ..probe import probe

    qs = query_settings if query_settings is not None else fpmod.QUERY
    info = probe(path)  # what fingerprint() would probe anyway; it says whether there is sound
    fp, audio = fingerprint_with_sound(path, qs, progress, info=info, sound=sound)
    result = match_fingerprint(fp, library, settings, top=top)
    if sound:
        from .sound import with_sound

        result = with_sound(result, audio, library, query_lead=lead(audio, fp), top=top)
    if not result.query.path:
        result = replace(result, query=replace(result.query, path=str(path)))
    return result


def match_fingerprint(
    fp: Fingerprint, library: LibraryLike, settings: MatchSettings | None = None, *, top: int = 10
) -> MatchResult:
    """Every segment of ``fp`` that follows a reference in ``library``, best score first (at most ``top``)."""
    s = settings or MatchSettings()
    table = library.hash_table(fp.algorithm)
    n_refs = len(library)
    c, usable_times = find_candidates(fp, table, s.radius, s.slack)
    raw = _segments(c, usable_times, s)
    dt = _sample_interval(fp)
    duration = float(fp.duration or (fp.times[-1] + dt if len(fp) else 0.0))
    refs: dict[int, Reference] = {}
    matches = []
    for seg in raw:
        if seg.ref not in refs:
            refs[seg.ref] = library.get(seg.ref)
        matches.append(_segment_match(seg, c, refs[seg.ref], fp, s, dt, duration))
    matches.sort(key=lambda m: (-m.score, m.query_start))
    query = QueryInfo(
        path=str(fp.media.get("path", "")) if isinstance(fp.media, dict) else "",
        sha256=fp.sha256,
        duration=duration,
        samples=len(fp),
        settings=fp.settings,
        usable_samples=len(usable_times),
        algorithm=fp.algorithm,
    )
    return MatchResult(
        query=query,
        matches=tuple(matches[: max(top, 0)]),
        library_references=n_refs,
        library_hashes=len(table.hashes),
        settings=s,
    )


def _sample_interval(fp: Fingerprint) -> float:
    if len(fp) < 2:
        return 0.5
    return float(np.median(np.diff(np.asarray(fp.times, np.float64))))


def _segments(c: Candidates, usable_times: np.ndarray, s: MatchSettings) -> list[RawSegment]:
    if len(c) == 0:
        return []
    speeds = speed_grid(s.min_speed, s.max_speed, s.speed_step)
    bounds = np.flatnonzero(np.diff(c.ref)) + 1
    starts = np.concatenate(([0], bounds))
    ends = np.concatenate((bounds, [len(c)]))
    out: list[RawSegment] = []
    for a, b in zip(starts, ends):
        if b - a < s.min_samples:
            continue
        sub = c.take(np.arange(a, b))
        if len(np.unique(sub.sample)) < s.min_samples:
            continue
        found = segments_for_reference(sub, int(sub.ref[0]), usable_times, speeds, s)
        out.extend(replace(seg, pairs=seg.pairs + a) for seg in found)  # global pair indices
    return out


def _segment_match(
    seg: RawSegment,
    c: Candidates,
    ref: Reference,
    fp: Fingerprint,
    s: MatchSettings,
    dt: float,
    q_duration: float,
) -> SegmentMatch:
    p = seg.pairs
    q_start, q_end = seg.q_first, min(seg.q_last + dt, max(q_duration, seg.q_last))
    r_dur = float(ref.duration) if ref.duration else float(c.ref_time[p].max())
    r_start = min(max(seg.speed * q_start + seg.offset, 0.0), r_dur)
    r_end = min(max(seg.speed * q_end + seg.offset, 0.0), r_dur)
    dist = c.distance[p].astype(np.float64)
    median = float(np.median(dist))
    mirrored = bool(c.mirror[p].mean() > 0.5)
    base_votes = Counter(int(b) for b in c.base[p])
    crop = c.bases[base_votes.most_common(1)[0][0]]
    cov_q = min(1.0, (q_end - q_start) / q_duration) if q_duration > 0 else 0.0
    cov_r = min(1.0, (r_end - r_start) / r_dur) if r_dur > 0 else 0.0
    closeness = max(0.0, 1.0 - median / max(s.radius, 1))
    score = seg.support * (0.5 + 0.5 * closeness) * (0.8 + 0.2 * cov_q)
    pick = p if len(p) <= s.evidence else p[np.round(np.linspace(0, len(p) - 1, s.evidence)).astype(int)]
    evidence = tuple(
        EvidencePair(
            float(c.query_time[i]), float(c.ref_time[i]), int(c.distance[i]), c.labels[int(c.label[i])]
        )
        for i in pick
    )
    bars = tuple(int(x) for x in fp.bars) if fp.bars is not None and any(fp.bars) else None
    return SegmentMatch(
        reference=ref,
        score=float(min(1.0, score)),
        query_start=q_start,
        query_end=q_end,
        reference_start=r_start,
        reference_end=r_end,
        speed=seg.speed,
        offset=seg.offset,
        mirrored=mirrored,
        crop=crop,
        coverage_query=cov_q,
        coverage_reference=cov_r,
        median_distance=median,
        aligned_fraction=min(1.0, seg.fraction),
        aligned_samples=seg.aligned,
        support=min(1.0, seg.support),
        bars=bars,
        evidence=evidence,
    )
