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
from typing import TYPE_CHECKING, Protocol

import numpy as np

from ..fingerprint import Fingerprint, FingerprintSettings
from ..library import HashTable, Reference
from . import fine as fine_stage
from .align import speed_grid
from .candidates import (
    Candidates,
    Coarse,
    SearchStats,
    concat,
    find_candidates,
    is_hypothesis,
    thin,
    variant_parts,
)
from .identity import identical_match, identical_reference
from .result import EXPLANATION, EvidencePair, MatchResult, QueryInfo, SceneMatch, SegmentMatch
from .scenes import scenes_for_reference
from .segments import RawSegment, segments_for_reference
from .settings import MatchSettings

if TYPE_CHECKING:
    from ..probe import MediaInfo

__all__ = [
    "EXPLANATION",
    "EvidencePair",
    "LibraryLike",
    "MatchResult",
    "MatchSettings",
    "QueryInfo",
    "SceneMatch",
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

    # optional (``verify.library.Library`` has them): ``find_sha256(sha)`` and
    # ``find_picture_digest(digest)`` -> Reference | None for identity, ``fine_series(ref_id,
    # algorithm)`` -> (times, block means) | None for the fine stage

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
    if sound and info.file is not None and info.file.kind == "audio":
        return _match_sound_file(path, info, library, settings, top, progress)
    fp, audio = fingerprint_with_sound(path, qs, progress, info=info, sound=sound)
    result = match_fingerprint(fp, library, settings, top=top)
    if sound:
        from .sound import with_sound

        result = with_sound(result, audio, library, query_lead=lead(audio, fp), top=top)
    if not result.query.path:
        result = replace(result, query=replace(result.query, path=str(path)))
    return result


def _match_sound_file(
    path: str | Path,
    info: MediaInfo,
    library: LibraryLike,
    settings: MatchSettings | None,
    top: int,
    progress: Callable[[float, float], None] | None,
) -> MatchResult:
    """An audio file (no picture): its sound alone against the library's (``sound.sound_only``)."""
    from ..audio import audio_fingerprint
    from .sound import sound_only

    sha = info.file.sha256 if info.file is not None else ""
    audio = audio_fingerprint(path, progress=progress, sha256=sha)  # AudioDecodeError: a clear message
    return sound_only(audio, library, path=str(path), sha256=sha, duration=float(audio.duration or 0.0),
                      top=top, settings=settings)  # fmt: skip


def match_fingerprint(
    fp: Fingerprint, library: LibraryLike, settings: MatchSettings | None = None, *, top: int = 10
) -> MatchResult:
    """Every segment of ``fp`` that follows a reference in ``library``, best score first (at most
    ``top``), and the references it shows the same scene as without a time (``scenes``).

    Stages: identity (same bytes or pictures), hash candidates, alignment and segments, then for
    what stays unplaced the fine low-motion placement and the same-scene check (see the module doc).
    """
    s = settings or MatchSettings()
    table = library.hash_table(fp.algorithm)
    n_refs = len(library)
    dt = _sample_interval(fp)
    duration = float(fp.duration or (fp.times[-1] + dt if len(fp) else 0.0))
    stats = SearchStats()
    c, usable_times, raw = _search(fp, table, s, stats)
    refs: dict[int, Reference] = {}

    def ref_of(rid: int) -> Reference:
        if rid not in refs:
            refs[rid] = library.get(rid)
        return refs[rid]

    matches = [_segment_match(seg, c, ref_of(seg.ref), fp, s, dt, duration) for seg in raw]
    extra, scenes = _unplaced(fp, c, raw, usable_times, library, s, ref_of, dt, duration)
    matches += extra
    same = identical_reference(fp, library)
    if same is not None:
        ref, method = same
        matches = [identical_match(fp, ref, method, duration, s.evidence)] + [
            m for m in matches if m.reference.id != ref.id
        ]
        scenes = [x for x in scenes if x.reference.id != ref.id]
    matches.sort(key=lambda m: (-m.score, m.query_start))
    scenes.sort(key=lambda x: (-x.matched_fraction * (x.query_end - x.query_start), x.query_start))
    query = QueryInfo(
        path=str(fp.media.get("path", "")) if isinstance(fp.media, dict) else "",
        sha256=fp.sha256,
        duration=duration,
        samples=len(fp),
        settings=fp.settings,
        usable_samples=len(usable_times),
        algorithm=fp.algorithm,
        searched_hashes=stats.searched,
        candidate_pairs=stats.pairs,
        coarse_pairs=stats.coarse_pairs,
        candidate_references=stats.candidate_refs,
        two_stage=two_stage(s, table),
    )
    return MatchResult(
        query=query,
        matches=tuple(matches[: max(top, 0)]),
        library_references=n_refs,
        library_hashes=int(getattr(table, "library_rows", len(table.hashes))),
        settings=s,
        scenes=tuple(scenes[: max(top, 0)]),
    )


def two_stage(s: MatchSettings, table: HashTable) -> bool:
    """Whether ``table`` is searched in two stages (a large library; ``MatchSettings.coarse_*``).

    A sampled index (``verify.library.persistent``: a large library) always is: its rows are a
    sample, and only the second stage reads the chosen references' full rows."""
    if getattr(table, "sampled", False):
        return True
    return s.coarse_radius < s.radius and len(table) >= s.coarse_from_rows


def _search(
    fp: Fingerprint, table: HashTable, s: MatchSettings, stats: SearchStats
) -> tuple[Candidates, np.ndarray, list[RawSegment]]:
    """Candidates and hash-aligned segments, plain variants first (cheaper queries).

    The plain columns (the picture, its mirror, its centre, its centred 16:9 band) are searched for
    every usable sample; the guessed regions (crop windows, bands at other heights, an inset, split
    panels, turns and tilts) only for the samples no plain-variant segment placed, and the lines
    are then fitted again on both (``MatchSettings.layouts_first=True`` searches everything at once,
    as before)."""
    names = tuple(fp.settings.variants)
    guess = np.array([is_hypothesis(variant_parts(v)[0]) for v in names], bool)
    coarse = (
        Coarse(
            min(s.coarse_radius, s.radius), s.coarse_refs, s.coarse_min_hits, s.coarse_stride, s.coarse_grid
        )
        if two_stage(s, table)
        else None
    )
    if s.layouts_first or not guess.any() or guess.all():
        c, usable_times = find_candidates(fp, table, s.radius, s.slack, stats=stats, coarse=coarse)
        return c, usable_times, _segments(c, usable_times, s)
    c, usable_times = find_candidates(
        fp, table, s.radius, s.slack, columns=np.flatnonzero(~guess), stats=stats, coarse=coarse
    )
    raw = _segments(c, usable_times, s)
    placed = np.zeros(len(usable_times), bool)
    for seg in raw:
        placed |= (usable_times >= seg.q_first - 1e-6) & (usable_times <= seg.q_last + 1e-6)
    todo = np.flatnonzero(~placed)
    if len(todo) < s.min_samples:
        return c, usable_times, raw
    first = set(coarse.chosen) if coarse is not None else set()
    c2, _ = find_candidates(
        fp,
        table,
        s.radius,
        s.slack,
        columns=np.flatnonzero(guess),
        samples=todo,
        stats=stats,
        coarse=coarse,
    )
    if len(c2) == 0:
        return c, usable_times, raw
    late = np.array(sorted(coarse.chosen - first), np.int64) if coarse is not None else np.zeros(0, np.int64)
    if late.size:
        # references only the guessed regions brought in: their plain-column pairs too, as one stage gives
        c1, _ = find_candidates(
            fp, table, s.radius, s.slack, columns=np.flatnonzero(~guess), stats=stats, only=late
        )
        c2 = concat(c1, c2)
    both = _rethin(concat(c, c2), s.slack)
    return both, usable_times, _segments(both, usable_times, s)


def _rethin(c: Candidates, slack: int) -> Candidates:
    """Thin the joined pairs again (slack to each sample's best, plain variants first)."""
    guess = np.array([is_hypothesis(variant_parts(lab.partition("/")[0])[0]) for lab in c.labels], bool)
    return thin(c, slack, guess[c.label.astype(np.int64)] if len(c) else None)


def _unplaced(
    fp: Fingerprint,
    c: Candidates,
    raw: list[RawSegment],
    usable_times: np.ndarray,
    library: LibraryLike,
    s: MatchSettings,
    ref_of: Callable[[int], Reference],
    dt: float,
    duration: float,
) -> tuple[list[SegmentMatch], list[SceneMatch]]:
    """Fine placement, then same-scene results, for the samples each reference's lines left out."""
    if len(c) == 0:
        return [], []
    usable = np.flatnonzero(np.asarray(fp.quality, bool))
    pictures = None if fp.pictures is None else np.asarray(fp.pictures)[usable]
    series = getattr(library, "fine_series", None)
    w, h = fp.source_size
    t, b, left, right = fp.bars or (0, 0, 0, 0)
    aspect = (w - left - right) / max(h - t - b, 1) if w and h else 16 / 9
    matches: list[SegmentMatch] = []
    scenes: list[SceneMatch] = []
    bounds = np.flatnonzero(np.diff(c.ref)) + 1
    for a, z in zip(np.concatenate(([0], bounds)), np.concatenate((bounds, [len(c)]))):
        sub = c.take(np.arange(a, z))
        rid = int(sub.ref[0])
        explained = np.zeros(len(usable_times), bool)
        for seg in raw:
            if seg.ref == rid:
                explained |= (usable_times >= seg.q_first - 1e-6) & (usable_times <= seg.q_last + 1e-6)
        left_out = np.unique(sub.sample[~explained[sub.sample]])
        if len(left_out) < s.min_samples:
            continue
        best_corr: float | None = None
        fine = series(rid, fp.algorithm) if series is not None else None
        if fine is not None and s.fine and pictures is not None:
            lines, best_corr = fine_stage.place(
                sub, rid, usable_times, pictures, fp.settings.pictures, aspect, fine, explained, s
            )
            for line in lines:
                matches.append(_fine_match(line, sub, ref_of(rid), usable_times, s, dt, duration))
                explained[line.samples] = True
        scenes += scenes_for_reference(sub, ref_of(rid), usable_times, explained, fine, best_corr, s)
    return matches, scenes


def _sample_interval(fp: Fingerprint) -> float:
    if len(fp) < 2:
        return 0.5
    return float(np.median(np.diff(np.asarray(fp.times, np.float64))))


def _segments(c: Candidates, usable_times: np.ndarray, s: MatchSettings) -> list[RawSegment]:
    if len(c) == 0:
        return []
    speeds = speed_grid(s.min_speed, s.max_speed, s.speed_step, s.reverse)
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
    r_a = min(max(seg.speed * q_start + seg.offset, 0.0), r_dur)
    r_b = min(max(seg.speed * q_end + seg.offset, 0.0), r_dur)
    r_start, r_end = min(r_a, r_b), max(r_a, r_b)  # a reversed segment shows r_end..r_start
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
        rotation=_rotation(c.labels[int(Counter(int(x) for x in c.label[p]).most_common(1)[0][0])]),
        alternatives=tuple(
            min(max(seg.speed * (q_start if seg.speed > 0 else q_end) + o, 0.0), r_dur)
            for o in seg.alternatives
        ),
    )


