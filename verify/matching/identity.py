"""Identity first: a query whose bytes or decoded pictures equal a reference's is that reference.

Checked before any hash search, whatever the content (a still, a black clip, a static shot the
alignment could never place): same sha256 -> ``method="identical"``; same picture digest
(``Fingerprint.picture_digest``: the decoded work pictures a 2 fps sampler picks, with their
times: a remux, a file with its metadata stripped) -> ``"identical-pictures"``. Either is reported
over the whole clip at speed 1 with score 1.
"""

from __future__ import annotations

from typing import Any

from ..fingerprint import Fingerprint
from ..library import Reference
from .result import EvidencePair, SegmentMatch


def identical_reference(fp: Fingerprint, library: Any) -> tuple[Reference, str] | None:
    """``(reference, method)`` of a reference identical to the query, or None."""
    find = getattr(library, "find_sha256", None)
    if fp.sha256 and find is not None:
        ref = find(fp.sha256)
        if ref is not None:
            return ref, "identical"
    find_pictures = getattr(library, "find_picture_digest", None)
    if fp.picture_digest and find_pictures is not None:
        ref = find_pictures(fp.picture_digest)
        if ref is not None:
            return ref, "identical-pictures"
    return None


def identical_match(
    fp: Fingerprint, ref: Reference, method: str, duration: float, evidence: int
) -> SegmentMatch:
    """The whole-span, speed-1, score-1 match of an identical copy."""
    end = duration or ref.duration
    times = [float(t) for t in fp.times[:: max(1, len(fp) // max(evidence, 1))][:evidence]]
    label = fp.settings.variants[0] if fp.settings.variants else "full"
    return SegmentMatch(
        reference=ref,
        score=1.0,
        query_start=0.0,
        query_end=end,
        reference_start=0.0,
        reference_end=ref.duration or end,
        speed=1.0,
        offset=0.0,
        mirrored=False,
        crop=None,
        coverage_query=1.0,
        coverage_reference=1.0,
        median_distance=0.0,
        aligned_fraction=1.0,
        aligned_samples=len(fp),
        support=1.0,
        evidence=tuple(EvidencePair(t, t, 0, label) for t in times),
        method=method,
    )
