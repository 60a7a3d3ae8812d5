"""Shared makers for the report, export, case and browser tests (no tests here).

Clips are generated (tests/media.py); the example match is built from real frames
of a generated reference and a mirrored, cropped copy of it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from tests import media
from verify.analysis import analyse
from verify.frames import Sampling, sample_times
from verify.library import Provenance, Reference
from verify.matching import EvidencePair, SegmentMatch
from verify.pictures import add_image
from verify.report import FramePair, LibraryState, MatchRecord, Report, build_report

TITLE = "<script>alert(1)</script>"
COMMENT = "<img src=x onerror=alert(1)>\nline2\x1b[31mred"
BIG_TAG = "A" * 19_990 + "<b>END</b>"  # 20,000 characters


def hostile_clip(path: Path) -> Path:
    return media.make_video(
        path,
        seconds=2.0,
        metadata={
            "title": TITLE,
            "comment": COMMENT,
            "description": BIG_TAG,
            "artist": "[x](javascript:alert(1))",
        },
    )


def mirrored_pair(folder: Path, *, speed: float = 1.0) -> tuple[Path, Path]:
    """A 4 s 320x240 reference and a 2 s query: its 1.0 s onward, mirrored, centre 80% crop, at ``speed``."""
    base = media.textured(320, 240, seed=7)
    ref = media.make_video(folder / "reference.mp4", seconds=4.0, width=320, height=240, painter=base)

    def paint(i: int, t: float) -> np.ndarray:
        return np.ascontiguousarray(np.fliplr(base(i, 1.0 + speed * t))[24:216, 32:288])

    query = media.make_video(folder / "query.mp4", seconds=2.0, width=256, height=192, painter=paint)
    return query, ref


def with_match(report: Report, query: Path, ref: Path, title: str = "Agency clip, 2019") -> Report:
    """``report`` plus one match record whose frame pairs are real frames of ``query`` and ``ref``."""
    images = dict(report.images)
    times = [0.2, 1.0, 1.8]
    qf = sample_times(query, times, Sampling(max_side=320))
    rf = sample_times(ref, [1.0 + t for t in times], Sampling(max_side=320))
    pairs = tuple(
        FramePair(
            q.time,
            r.time,
            4,
            "mirror",
            add_image(images, f"images/match01-pair{i:02d}-query.jpg", q.image),
            add_image(images, f"images/match01-pair{i:02d}-reference.jpg", r.image),
        )
        for i, (q, r) in enumerate(zip(qf, rf))
    )
    reference = Reference(
        id=1, sha256="ab" * 32, path=str(ref), duration=4.0,
        provenance=Provenance(title=title, source_url="https://example.org/clip", first_seen="2019-05-01",
                              found_at="agency archive", tags=("storm", "2019")),
    )  # fmt: skip
    segment = SegmentMatch(
        reference=reference, score=0.9, query_start=0.0, query_end=2.0, reference_start=1.0, reference_end=3.0,
        speed=1.0, offset=1.0, mirrored=True, crop="crop80", coverage_query=1.0, coverage_reference=0.5,
        median_distance=4.0, aligned_fraction=0.95,
        evidence=tuple(EvidencePair(p.query_time, p.reference_time, p.distance, p.variant) for p in pairs),
    )  # fmt: skip
    match = MatchRecord(segment, segment.summary(), pairs)
    return dataclasses.replace(
        report, matches=(match,), library=LibraryState("/tmp/lib.sqlite", references=3), images=images
    )


_CACHE: dict[str, Report] = {}


def hostile_report(factory: pytest.TempPathFactory) -> Report:
    """The hostile clip's report with one match, built once per test session (callers may append custody)."""
    if "hostile" not in _CACHE:
        folder = factory.mktemp("hostile")
        clip = hostile_clip(folder / "<evil>\x1b[2J name.mp4")
        query, ref = mirrored_pair(folder)
        _CACHE["hostile"] = with_match(build_report(analyse(clip)), query, ref, title=TITLE)
    return _CACHE["hostile"]


def plain_report(factory: pytest.TempPathFactory) -> Report:
    """A plain generated clip's report with one match, built once per test session."""
    if "plain" not in _CACHE:
        folder = factory.mktemp("plain")
        query, ref = mirrored_pair(folder)
        _CACHE["plain"] = with_match(build_report(analyse(query)), query, ref)
    return _CACHE["plain"]