def _rotation(label: str) -> int:
    from ..hashing.variants import TURNS

    base = label.partition("/")[0].partition("+")[0]
    return 90 * TURNS.get(base, 0)


def _fine_match(
    line: fine_stage.FineLine,
    c: Candidates,
    ref: Reference,
    usable_times: np.ndarray,
    s: MatchSettings,
    dt: float,
    q_duration: float,
) -> SegmentMatch:
    """A segment placed by the fine stage, with the hash pairs nearest its line as evidence."""
    t = usable_times[line.samples]
    q_start, q_end = float(t[0]), float(min(t[-1] + dt, max(q_duration, t[-1])))
    r_dur = float(ref.duration) if ref.duration else float(c.ref_time.max())
    ra = min(max(line.speed * q_start + line.offset, 0.0), r_dur)
    rb = min(max(line.speed * q_end + line.offset, 0.0), r_dur)
    mine = np.isin(c.sample, line.samples)
    resid = np.abs(c.ref_time - (line.speed * c.query_time + line.offset))
    idx = np.flatnonzero(mine)
    order = idx[np.lexsort((resid[idx], c.sample[idx]))]
    first = np.ones(len(order), bool)
    first[1:] = c.sample[order][1:] != c.sample[order][:-1]
    best = order[first]
    dist = c.distance[best].astype(np.float64) if len(best) else np.zeros(1)
    pick = (
        best
        if len(best) <= s.evidence
        else best[np.round(np.linspace(0, len(best) - 1, s.evidence)).astype(int)]
    )
    evidence = tuple(
        EvidencePair(float(c.query_time[i]), float(line.speed * c.query_time[i] + line.offset), int(c.distance[i]),
                     c.labels[int(c.label[i])])
        for i in pick
    )  # fmt: skip
    cov_q = min(1.0, (q_end - q_start) / q_duration) if q_duration > 0 else 0.0
    cov_r = min(1.0, abs(rb - ra) / r_dur) if r_dur > 0 else 0.0
    usable = int(np.searchsorted(usable_times, t[-1], "right") - np.searchsorted(usable_times, t[0], "left"))
    margin = max(0.0, min(1.0, (line.correlation - line.rival) / max(2 * s.fine_min_margin, 1e-9)))
    score = line.correlation * (0.5 + 0.5 * margin) * (0.8 + 0.2 * cov_q)
    return SegmentMatch(
        reference=ref,
        score=float(min(1.0, score)),
        query_start=q_start,
        query_end=q_end,
        reference_start=min(ra, rb),
        reference_end=max(ra, rb),
        speed=line.speed,
        offset=line.offset,
        mirrored=line.mirrored,
        crop=line.crop,
        coverage_query=cov_q,
        coverage_reference=cov_r,
        median_distance=float(np.median(dist)),
        aligned_fraction=min(1.0, len(line.samples) / max(usable, 1)),
        aligned_samples=len(line.samples),
        support=float(line.correlation),
        evidence=evidence,
        method="fine",
        rotation=line.rotation,
        alternatives=tuple(
            min(max(line.speed * (q_start if line.speed > 0 else q_end) + o, 0.0), r_dur)
            for o in line.alternatives
        ),
        fine_correlation=line.correlation,
        fine_rival=line.rival,
    )
