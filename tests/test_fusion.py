"""verify.matching.fusion on constructed picture and sound matches (the real end-to-end case is in
tests/test_fusion_real.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

import pytest

from verify import serial
from verify.audio import AudioEvidence, AudioMatch
from verify.library import Provenance, Reference
from verify.matching import MatchResult, QueryInfo, SegmentMatch
from verify.matching.fusion import SYNC_TOLERANCE, Clocks, describe, fuse, sound_offset, weak_timing

REF = Reference(id=1, sha256="a" * 64, path="/lib/interview.mp4", provenance=Provenance(title="Interview"))
OTHER = Reference(id=2, sha256="b" * 64, path="/lib/parade.mp4", provenance=Provenance(title="Parade"))
REFS = {"1": REF, "2": OTHER}


def picture(
    ref: Reference = REF, q: tuple[float, float] = (0.0, 10.0), offset: float = 5.0, **kw: object
) -> SegmentMatch:
    values: dict[str, object] = dict(
        reference=ref,
        score=0.9,
        query_start=q[0],
        query_end=q[1],
        reference_start=q[0] + offset,
        reference_end=q[1] + offset,
        speed=1.0,
        offset=offset,
        mirrored=False,
        crop=None,
        coverage_query=1.0,
        coverage_reference=0.5,
        median_distance=4.0,
        aligned_fraction=0.9,
        aligned_samples=40,
        support=0.8,
    )
    values.update(kw)
    return SegmentMatch(**values)  # type: ignore[arg-type]


def sound(
    ref: str = "1", q: tuple[float, float] = (0.0, 10.0), offset: float = 5.0, speed: float = 1.0
) -> AudioMatch:
    ev = tuple(AudioEvidence(t, speed * t + offset, 8, 10) for t in (q[0] + 1, (q[0] + q[1]) / 2, q[1] - 1))
    return AudioMatch(
        reference=ref,
        query_start=q[0],
        query_end=q[1],
        reference_start=speed * q[0] + offset,
        reference_end=speed * q[1] + offset,
        speed=speed,
        offset=offset,
        score=0.7,
        pitch="unknown",
        matched_peaks=200,
        query_peaks=280,
        lift=12.0,
        votes=90,
        evidence=ev,
    )


def test_picture_and_sound_that_agree_are_one_match_on_both_channels() -> None:
    fused = fuse([picture()], [sound()], reference_of=REFS.get)
    assert len(fused.matches) == 1
    m = fused.matches[0]
    assert m.channel == "both" and m.timing == "picture"
    assert m.audio is not None and m.audio.reference == "1"
    assert m.sound_offset == pytest.approx(0.0, abs=1e-9)
    assert "agree" in describe(m)


def test_a_dubbed_copy_reports_the_sound_offset() -> None:
    # the sound was delayed 1.5 s: at query time t one hears the reference's t + 5 - 1.5
    m = fuse([picture()], [sound(offset=3.5)], reference_of=REFS.get).matches[0]
    assert m.channel == "both"
    assert m.sound_offset == pytest.approx(-1.5)
    text = describe(m)
    assert "1.5 s behind" in text and "dubbed or re-synced" in text
    ahead = fuse([picture()], [sound(offset=6.0)]).matches[0]
    assert ahead.sound_offset == pytest.approx(1.0) and "ahead of" in describe(ahead)


def test_stream_start_times_are_accounted_for() -> None:
    # query: audio starts 0.5 s after video; reference: 0.2 s after. In each file's audio clock the
    # same alignment reads reference_audio = query_audio + 5.3 (see Clocks)
    a = sound(offset=5.3, q=(0.0, 9.5))
    plain = fuse([picture()], [a]).matches[0]
    assert plain.sound_offset == pytest.approx(0.3)  # wrongly seen as re-synced without the clocks
    clocks = Clocks(query_lead=0.5, reference_leads={"1": 0.2})
    m = fuse([picture()], [a], clocks=clocks).matches[0]
    assert m.sound_offset == pytest.approx(0.0, abs=1e-9)
    assert m.audio is not None
    assert m.audio.query_start == pytest.approx(0.5) and m.audio.reference_start == pytest.approx(5.5)
    assert m.audio.evidence[0].query_time == pytest.approx(1.5)
    assert abs(m.sound_offset or 0) <= SYNC_TOLERANCE


def test_sound_without_picture_is_a_real_match_labelled_picture_replaced() -> None:
    fused = fuse([], [sound(q=(2.0, 20.0))], reference_of=REFS.get)
    (m,) = fused.matches
    assert m.channel == "sound" and m.timing == "sound"
    assert m.reference == REF
    assert (m.query_start, m.reference_start, m.reference_end) == (2.0, 7.0, 25.0)
    text = describe(m)
    assert "has the sound of" in text and "the picture was replaced" in text
    # a sound match whose reference the caller cannot resolve is dropped, not invented
    assert fuse([], [sound(ref="99")], reference_of=REFS.get).matches == ()


def test_sound_of_one_reference_under_the_picture_of_another() -> None:
    fused = fuse([picture(ref=OTHER, offset=0.0)], [sound(ref="1")], reference_of=REFS.get)
    kinds = {m.reference.id: m.channel for m in fused.matches}
    assert kinds == {2: "picture", 1: "sound"}
    sound_only = next(m for m in fused.matches if m.channel == "sound")
    assert "The picture there is from \u201cParade\u201d" in describe(sound_only, others=fused.matches)


def test_picture_only_says_why_the_sound_does_not_support_it() -> None:
    (m,) = fuse([picture()], []).matches
    assert m.channel == "picture" and m.audio is None and m.sound_offset is None
    assert "sound differs" in describe(m, Clocks())
    assert "no usable sound" in describe(m, Clocks(query_sound=False))
    assert "not fingerprinted" in describe(m, Clocks(references_with_sound=frozenset({"2"})))


def test_sound_elsewhere_in_the_query_does_not_support_a_picture_segment() -> None:
    fused = fuse([picture(q=(0.0, 10.0))], [sound(q=(30.0, 40.0))], reference_of=REFS.get)
    assert [m.channel for m in fused.matches] == ["picture", "sound"]


def test_the_part_of_a_sound_match_the_picture_does_not_cover_is_sound_only() -> None:
    # the picture follows the reference for 10 s, then a still; the sound goes on to 30 s
    fused = fuse([picture(q=(0.0, 10.0))], [sound(q=(0.0, 30.0))], reference_of=REFS.get)
    assert [(m.channel, m.query_start, m.query_end) for m in fused.matches] == [
        ("both", 0.0, 10.0),
        ("sound", 10.0, 30.0),
    ]
    both, tail = fused.matches
    assert both.audio is not None and both.audio.query_end == 10.0
    assert tail.reference_start == pytest.approx(15.0)
    assert all(10.0 <= e.query_time <= 30.0 for e in tail.audio.evidence)  # type: ignore[union-attr]


def test_weak_picture_timing_is_pinned_by_the_sound() -> None:
    # a talking head that barely moves: the picture guessed offset 5, the sound says 12
    weak = picture(support=0.1)
    assert weak_timing(weak) and not weak_timing(picture())
    m = fuse([weak], [sound(offset=12.0)]).matches[0]
    assert m.channel == "both" and m.timing == "sound"
    assert (m.reference_start, m.reference_end, m.offset) == (12.0, 22.0, 12.0)
    assert "comes from the sound" in describe(m)
    # a weak picture that the sound confirms keeps its own time
    ok = fuse([weak], [sound(offset=5.1)]).matches[0]
    assert ok.timing == "picture" and ok.sound_offset == pytest.approx(0.1)


@dataclass(frozen=True)
class _Repeating(SegmentMatch):
    """A picture segment that fits several reference start times (as matching's ``alternatives``)."""

    alternatives: tuple[float, ...] = ()


def test_the_sound_chooses_among_the_pictures_alternatives() -> None:
    p = _Repeating(**{**picture().__dict__, "alternatives": (25.0, 45.0)})
    assert weak_timing(p)
    m = fuse([p], [sound(offset=45.1)]).matches[0]
    assert m.timing == "sound" and m.reference_start == pytest.approx(45.0)
    assert m.sound_offset == pytest.approx(0.1)


@dataclass(frozen=True)
class _Scene:
    reference: Reference
    query_start: float
    query_end: float
    reference_start: float
    reference_end: float
    kind: str = "still"
    mirrored: bool = True
    median_distance: float = 3.0
    matched_fraction: float = 0.95


def test_a_same_scene_result_becomes_a_match_when_the_sound_says_when() -> None:
    scene = _Scene(REF, 0.0, 10.0, 0.0, 60.0)
    fused = fuse([], [sound(offset=20.0)], scenes=[scene], reference_of=REFS.get)
    (m,) = fused.matches
    assert fused.scenes == ()
    assert m.channel == "both" and m.timing == "sound" and m.mirrored
    assert (m.reference_start, m.reference_end) == (20.0, 30.0)
    assert m.aligned_fraction == 0.95
    # sound from outside the scene's reference range: the scene stays a scene, the sound is sound only
    far = fuse([], [sound(offset=80.0)], scenes=[scene], reference_of=REFS.get)
    assert far.scenes == (scene,) and [m.channel for m in far.matches] == ["sound"]


def test_fused_matches_round_trip_through_json_and_old_records_load() -> None:
    fused = fuse([picture()], [sound(offset=3.5), sound(ref="2", q=(12.0, 20.0))], reference_of=REFS.get)
    result = MatchResult(QueryInfo("/q.mp4", "c" * 64, 20.0, 40), fused.matches, library_references=2)
    back = MatchResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert back.matches == result.matches
    assert [m.channel for m in back.matches] == ["both", "sound"]
    old = serial.to_jsonable(replace(picture()))
    for key in ("channel", "audio", "sound_offset", "timing"):
        old.pop(key)
    loaded = serial.from_jsonable(SegmentMatch, old)
    assert (loaded.channel, loaded.audio, loaded.sound_offset, loaded.timing) == (
        "picture",
        None,
        None,
        "picture",
    )


def test_sound_offset_is_measured_in_the_common_span() -> None:
    p = picture(q=(0.0, 20.0), speed=1.0, offset=5.0)
    a = sound(q=(10.0, 20.0), offset=5.0, speed=1.02)  # a slightly different speed: measured at 15 s
    assert sound_offset(p, a) == pytest.approx(0.02 * 15)
