"""The Report model: building with custody, JSON round trip, loading a saved v1 report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import test_report_fixtures as fx
from tests.test_report_fixtures import TITLE
from verify.analysis import analyse
from verify.errors import ReportError, SchemaVersionError
from verify.library import Provenance, Reference
from verify.matching import SegmentMatch
from verify.notes import CHECKS, Notes
from verify.probe.signals import Signal
from verify.report import (
    SCHEMA_VERSION,
    CustodyEntry,
    CustodyLog,
    FileRecord,
    FramePair,
    ImageRef,
    KeyframeRecord,
    MatchRecord,
    Report,
    build_report,
)

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture
def hostile_report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    return fx.hostile_report(tmp_path_factory)


def test_build_logs_custody_and_records_the_file(clip: Path) -> None:
    report = build_report(analyse(clip), notes=Notes(analyst="me").with_verdict("misleading"))
    assert report.schema_version == SCHEMA_VERSION
    assert (
        report.file.size == clip.stat().st_size
        and len(report.file.sha256) == 64
        and len(report.file.md5) == 32
    )
    assert report.case_id.endswith(report.file.sha256[:8])
    assert report.custody.steps() == [
        "received", "hashed", "probed", "fingerprinted", "frames extracted", "notes edited"
    ]  # fmt: skip
    assert all(e.at.endswith("Z") for e in report.custody)
    assert report.custody.entries[1].sha256 == report.file.sha256
    assert report.keyframes and all(
        k.image is not None and k.image.name in report.images for k in report.keyframes
    )
    assert report.verdict == "misleading"
    assert {"verify", "av", "numpy", "imagehash", "ffmpeg"} <= set(report.versions)
    times = [k.time for k in report.keyframes]
    assert times == sorted(times) and 0.0 <= times[0] < 2.0


def test_progress_is_reported(clip: Path) -> None:
    seen: list[float] = []
    analyse(clip, progress=lambda d, t: seen.append(d / t))
    assert seen[-1] == 1.0 and seen == sorted(seen)


def test_received_is_when_the_file_came_in(clip: Path) -> None:
    earlier = CustodyEntry("received", "upload of clip.mp4", "2026-01-02T03:04:05Z")
    report = build_report(analyse(clip), custody=[earlier])
    assert report.file.received_at == "2026-01-02T03:04:05Z"
    assert report.custody.steps()[0] == "received" and report.custody.steps().count("received") == 1


def test_custody_is_append_only_and_notes_copy_the_log(hostile_report: Report) -> None:
    n = len(hostile_report.custody)
    edited = hostile_report.with_notes(Notes().with_check("date", status="false"))
    assert len(hostile_report.custody) == n  # the original report's log is untouched
    assert edited.custody.steps()[-1] == "notes edited" and len(edited.custody) == n + 1
    edited.record_reverse_search("TinEye", "keyframe at 0:01.000")
    assert edited.custody.entries[-1].step == "sent to reverse search engine"
    assert not hasattr(edited.custody, "remove")


def test_json_round_trip_of_a_real_report(hostile_report: Report) -> None:
    text = hostile_report.to_json()
    back = Report.from_json(text, images=hostile_report.images)
    assert back == hostile_report
    assert back.probe["container"]["tags"]["title"] == TITLE
    embedded = Report.from_json(hostile_report.to_json(embed_images=True))
    assert embedded.images == hostile_report.images


_text = st.text(max_size=40)
_float = st.floats(allow_nan=False, allow_infinity=False, width=64)
_image = st.builds(
    ImageRef, name=_text, sha256=_text, width=st.integers(0, 5000), height=st.integers(0, 5000)
)
_json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-(2**53), 2**53), _float, _text)
_json = st.recursive(_json_leaf, lambda c: st.lists(c, max_size=3) | st.dictionaries(_text, c, max_size=3),
                     max_leaves=10)  # fmt: skip
_pair = st.builds(FramePair, query_time=_float, reference_time=_float, distance=st.integers(0, 64),
                  variant=_text, query_image=st.none() | _image, reference_image=st.none() | _image)  # fmt: skip
_reference = st.builds(
    Reference, id=st.integers(0, 10**6), sha256=_text, path=_text,
    provenance=st.builds(Provenance, title=_text, source_url=_text, tags=st.lists(_text, max_size=3).map(tuple)),
)  # fmt: skip
_segment = st.builds(
    SegmentMatch, reference=_reference, score=_float, query_start=_float, query_end=_float,
    reference_start=_float, reference_end=_float, speed=_float, offset=_float, mirrored=st.booleans(),
    crop=st.none() | _text, coverage_query=_float, coverage_reference=_float, median_distance=_float,
    bars=st.none() | st.lists(st.integers(0, 99), min_size=4, max_size=4).map(tuple),
)  # fmt: skip
_match = st.builds(
    MatchRecord, match=_segment, summary=_text, evidence=st.lists(_pair, max_size=3).map(tuple)
)
_notes = st.builds(
    lambda v, checks, summary: Notes(checks=tuple(Notes().with_check(c, status=s, text=t).check(c)
                                                  for c, s, t in checks), verdict=v, summary=summary),
    st.sampled_from(["verified", "false", "misleading", "unverified"]),
    st.lists(st.tuples(st.sampled_from(CHECKS), st.sampled_from(["false", "verified"]), _text), max_size=5),
    _text,
)  # fmt: skip
_report = st.builds(
    Report,
    case_id=_text,
    file=st.builds(FileRecord, name=_text, size=st.integers(0, 2**40), sha256=_text, md5=_text),
    probe=st.dictionaries(_text, _json, max_size=4),
    signals=st.lists(
        st.builds(
            Signal,
            code=_text,
            severity=st.sampled_from(["info", "notice", "warning"]),
            title=_text,
            explanation=_text,
            fields=st.dictionaries(_text, _json_leaf, max_size=2),
        ),
        max_size=3,
    ).map(tuple),
    keyframes=st.lists(st.builds(KeyframeRecord, time=_float, image=st.none() | _image), max_size=3).map(
        tuple
    ),
    matches=st.lists(_match, max_size=2).map(tuple),
    notes=_notes,
    settings=st.dictionaries(_text, _json, max_size=3),
    custody=st.lists(st.builds(CustodyEntry, step=_text, detail=_text, at=_text), max_size=4).map(CustodyLog),
    images=st.dictionaries(_text, st.binary(max_size=20), max_size=2),
)


@pytest.mark.slow
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_report)
def test_json_round_trip_property(report: Report) -> None:
    assert Report.from_json(report.to_json(), images=report.images) == report
    assert Report.from_json(report.to_json(embed_images=True)) == report


def test_saved_v1_report_still_loads() -> None:
    data = json.loads((GOLDEN / "report_v1.json").read_text(encoding="utf-8"))
    assert data["schema_version"] == 1 and isinstance(data["keyframes"][0]["image"], str)
    report = Report.from_dict(data)
    assert report.schema_version == SCHEMA_VERSION
    assert report.verdict == "false" and report.notes.check("provenance").status == "false"
    assert report.notes.check("provenance").confidence == "high"
    k = report.keyframes[0]
    assert isinstance(k.image, ImageRef) and k.image.name == data["keyframes"][0]["image"]
    assert k.image.sha256 == data["keyframes"][0]["image_sha256"]
    pair = report.matches[0].evidence[0]
    assert pair.query_image is not None and pair.query_image.sha256 == data["matches"][0]["evidence"][0][
        "query_image_sha256"]  # fmt: skip
    assert report.matches[0].match.mirrored and report.matches[0].reference.provenance.title
    assert report.custody.steps()[:3] == ["received", "hashed", "probed"]
    assert report.file.sha256 == data["file"]["sha256"]
    # and it saves as the current version
    assert json.loads(report.to_json())["schema_version"] == SCHEMA_VERSION


def test_a_newer_report_is_refused_with_a_clear_error() -> None:
    data = json.loads((GOLDEN / "report_v1.json").read_text(encoding="utf-8"))
    data["schema_version"] = SCHEMA_VERSION + 1
    with pytest.raises(SchemaVersionError, match="not one this verify reads"):
        Report.from_dict(data)
    with pytest.raises(ReportError):
        Report.from_json("{not json")
    with pytest.raises(ReportError):
        Report.from_dict({"case": 1})


@pytest.mark.corpus
@pytest.mark.slow
def test_real_phone_clip_report(corpus: Path, tmp_path: Path) -> None:
    """An iPhone HEVC clip: device, GPS and the creation-time disagreement reach the exports."""
    from verify.export import export

    report = build_report(analyse(corpus / "files" / "pigallery2-IMG_7943_HEVC.mov"))
    assert report.probe["summary"]["device"] == "Apple iPhone 13 Pro"
    assert "creation_times_disagree" in [s.code for s in report.signals]
    k = report.keyframes[0].image
    assert k is not None and k.height > k.width  # portrait clip, keyframe upright
    html = export(report, "html", tmp_path).read_text(encoding="utf-8")
    disagree = next(s for s in report.signals if s.code == "creation_times_disagree")
    assert "Apple iPhone 13 Pro" in html and "49.1989" in html and disagree.title in html
    assert export(report, "pdf", tmp_path).stat().st_size > 5000


@pytest.mark.slow
def test_a_still_is_its_own_keyframe_and_audio_has_none(tmp_path: Path) -> None:
    from tests import media
    from verify.export import export

    still = build_report(analyse(media.make_still(tmp_path / "still.png", width=400, height=300)))
    assert len(still.keyframes) == 1 and still.keyframes[0].time == 0.0
    assert (still.keyframes[0].image.width, still.keyframes[0].image.height) == (400, 300)
    audio = build_report(analyse(media.make_audio_only(tmp_path / "sound.m4a")))
    assert audio.keyframes == () and any("audio only" in e.detail for e in audio.custody.entries)
    assert export(audio, "pdf", tmp_path).read_bytes().startswith(b"%PDF")
    assert "No keyframes." in export(audio, "html", tmp_path).read_text()


def test_saved_v2_report_still_loads() -> None:
    """A report saved by the previous release (schema 2: its own signal and match records)."""
    data = json.loads((GOLDEN / "report_v2.json").read_text(encoding="utf-8"))
    assert data["schema_version"] == 2 and "kind" in data["signals"][0]
    report = Report.from_dict(data)
    assert report.schema_version == SCHEMA_VERSION
    assert [s.code for s in report.signals] == [s["kind"] for s in data["signals"]]
    assert report.signals[0].explanation == data["signals"][0]["message"]
    old = data["matches"][0]
    m = report.matches[0]
    assert m.reference.provenance.title == old["reference"]["title"] == "Agency clip, 2019"
    assert m.reference.id == old["reference"]["id"] and m.reference.sha256 == old["reference"]["sha256"]
    assert (m.match.query_start, m.match.query_end, m.match.speed) == (
        old["query_start"], old["query_end"], old["speed"]
    )  # fmt: skip
    assert m.match.mirrored and m.summary == old["summary"]
    assert len(m.evidence) == len(old["evidence"]) and m.evidence[0].query_image is not None
    assert len(m.match.evidence) == len(old["evidence"])
    assert json.loads(report.to_json())["schema_version"] == SCHEMA_VERSION
