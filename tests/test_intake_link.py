"""``verify get``: yt-dlp against a real HTTP server on 127.0.0.1 (no internet needed).

The server (http.server in a thread) serves a page with a <video>, the clip itself, a page
without media, a text file posing as video, and 404s; a closed port gives "connection refused".
"""

from __future__ import annotations

import calendar
import functools
import json
import os
import socket
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.media import make_video
from verify.cli import main
from verify.errors import (
    CaseIntegrityError,
    LinkError,
    LinkHTTPError,
    LinkNetworkError,
    NotMediaAtLinkError,
    UnsupportedLinkError,
)
from verify.intake import custody_for, fetch_link, link_signals, load_record, site_of
from verify.intake.record import record_from_info
from verify.probe import probe

pytestmark = pytest.mark.slow

UPLOADED = calendar.timegm((2024, 3, 1, 12, 0, 0))  # the page's Last-Modified: 2024-03-01T12:00:00Z


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("site")
    make_video(root / "clip.mp4", seconds=1.0, width=160, height=120, audio=True,
               metadata={"creation_time": "2024-03-05T10:00:00Z"})  # fmt: skip
    make_video(
        root / "old.mp4",
        seconds=1.0,
        width=160,
        height=120,
        metadata={"creation_time": "2023-06-01T10:00:00Z"},
    )
    (root / "index.html").write_text(
        '<html><head><title>Storm over the harbour</title></head>'
        '<body><video controls src="clip.mp4"></video></body></html>'
    )  # fmt: skip
    (root / "old.html").write_text(
        '<html><head><title>Old</title></head><body><video src="old.mp4"></video></body></html>'
    )
    (root / "embed.html").write_text(
        '<html><body><iframe src="https://www.youtube.com/embed/dQw4w9WgXcQ"></iframe></body></html>'
    )
    (root / "plain.html").write_text("<html><body><p>No media here</p></body></html>")
    (root / "fake.mp4").write_text("this is not a video\n" * 50)
    for name in ("index.html", "old.html", "clip.mp4", "old.mp4"):
        os.utime(root / name, (UPLOADED, UPLOADED))
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_page_with_video_end_to_end(site: str, tmp_path: Path) -> None:
    got = fetch_link(f"{site}/index.html", tmp_path)
    assert got.path.is_file() and got.path.parent == tmp_path
    info = probe(got.path)
    assert info.file is not None and info.file.sha256 == got.sha256 and info.video is not None
    # the site record next to the file
    rec = load_record(got.path)
    assert rec == got.record
    assert rec.url == f"{site}/index.html" and rec.extractor in ("html5", "generic")
    assert rec.title.startswith("Storm over the harbour")
    assert rec.timestamp == "2024-03-01T12:00:00Z"
    assert rec.hosts_contacted == (site.removeprefix("http://"),)
    raw = json.loads(got.info_path.read_text())
    assert not {"formats", "http_headers", "cookies", "requested_formats"} & set(raw)
    # custody: URL, UTC time, sha256
    log = custody_for(got.path)
    assert log is not None and log.steps() == ["downloaded", "hashed"]
    first = log.entries[0]
    assert f"{site}/index.html" in first.detail and first.sha256 == got.sha256 and first.at.endswith("Z")
    # the site's time as a creation-time candidate, compared with the file's own
    up = rec.upload_time()
    assert up is not None and up.utc == "2024-03-01T12:00:00+00:00" and "HTTP Last-Modified" in up.source
    codes = {s.code: s for s in link_signals(info, rec)}
    assert "uploaded_to_platform" in codes
    assert "recorded_after_upload" in codes  # the clip says 2024-03-05, the server 2024-03-01
    assert codes["recorded_after_upload"].fields["file_times"][0]["source"] == "format:creation_time"


def test_recycled_footage_lead(site: str, tmp_path: Path) -> None:
    got = fetch_link(f"{site}/old.html", tmp_path)
    codes = [s.code for s in link_signals(probe(got.path), got.record)]
    assert "uploaded_long_after_recording" in codes and "recorded_after_upload" not in codes


def test_direct_media_url(site: str, tmp_path: Path) -> None:
    got = fetch_link(f"{site}/clip.mp4", tmp_path)
    assert got.record.extractor == "generic"
    assert probe(got.path).video is not None
    # fetching again appends to the custody sidecar instead of rewriting it
    fetch_link(f"{site}/clip.mp4", tmp_path)
    log = custody_for(got.path)
    assert log is not None and log.steps() == ["downloaded", "hashed", "downloaded", "hashed"]


def test_download_custody_goes_into_a_report(site: str, tmp_path: Path) -> None:
    from verify.analysis import analyse
    from verify.intake import with_download_custody
    from verify.report import build_report

    got = fetch_link(f"{site}/clip.mp4", tmp_path)
    report = with_download_custody(build_report(analyse(got.path)), got.path)
    assert report.custody.steps()[:3] == ["downloaded", "hashed", "received"]
    assert report.custody.entries[0].sha256 == report.file.sha256


def test_changed_file_is_not_given_the_download_history(site: str, tmp_path: Path) -> None:
    got = fetch_link(f"{site}/clip.mp4", tmp_path)
    with open(got.path, "ab") as fh:
        fh.write(b"tampered")
    with pytest.raises(CaseIntegrityError):
        custody_for(got.path)


