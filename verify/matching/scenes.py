"""Same scene, time undetermined: what the hashes match but nothing could place.

A reference whose frames the query's usable samples match closely (median best distance
``scene_max_distance`` bits or less, for ``scene_min_fraction`` of the samples of a span of at least
``min_duration``) without any accepted line over those samples is reported as a
:class:`~verify.matching.result.SceneMatch`: "same scene as reference X, time within it undetermined
(could be any of a-b)", where a-b is the part of the reference those frames match. It is the honest
answer for a static shot (a tripod, a CCTV view, a still): it may be a copy, or the same camera at
another time, and the result says so instead of claiming either.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from ..hashing import grid as fine_grid
from ..hashing.variants import TURNS
from ..library import Reference
from .candidates import Candidates, variant_parts
from .result import EvidencePair, SceneMatch
from .settings import MatchSettings

#: A reference cell series that varies less than this (std, gray levels) is still.
STILL_STD = 0.6


def scenes_for_reference(
    c: Candidates,
    ref: Reference,
    usable_times: np.ndarray,
    explained: np.ndarray,
    fine: tuple[np.ndarray, np.ndarray] | None,
    best_correlation: float | None,
    s: MatchSettings,
) -> list[SceneMatch]:
    """Same-scene results for the samples of ``c`` (one reference's pairs) that no line explained."""
    if len(c) == 0:
        return []
    left = c.take(np.flatnonzero(~explained[c.sample]))
    if len(left) == 0:
        return []
    order = np.lexsort((left.distance, left.sample))
    first = np.ones(len(order), bool)
    first[1:] = left.sample[order][1:] != left.sample[order][:-1]
    best = order[first]  # the closest pair of each sample
    samples, dist = left.sample[best], left.distance[best].astype(np.float64)
    times = usable_times[samples]
    out = []
    cuts = np.flatnonzero(np.diff(times) > s.max_gap) + 1
    for run in np.split(np.arange(len(samples)), cuts):
        if len(run) < s.min_samples:
            continue
        t0, t1 = float(times[run[0]]), float(times[run[-1]])
        usable = int(np.searchsorted(usable_times, t1, "right") - np.searchsorted(usable_times, t0, "left"))
        close = dist[run] <= s.scene_max_distance
        fraction = float(close.sum()) / max(usable, 1)
        if (
            t1 - t0 < s.min_duration
            or fraction < s.scene_min_fraction
            or np.median(dist[run]) > s.scene_max_distance
        ):
            continue
        keep = np.isin(left.sample, samples[run][close]) & (
            left.distance <= np.minimum(s.scene_max_distance, left.distance.min() + s.slack) + 0.0
        )
        r = left.ref_time[keep] if keep.any() else left.ref_time[best[run]]
        r0, r1 = float(r.min()), float(r.max())
        labels = Counter(int(x) for x in left.label[best[run]])
        name = left.labels[labels.most_common(1)[0][0]]
        qn, _, rn = name.partition("/")
        qb, qm = variant_parts(qn)
        rb, rm = variant_parts(rn or "full")
        crop = None if qb == rb or qb in TURNS else (qb if qb.startswith("win") or rb == "full" else rb)
        pick = best[run][np.round(np.linspace(0, len(run) - 1, min(s.evidence, len(run)))).astype(int)]
        evidence = tuple(
            EvidencePair(float(left.query_time[i]), float(left.ref_time[i]), int(left.distance[i]),
                         left.labels[int(left.label[i])])
            for i in pick
        )  # fmt: skip
        out.append(
            SceneMatch(
                reference=ref,
                query_start=t0,
                query_end=t1,
                reference_start=r0,
                reference_end=r1,
                kind=_kind(fine, r0, r1),
                mirrored=qm != rm,
                crop=crop,
                rotation=90 * TURNS.get(qb, 0),
                median_distance=float(np.median(dist[run])),
                matched_fraction=min(1.0, fraction),
                samples=len(run),
                best_correlation=best_correlation,
                evidence=evidence,
            )
        )
    return out


def _kind(fine: tuple[np.ndarray, np.ndarray] | None, r0: float, r1: float) -> str:
    """``"still"`` when the reference's picture does not change over ``[r0, r1]``, else ``"static"``."""
    if fine is None:
        return "static"
    times, stored = fine
    inside = (times >= r0 - 0.1) & (times <= r1 + 0.1)
    if inside.sum() < 2:
        return "static"
    values = fine_grid.decode(stored[inside])
    return "still" if float(values.std(axis=0).max()) < STILL_STD else "static"
