"""Stage 1: range-search every usable query sample's variant hashes against the library table.

Output is a struct of arrays, one row per (query sample, query variant, table row) within the
search radius, sorted by reference, sample and reference time, and thinned to the pairs that can
vote (within ``slack`` bits of that sample's best distance to that reference).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import numpy as np

from ..errors import MatchingError
from ..fingerprint import Fingerprint
from ..library import HashTable

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


_ARRAYS = ("sample", "query_time", "ref", "ref_time", "distance", "mirror", "label", "base")


def find_candidates(
    fp: Fingerprint, table: HashTable, radius: int, slack: int
) -> tuple[Candidates, np.ndarray]:
    """Search and thin; returns the candidates and the times of the usable query samples."""
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
    qi, ti, dist = search_unique(table, hashes.reshape(-1), radius)
    sample, qvar = qi // v, qi % v
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
        distance=np.asarray(dist, np.int16),
        mirror=np.asarray(mirrors, bool)[pair_code],
        label=pair_code.astype(np.int16),
        base=np.asarray(bases, np.int16)[pair_code],
        labels=tuple(labels),
        bases=tuple(base_names),
    )
    log.debug("matching: %d query hashes -> %d candidate pairs", n * v, len(cand))
    return thin(cand, slack, np.asarray(guesses, bool)[pair_code]), times


def search_unique(table: HashTable, queries: np.ndarray, radius: int) -> tuple[np.ndarray, ...]:
    """``table.range_search`` of ``queries`` with each distinct hash searched once.

    Many query columns repeat a hash (bands and the inset are the whole picture in a landscape
    clip; a still shot repeats itself), so the search runs on the distinct values and every
    result row is copied to each query position holding that value. Returns (query index,
    table row, distance), the same pairs a direct search gives.
    """
    uniq, inverse = np.unique(np.ascontiguousarray(queries, np.uint64), return_inverse=True)
    ui, ti, dist = table.range_search(uniq, radius)
    ui, ti, dist = np.asarray(ui, np.int64), np.asarray(ti, np.int64), np.asarray(dist)
    counts = np.bincount(inverse, minlength=len(uniq))
    holders = np.argsort(inverse, kind="stable")  # query positions grouped by distinct value
    first = np.concatenate(([0], np.cumsum(counts)[:-1]))
    reps = counts[ui]
    row = np.repeat(np.arange(len(ui)), reps)
    within = np.arange(len(row)) - np.repeat(np.cumsum(reps) - reps, reps)
    return holders[first[ui[row]] + within], ti[row], dist[row]


_HYPOTHESIS = re.compile(r"win\d+-\d+-\d+|band\d+-\d+|inset")


def is_hypothesis(base: str) -> bool:
    """Whether a query base is a guess at where the reference sits (crop window, band at a height,
    detected inset) rather than the picture itself, its centre or its centred 16:9 band."""
    return bool(_HYPOTHESIS.fullmatch(base))


def thin(c: Candidates, slack: int, guess: np.ndarray | None = None, quantum: float = 0.1) -> Candidates:
    """Keep pairs within ``slack`` of the sample's best distance, one per ``quantum`` of reference time.

    The result is sorted by (ref, sample, ref_time). Of several pairs of one sample in the same
    ``quantum`` seconds of the same reference (consecutive frames of a dense reference, variants),
    only the closest in distance is kept, so a static shot costs the same whatever the frame rate.
    """
    if len(c) == 0:
        return c
    order = np.lexsort((c.ref_time, c.sample, c.ref))
    c = c.take(order)
    new_group = np.ones(len(c), bool)
    new_group[1:] = (c.ref[1:] != c.ref[:-1]) | (c.sample[1:] != c.sample[:-1])
    starts = np.flatnonzero(new_group)
    best = np.minimum.reduceat(c.distance, starts)
    group = np.cumsum(new_group) - 1
    keep = c.distance <= best[group] + slack
    if guess is not None:
        # a sample that matches with its plain variants votes with those only: the many guessed
        # regions of a still shot match everywhere and would pull the alignment off the true line
        guess = guess[order]
        plain = np.bincount(group, weights=keep & ~guess, minlength=len(starts)) > 0
        keep &= ~(guess & plain[group])
    c = c.take(np.flatnonzero(keep))
    # one pair per (ref, sample, time quantum): the smallest distance
    slot = np.floor(c.ref_time / quantum).astype(np.int64)
    order = np.lexsort((c.distance, slot, c.sample, c.ref))
    c, slot = c.take(order), slot[order]
    first = np.ones(len(c), bool)
    first[1:] = (c.ref[1:] != c.ref[:-1]) | (c.sample[1:] != c.sample[:-1]) | (slot[1:] != slot[:-1])
    return c.take(np.flatnonzero(first))


def _empty() -> Candidates:
    z = np.zeros(0, np.int64)
    return Candidates(
        sample=z,
        query_time=z.astype(np.float64),
        ref=z,
        ref_time=z.astype(np.float64),
        distance=z.astype(np.int16),
        mirror=z.astype(bool),
        label=z.astype(np.int16),
        base=z.astype(np.int16),
        labels=(),
        bases=(None,),
    )