def test_embed_from_another_site_is_refused_not_followed(site: str, tmp_path: Path) -> None:
    with pytest.raises(LinkError) as err:
        fetch_link(f"{site}/embed.html", tmp_path)
    assert "embeds a video hosted on www.youtube.com" in str(err.value)
    assert not list(tmp_path.iterdir())


def _refused_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.mark.parametrize(
    ("path", "error", "words"),
    [
        ("/nope.mp4", LinkHTTPError, "HTTP 404"),
        ("/plain.html", UnsupportedLinkError, "no video found"),
        ("/fake.mp4", (UnsupportedLinkError, NotMediaAtLinkError), ""),
        ("REFUSED", LinkNetworkError, "connection refused"),
        ("ftp://example.org/x.mp4", UnsupportedLinkError, "not a web link"),
    ],
)
def test_failing_urls(site: str, tmp_path: Path, path: str, error: type, words: str) -> None:
    url = (f"http://127.0.0.1:{_refused_port()}/x.mp4" if path == "REFUSED"
           else path if "://" in path else site + path)  # fmt: skip
    with pytest.raises(error) as err:
        fetch_link(url, tmp_path)
    text = str(err.value)
    assert "\n" not in text and words in text


def test_cli_get_and_its_one_line_errors(
    site: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["get", f"{site}/index.html", "-o", str(tmp_path / "dl")]) == 0
    out = capsys.readouterr()
    assert "downloaded" in out.out and "custody" in out.out and "Server time of the link" in out.out
    assert out.err == ""  # yt-dlp prints nothing of its own
    assert main(["get", f"{site}/index.html", "-o", str(tmp_path / "dl"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["record"]["timestamp"] == "2024-03-01T12:00:00Z" and len(data["sha256"]) == 64
    assert [e["step"] for e in data["custody"]][-2:] == ["downloaded", "hashed"]
    assert "recorded_after_upload" in [s["code"] for s in data["signals"]]
    assert main(["get", f"{site}/nope.mp4", "-o", str(tmp_path / "dl")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "HTTP 404" in err[0]
    assert main(["get", f"http://127.0.0.1:{_refused_port()}/v", "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "connection refused" in err[0]


def test_record_keeps_only_citable_fields() -> None:
    info = {
        "id": "abc", "title": "t\x1b[31m", "extractor": "youtube", "extractor_key": "Youtube",
        "webpage_url": "https://www.youtube.com/watch?v=abc", "timestamp": 1709294400, "upload_date": "20240301",
        "uploader": "Someone", "channel": "Chan", "view_count": 10, "like_count": None,
        "formats": [{"url": "https://x"}], "http_headers": {"Cookie": "secret"}, "description": "d" * 50_000,
    }  # fmt: skip
    rec = record_from_info(
        info, url="https://youtu.be/abc", fetched_at="2026-01-01T00:00:00Z", downloader="yt-dlp"
    )
    assert (
        rec.platform == "Youtube"
        and rec.timestamp == "2024-03-01T12:00:00Z"
        and rec.upload_date == "2024-03-01"
    )
    assert rec.title == "t\x1b[31m"  # verbatim; shown through safe_text
    assert len(rec.description) == 20_000
    up = rec.upload_time()
    assert up is not None and up.source == "uploaded to Youtube"


def test_site_of() -> None:
    assert site_of("https://www.youtube.com/watch?v=1") == site_of("m.youtube.com") == "youtube.com"
    assert site_of("news.bbc.co.uk") == "bbc.co.uk"
    assert site_of("http://127.0.0.1:8000/x") == "127.0.0.1"


@pytest.mark.parametrize(
    ("timestamp", "upload_date", "expected"),
    [
        ("2024-03-05T12:00:00Z", "", "upload_consistent"),
        ("2024-06-01T12:00:00Z", "", "uploaded_long_after_recording"),
        ("2024-03-04T12:00:00Z", "", "recorded_after_upload"),
        ("", "2024-03-05", "upload_consistent"),  # date only: the same day is not "after"
        ("", "2024-03-03", "recorded_after_upload"),
    ],
)
def test_upload_time_against_file_times(
    tmp_path: Path, timestamp: str, upload_date: str, expected: str
) -> None:
    from verify.intake import SiteRecord, creation_candidates

    clip = make_video(tmp_path / "c.mp4", seconds=0.4, metadata={"creation_time": "2024-03-05T10:00:00Z"})
    info = probe(clip)
    rec = SiteRecord(url="https://v.example.com/1", extractor="youtube", platform="Youtube", timestamp=timestamp,
                     upload_date=upload_date, uploader="Someone")  # fmt: skip
    signals = {s.code: s for s in link_signals(info, rec)}
    assert expected in signals and "uploaded_to_platform" in signals
    assert "Youtube" in signals["uploaded_to_platform"].explanation
    others = {"upload_consistent", "uploaded_long_after_recording", "recorded_after_upload"} - {expected}
    assert not others & set(signals)
    sources = [t.source for t in creation_candidates(info, rec)]
    assert sources[-1] == "uploaded to Youtube" and "format:creation_time" in sources
