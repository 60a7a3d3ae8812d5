"""Stage 1: range-search every usable query sample's variant hashes against the library table.

Output is a struct of arrays, one row per (query sample, query variant, table row) within the
search radius, sorted by reference, sample and reference time, and thinned to the pairs that can
vote (within ``slack`` bits of that sample's best distance to that reference).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import numpy as np

from ..errors import MatchingError
from ..fingerprint import Fingerprint
from ..hashing.variants import TURNS
from ..library import HashTable
from ..library.table import grid_rows

log = logging.getLogger("verify")


def variant_parts(name: str) -> tuple[str, bool]:
    """``"crop85+mirror"`` -> ``("crop85", True)``; ``"mirror"`` alone is ``full+mirror``."""
    if name == "mirror":
        return "full", True
    base, _, suffix = name.partition("+")
    return base, suffix == "mirror"


@dataclass(frozen=True, eq=False)
class Candidates:
    """Candidate pairs, all arrays of the same length, sorted by (ref, sample, ref_time)."""

    sample: np.ndarray  # int64 index into the query's usable samples
    query_time: np.ndarray  # float64
    ref: np.ndarray  # int64 reference id
    ref_time: np.ndarray  # float64
    ref_end: np.ndarray  # float64: end of the table row's span (== ref_time once expanded)
    distance: np.ndarray  # int16
    mirror: np.ndarray  # bool: the query side is mirrored relative to the reference side
    label: np.ndarray  # int16 index into labels (the variant pairing, for evidence)
    base: np.ndarray  # int16 index into bases (the non-full crop/band, or 0 for "full")
    labels: tuple[str, ...]
    bases: tuple[str | None, ...]

    def __len__(self) -> int:
        return int(self.sample.shape[0])

    def take(self, idx: np.ndarray) -> Candidates:
        arrays = {k: getattr(self, k)[idx] for k in _ARRAYS}
        return Candidates(**arrays, labels=self.labels, bases=self.bases)


_ARRAYS = ("sample", "query_time", "ref", "ref_time", "ref_end", "distance", "mirror", "label", "base")
#: A row spanning a run of frames votes with one point per this many seconds of it (what thinning
#: keeps of a plateau of frames anyway).
QUANTUM = 0.1


@dataclass
class SearchStats:
    """Search work of one query, for the cheaper-queries measurements (docs/matching.md)."""

    hashes: int = 0  # query hashes considered (samples x columns)
    searched: int = 0  # distinct hashes range-searched
    pairs: int = 0  # (query hash, table row) pairs within the radius
    coarse_pairs: int = 0  # pairs within the coarse radius (first stage)
    candidate_refs: int = 0  # references searched at the full radius (second stage)


@dataclass
class Coarse:
    """The first stage of a coarse-to-exact search (``MatchSettings.coarse_*``), for one query.

    The whole library is searched at ``radius`` bits (few probes of the index; of a sampled index,
    its sample), the references hit by at least ``min_hits`` distinct query hashes are ranked by
    that count (then by their closest hash), and the first ``refs`` of them are searched again at
    the full radius over their own (full) rows only: for those references
    the same pairs as a full search, for the others none. ``chosen`` collects the references of
    every search of the query (the plain columns, then the guessed regions): each later search
    also searches those in full, and a reference only the second search found is given its pairs
    of the first (:func:`search_unique` with ``only``)."""

    radius: int
    refs: int
    min_hits: int
    stride: int = 1  # the first stage searches every ``stride``-th usable sample's hashes
    grid: float = 0.0  # > 0: the first stage counts only the rows a sampled index would hold
    chosen: set[int] = field(default_factory=set)


def find_candidates(
    fp: Fingerprint,
    table: HashTable,
    radius: int,
    slack: int,
    columns: np.ndarray | None = None,
    samples: np.ndarray | None = None,
    stats: SearchStats | None = None,
    coarse: Coarse | None = None,
    only: np.ndarray | None = None,
) -> tuple[Candidates, np.ndarray]:
    """Search and thin; returns the candidates and the times of the usable query samples.

    ``columns`` (variant indices) and ``samples`` (usable-sample indices) restrict the search to
    part of the query (both default to all); ``stats`` adds up the work done; ``coarse`` searches
    in two stages, ``only`` searches the rows of those references alone."""
    usable = np.flatnonzero(np.asarray(fp.quality, bool)) if len(fp) else np.zeros(0, np.int64)
    times = np.asarray(fp.times, np.float64)[usable]
    q_names = tuple(fp.settings.variants)
    hashes = np.asarray(fp.hashes, np.uint64).reshape(len(fp), -1)[usable]
    if hashes.shape[1] != len(q_names):
        raise MatchingError(
            f"the fingerprint has {hashes.shape[1]} hash columns but names {len(q_names)} variants",
            hint="Re-fingerprint the clip; the fingerprint is inconsistent.",
        )
    n, v = hashes.shape
    if n == 0 or len(table.hashes) == 0:
        return _empty(), times
    cols = np.arange(v) if columns is None else np.asarray(columns, np.int64)
    rows = np.arange(n) if samples is None else np.asarray(samples, np.int64)
    if not len(cols) or not len(rows):
        return _empty(), times
    part = hashes[np.ix_(rows, cols)]
    coarse_mask = None
    if coarse is not None and coarse.stride > 1:  # the hashes the first stage searches
        coarse_mask = np.repeat(np.arange(len(rows)) % coarse.stride == 0, len(cols))
    qi, ti, dist = search_unique(table, part.reshape(-1), radius, stats, coarse, only, coarse_mask)
    sample, qvar = rows[qi // len(cols)], cols[qi % len(cols)]
    t_names = tuple(table.variant_names) or ("full",)
    t_codes = np.asarray(table.variant_codes[ti], np.int64)  # index first: columns may be on disk
    # pairing labels: one per (query variant, table variant)
    pair_code = qvar * len(t_names) + t_codes
    labels, bases, mirrors, guesses = [], [], [], []
    base_names: list[str | None] = [None]
    for qn in q_names:
        qb, qm = variant_parts(qn)
        for tn in t_names:
            tb, tm = variant_parts(tn)
            labels.append(qn if tn == "full" else f"{qn}/{tn}")
            # the net reframing: the same crop on both sides cancels out
            # (a query crop window names the crop and where it sits better than the reference's crop60)
            side = None if qb == tb else (qb if qb.startswith("win") or tb == "full" else tb)
            if qb in TURNS:  # a turned picture is reported as a rotation, not a reframing
                side = None if tb == "full" else tb
            if side not in base_names:
                base_names.append(side)
            bases.append(base_names.index(side))
            mirrors.append(qm != tm)
            guesses.append(is_hypothesis(qb))
    cand = Candidates(
        sample=sample,
        query_time=times[sample],
        ref=np.asarray(table.ref_ids[ti], np.int64),
        ref_time=np.asarray(table.times[ti], np.float64),
        ref_end=np.asarray(table.ends[ti], np.float64),
        distance=np.asarray(dist, np.int16),
        mirror=np.asarray(mirrors, bool)[pair_code],
        label=pair_code.astype(np.int16),
        base=np.asarray(bases, np.int16)[pair_code],
        labels=tuple(labels),
        bases=tuple(base_names),
    )
    log.debug("matching: %d query hashes -> %d candidate pairs", n * v, len(cand))
    guess = np.asarray(guesses, bool)[pair_code]
    if not np.any(cand.ref_end > cand.ref_time):
        return thin(cand, slack, guess), times
    # rows of compacted runs: thin on the rows first (cheap), then expand each into points
    keep = thin_index(cand, slack, guess)
    return thin(expand(cand.take(keep)), slack), times


def expand(c: Candidates, quantum: float = QUANTUM) -> Candidates:
    """Each pair with a table row spanning ``[ref_time, ref_end]`` -> one pair per ``quantum`` of it
    (the last at ``ref_end``)."""
    span = np.maximum(c.ref_end - c.ref_time, 0.0)
    n = np.ceil(span / quantum - 1e-9).astype(np.int64) + 1
    if (n == 1).all():
        return c
    idx = np.repeat(np.arange(len(c)), n)
    k = np.arange(len(idx)) - np.repeat(np.cumsum(n) - n, n)
    out = c.take(idx)
    t = np.minimum(out.ref_time + k * quantum, out.ref_end)
    return Candidates(**{**{a: getattr(out, a) for a in _ARRAYS}, "ref_time": t, "ref_end": t},
                      labels=c.labels, bases=c.bases)  # fmt: skip


def search_unique(
    table: HashTable,
    queries: np.ndarray,
    radius: int,
    stats: SearchStats | None = None,
    coarse: Coarse | None = None,
    only: np.ndarray | None = None,
    coarse_mask: np.ndarray | None = None,
) -> tuple[np.ndarray, ...]:
    """``table.range_search`` of ``queries`` with each distinct hash searched once.

    Many query columns repeat a hash (bands and the inset are the whole picture in a landscape
    clip; a still shot repeats itself), so the search runs on the distinct values and every
    result row is copied to each query position holding that value. Returns (query index,
    table row, distance), the same pairs a direct search gives (with ``coarse``: for the
    references its first stage chose, see :class:`Coarse`, which searches the queries
    ``coarse_mask`` marks, default all; with ``only``: for those references).
    """
    uniq, inverse = np.unique(np.ascontiguousarray(queries, np.uint64), return_inverse=True)
    if only is not None:
        ui, ti, dist = table.search_within(uniq, radius, np.asarray(only, np.int64))
    elif coarse is not None and (coarse.radius < radius or getattr(table, "sampled", False)):
        sub = None if coarse_mask is None else np.unique(inverse.reshape(-1)[np.asarray(coarse_mask, bool)])
        ui, ti, dist = _coarse_to_exact(table, uniq, radius, coarse, stats, sub)
    else:
        ui, ti, dist = table.range_search(uniq, radius)
    if stats is not None and only is None:  # a fetch for some references repeats searched hashes
        stats.hashes += len(queries)
        stats.searched += len(uniq)
    if stats is not None:
        stats.pairs += len(ui)
    ui, ti, dist = np.asarray(ui, np.int64), np.asarray(ti, np.int64), np.asarray(dist)
    counts = np.bincount(inverse, minlength=len(uniq))
    holders = np.argsort(inverse, kind="stable")  # query positions grouped by distinct value
    first = np.concatenate(([0], np.cumsum(counts)[:-1]))
    reps = counts[ui]
    row = np.repeat(np.arange(len(ui)), reps)
    within = np.arange(len(row)) - np.repeat(np.cumsum(reps) - reps, reps)
    return holders[first[ui[row]] + within], ti[row], dist[row]


def _coarse_to_exact(
    table: HashTable,
    uniq: np.ndarray,
    radius: int,
    coarse: Coarse,
    stats: SearchStats | None,
    sub: np.ndarray | None = None,
) -> tuple[np.ndarray, ...]:
    ci, ct, cd = table.range_search(uniq if sub is None else uniq[sub], coarse.radius)
    if coarse.grid > 0 and len(ct) and not getattr(table, "sampled", False):
        # what a sampled index (``verify.library.persistent``) would find: its rows only
        on = _grid_mask(table, coarse.grid)[np.asarray(ct, np.int64)]
        ci, ct, cd = ci[on], ct[on], cd[on]
    if stats is not None:
        stats.coarse_pairs += len(ci)
    refs = np.asarray(table.ref_ids[np.asarray(ct, np.int64)], np.int64)
    n = max(len(uniq), 1)
    pairs = np.unique(refs * n + np.asarray(ci, np.int64))  # one per (reference, distinct query hash)
    ids, hits = np.unique(pairs // n, return_counts=True)
    # ties in hits go to the reference with the closest hash (a still copy has few, close ones)
    closest = np.full(len(ids), 65, np.int64)
    np.minimum.at(closest, np.searchsorted(ids, refs), np.asarray(cd, np.int64))
    order = np.lexsort((ids, closest, -hits))[: coarse.refs]
    new = set(ids[order][hits[order] >= coarse.min_hits].tolist())
    if stats is not None:
        stats.candidate_refs += len(new - coarse.chosen)
    # references an earlier search of this query chose are searched in full again: their pairs in
    # these columns may all lie beyond the coarse radius (one stage would still have found them)
    coarse.chosen |= new
    if not coarse.chosen:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.uint8)
    return table.search_within(uniq, radius, np.array(sorted(coarse.chosen), np.int64))


def _grid_mask(table: HashTable, grid: float) -> np.ndarray:
    """The rows a sampled index of ``table`` keeps (``verify.library.table.grid_rows``; cached)."""
    cache = table.__dict__.setdefault("_grid_masks", {})
    if grid not in cache:
        refs = np.asarray(table.ref_ids, np.int64)
        group = refs * 4096 + np.asarray(table.variant_codes, np.int64)
        cache[grid] = grid_rows(group, np.asarray(table.times), np.asarray(table.ends), grid)
    mask: np.ndarray = cache[grid]
    return mask


_HYPOTHESIS = re.compile(r"win\d+-\d+-\d+|band\d+-\d+|inset|rot\d+|half-\w|third-\w|tilt[pm]\d+-\d+")


def is_hypothesis(base: str) -> bool:
    """Whether a query base is a guess at where the reference sits (crop window, band at a height,
    detected inset, a split-screen panel, a turn or a tilt) rather than the picture itself, its
    centre or its centred 16:9 band. Guesses are searched second (``verify.matching``: only for
    the samples the plain variants did not place)."""
    return bool(_HYPOTHESIS.fullmatch(base))


def thin(c: Candidates, slack: int, guess: np.ndarray | None = None, quantum: float = QUANTUM) -> Candidates:
    """Keep pairs within ``slack`` of the sample's best distance, one per ``quantum`` of reference time.

    The result is sorted by (ref, sample, ref_time). Of several pairs of one sample in the same
    ``quantum`` seconds of the same reference (consecutive frames of a dense reference, variants),
    only the closest in distance is kept, so a static shot costs the same whatever the frame rate.
    """
    return c.take(thin_index(c, slack, guess, quantum))


def thin_index(
    c: Candidates, slack: int, guess: np.ndarray | None = None, quantum: float = QUANTUM
) -> np.ndarray:
    """Indices into ``c`` of the pairs :func:`thin` keeps, in its order."""
    if len(c) == 0:
        return np.zeros(0, np.int64)
    order = np.lexsort((c.ref_time, c.sample, c.ref))
    ref, sample, distance = c.ref[order], c.sample[order], c.distance[order]
    new_group = np.ones(len(order), bool)
    new_group[1:] = (ref[1:] != ref[:-1]) | (sample[1:] != sample[:-1])
    starts = np.flatnonzero(new_group)
    best = np.minimum.reduceat(distance, starts)
    group = np.cumsum(new_group) - 1
    keep = distance <= best[group] + slack
    if guess is not None:
        # a sample that matches with its plain variants votes with those only: the many guessed
        # regions of a still shot match everywhere and would pull the alignment off the true line
        guess = guess[order]
        plain = np.bincount(group, weights=keep & ~guess, minlength=len(starts)) > 0
        keep &= ~(guess & plain[group])
    idx = order[np.flatnonzero(keep)]
    c = c.take(idx)
    # one pair per (ref, sample, time quantum): the smallest distance
    slot = np.floor(c.ref_time / quantum).astype(np.int64)
    order = np.lexsort((c.distance, slot, c.sample, c.ref))
    c, slot, idx = c.take(order), slot[order], idx[order]
    first = np.ones(len(c), bool)
    first[1:] = (c.ref[1:] != c.ref[:-1]) | (c.sample[1:] != c.sample[:-1]) | (slot[1:] != slot[:-1])
    return idx[np.flatnonzero(first)]


def concat(a: Candidates, b: Candidates) -> Candidates:
    """Pairs of two searches of the same query (labels and bases are recomputed the same way)."""
    if len(a) == 0:
        return b
    if len(b) == 0:
        return a
    if a.labels != b.labels or a.bases != b.bases:
        raise MatchingError("candidate sets of different label tables cannot be joined")
    arrays = {k: np.concatenate([getattr(a, k), getattr(b, k)]) for k in _ARRAYS}
    return Candidates(**arrays, labels=a.labels, bases=a.bases)


def _empty() -> Candidates:
    z = np.zeros(0, np.int64)
    return Candidates(
        sample=z,
        query_time=z.astype(np.float64),
        ref=z,
        ref_time=z.astype(np.float64),
        ref_end=z.astype(np.float64),
        distance=z.astype(np.int16),
        mirror=z.astype(bool),
        label=z.astype(np.int16),
        base=z.astype(np.int16),
        labels=(),
        bases=(None,),
    )
