"""Published reports name files, not the analyst's folders or the upload's stored name."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import pytest

from tests import media
from tests.runner import run_verify
from verify.custody import CustodyLog
from verify.export import export, render_bytes
from verify.export.publish import for_publication, published_name, scrub_text
from verify.library import Provenance, Reference
from verify.matching.result import SegmentMatch
from verify.report import FileRecord, LibraryState, MatchRecord, Report

HOME = "/home/alice/.verify-data"
REF_SHA = hashlib.sha256(b"reference").hexdigest()
FILE_SHA = hashlib.sha256(b"upload").hexdigest()
STORED = f"{FILE_SHA[:16]}-clip of the storm.mov"
EVIDENCE_PATH = "/Users/bob/Desktop/source take 3.mov"  # inside the file's tags: evidence, kept


def _report() -> Report:
    upload = f"{HOME}/uploads/{STORED}"
    custody = CustodyLog()
    custody.log("received", f"{STORED} (1,000 bytes)")
    custody.log("exported", f"report as HTML: {HOME}/exports/{FILE_SHA[:16]}/VER-1.html")
    custody.log("sent to reverse search engine", "keyframe at 0:01 sent to https://lens.google.com/upload/x")
    custody.log("note", "copied from C:\\Users\\alice\\Downloads\\clip.mov")
    ref = Reference(3, REF_SHA, f"{HOME}/uploads/{REF_SHA[:16]}-agency feed.mp4", Provenance(),
                    media={"name": f"{REF_SHA[:16]}-agency feed.mp4", "path": f"{HOME}/uploads/x.mp4"})  # fmt: skip
    match = SegmentMatch(ref, 0.9, 0.0, 4.0, 1.0, 5.0, 1.0, 1.0, False, None, 1.0, 0.5, 3.0)
    return Report(
        case_id="VER-20250101-abcdef12",
        file=FileRecord(STORED, 1000, FILE_SHA, "", "2025-01-01T00:00:00Z", upload),
        probe={
            "summary": {"name": STORED},
            "file": {"name": STORED, "path": upload},
            "container": {"tags": {"comment": f"made from {EVIDENCE_PATH}"}},
        },
        library=LibraryState(f"{HOME}/library.db", references=12),
        matches=(
            MatchRecord(match, summary=f"0:00-0:04 of this clip matches {REF_SHA[:16]}-agency feed.mp4"),
        ),
        settings={"matching": {"library": f"{HOME}/library.db"}},
        custody=custody,
    )


def test_published_name_strips_only_the_files_own_sha_prefix() -> None:
    assert published_name(f"/x/{FILE_SHA[:16]}-clip.mov", FILE_SHA) == "clip.mov"
    assert published_name("0123456789abcdef-clip.mov", FILE_SHA) == "0123456789abcdef-clip.mov"
    assert published_name("C:\\Users\\a\\clip.mov") == "clip.mov"


def test_scrub_text_keeps_urls_and_ordinary_slashes() -> None:
    text = "see https://example.org/a/b/c and 1/2 km/h N/A; saved /tmp/x/y/report.html"
    assert scrub_text(text, {}) == "see https://example.org/a/b/c and 1/2 km/h N/A; saved report.html"


@pytest.mark.parametrize("fmt", ["json", "md", "html", "pdf"])
def test_every_export_names_files_not_folders(tmp_path: Path, fmt: str) -> None:
    report = _report()
    out = export(report, fmt, tmp_path)
    data = out.read_bytes() + b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    for leak in (HOME.encode(), b"/home/alice", FILE_SHA[:16].encode() + b"-", REF_SHA[:16].encode() + b"-",
                 b"C:\\\\Users", b"C:\\Users"):  # fmt: skip
        assert leak not in data, (fmt, leak)
    if fmt != "pdf":  # reportlab may split or encode text runs
        assert b"clip of the storm.mov" in data.replace(b"\\", b"")
    if fmt == "json":
        assert HOME in json.loads(render_bytes(report, fmt, full_paths=True))["file"]["path"]


def test_the_published_record_keeps_evidence_and_the_analysts_words() -> None:
    report = dataclasses.replace(
        _report(), notes=_report().notes.with_verdict("false", summary=f"see {HOME}/x/y")
    )
    pub = for_publication(report)
    assert pub.file.name == "clip of the storm.mov" and pub.file.path == ""
    assert pub.file.sha256 == report.file.sha256
    assert pub.probe["container"]["tags"]["comment"] == f"made from {EVIDENCE_PATH}"  # evidence, verbatim
    assert pub.probe["file"]["path"] == "clip of the storm.mov"
    assert pub.matches[0].reference.path == "agency feed.mp4"
    assert pub.matches[0].reference.media == {"name": "agency feed.mp4", "path": "x.mp4"}
    assert pub.matches[0].summary.endswith("matches agency feed.mp4")
    assert pub.library is not None and pub.library.path == "library.db"
    details = [e.detail for e in pub.custody]
    assert details[1] == "report as HTML: VER-1.html"
    assert "https://lens.google.com/upload/x" in details[2]
    assert details[3] == "copied from clip.mov"
    assert pub.notes.summary == f"see {HOME}/x/y"  # the analyst's own text is theirs
    assert [e.step for e in pub.custody] == [e.step for e in report.custody]
    assert report.file.path.startswith(HOME)  # the record itself keeps the paths


@pytest.mark.slow
def test_cli_report_names_files_unless_full_paths(tmp_path: Path) -> None:
    folder = tmp_path / "secret-source-folder"
    folder.mkdir()
    clip = media.make_video(folder / "clip.mp4", seconds=1.0, fps=10)
    pub = run_verify("report", str(clip), "--no-keyframes", "-o", str(tmp_path / "pub.json"))
    full = run_verify(
        "report", str(clip), "--no-keyframes", "--full-paths", "-o", str(tmp_path / "full.json")
    )
    assert pub.code == 0 and full.code == 0, (pub, full)
    published = (tmp_path / "pub.json").read_text()
    assert "secret-source-folder" not in published and json.loads(published)["file"]["name"] == "clip.mp4"
    assert "secret-source-folder" in (tmp_path / "full.json").read_text()
