# ruff: noqa: F811 - the fixtures of tests/test_app.py are imported, then taken as arguments
"""What a new user tripped over in the workbench (issue 9, item 5), each in Streamlit's AppTest.

Real files (``samples/``, clips made by ``tests.media``), the real sample library and real
decoding; the fixtures and helpers are those of ``tests/test_app.py``.
"""

from __future__ import annotations

import hashlib
import os
import re
import struct
from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest

from tests import media
from tests.test_app import (  # noqa: F401 - fixtures
    APP,
    PHONE,
    STREAM,
    data,
    idle,
    open_path,
    page,
    sample_data,
    shown,
    start,
    text_of,
)

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("workbench")]


def undecodable(path: Path, seconds: float = 1.0) -> Path:
    """An MP4 whose container and stream headers are intact and whose pictures are noise."""
    good = media.make_video(path.with_name("good-" + path.name), seconds=seconds)
    b = bytearray(good.read_bytes())
    i = 0
    while i + 8 <= len(b):
        size, kind = struct.unpack(">I4s", b[i : i + 8])
        if kind == b"mdat":
            b[i + 8 : i + size] = os.urandom(size - 8)
            break
        i += size
    path.write_bytes(bytes(b))
    return path


def upload(at: AppTest, path: Path, name: str) -> AppTest:
    at.file_uploader[0].set_value((name, path.read_bytes(), "video/mp4"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def sidebar_text(at: AppTest) -> str:
    parts = [c.value for c in at.sidebar.caption] + [w.value for w in at.sidebar.warning]
    parts += [i.value for i in at.sidebar.info]
    return shown("\n".join(str(p) for p in parts))


# -- b. the library list and the sidebar know of an add at once -------------------------------


def test_an_added_reference_is_listed_at_once_and_the_sidebar_stops_saying_empty(data: Path) -> None:
    at = open_path(start(), STREAM)
    at.radio(key="library.radio").set_value("My library")
    at = page(at.run(), "library")
    assert "Your library is empty" in sidebar_text(at)
    at.text_input(key="library.add.title").input("Stream, agency archive")
    next(b for b in at.button if b.label == "Add to library").click()
    at.run()  # one run: no second rerun before looking
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("Added as reference #1" in s.value for s in at.success)
    table = next(df for df in at.dataframe if "title" in df.value.columns).value
    assert table["title"].tolist() == ["Stream, agency archive"]
    assert "empty" not in sidebar_text(at) and not any("is empty" in i.value for i in at.info)
    # e. "1 reference", not "1 references": a clip that is not in a one-reference library
    at = open_path(at, PHONE)
    idle()
    at = page(at.run(), "matches")
    text = text_of(at)
    assert "1 reference" in text and "1 references" not in text, text


# -- c. a file whose pictures cannot be decoded ------------------------------------------------


def test_an_undecodable_file_fails_once_with_one_readable_line_naming_the_upload(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ui import analysis, jobs

    analysis.forget_failures()
    calls: list[str] = []
    real_decode = analysis.decode

    def counting(a, **kw):  # type: ignore[no-untyped-def]
        calls.append(a.file.sha256 if getattr(a, "file", None) else "?")
        return real_decode(a, **kw)

    monkeypatch.setattr(analysis, "decode", counting)
    bad = undecodable(tmp_path / "bad.mp4")
    at = start()
    idle()
    calls.clear()  # the first-run sample clip was decoded before; count the upload only
    at = upload(at, bad, "holiday clip.mp4")
    loaded = at.session_state["loader.current"]
    assert loaded.name == "holiday clip.mp4" and loaded.path.name != loaded.name
    for _ in range(3):  # every visit: no new decode, nothing queued again, the same one line
        for name in ("overview", "keyframes", "matches"):
            at = page(at, name)
            assert not jobs.runner().active(), [(t.label, t.status) for t in jobs.runner().active()]
            idle()
        errors = [shown(e.value) for e in page(at, "matches").error]
        assert len(errors) == 1, errors
        line = errors[0]
        assert line.startswith("holiday clip.mp4: ") and "could not be decoded" in line, line
        assert str(loaded.path) not in line and loaded.path.name not in line and "\n" not in line
        assert "Other:" not in line and "Traceback" not in line and "Conversion failed" not in line
    assert len(calls) == 1, calls
    # matching against another library does not decode it again either
    at.radio(key="library.radio").set_value("My library")
    at = page(at.run(), "matches")  # an empty library: still the one line about the file
    errors = [shown(e.value) for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("holiday clip.mp4: "), errors
    at.radio(key="library.radio").set_value("Sample library (demo data)")
    at = page(at.run(), "keyframes")
    idle()
    assert len(calls) == 1 and any("holiday clip.mp4" in shown(e.value) for e in at.error)


def test_readable_lines_drop_tool_internals_and_the_stored_path(tmp_path: Path) -> None:
    from ui.errors import readable
    from ui.files import Loaded
    from ui.preview import make_preview

    stored = tmp_path / "uploads" / "0123456789abcdef-clip.mp4"
    loaded = Loaded(stored, "0" * 64, "my clip.mp4", "upload", 1, "m")
    assert readable("Other: Other: asset could not be parsed: invalid BMFF structure", loaded) == (
        "my clip.mp4: asset could not be parsed: invalid BMFF structure"
    )
    # real ffmpeg on a file it cannot read: no "(Conversion failed!)", no stored path
    bad = undecodable(tmp_path / "0123456789abcdef-clip.mp4")
    stored = bad
    loaded = Loaded(bad, "0" * 64, "my clip.mp4", "upload", bad.stat().st_size, "m")
    with pytest.raises(Exception) as caught:
        make_preview(bad, "0" * 64, tmp_path / "previews")
    line = readable(str(caught.value), loaded)
    assert line.startswith("my clip.mp4: could not make a browser preview"), line
    assert "Conversion failed" not in line and str(stored) not in line and stored.name not in line


# -- d. the file under examination is in the address; unsaved notes warn ------------------------


def test_reload_and_bookmark_return_to_the_file_in_the_address(data: Path, tmp_path: Path) -> None:
    clip = media.make_video(tmp_path / "harbour.mp4", seconds=1.0)
    sha = hashlib.sha256(clip.read_bytes()).hexdigest()
    at = upload(start(), clip, "harbour at dusk.mp4")
    assert at.query_params.get("file") == sha  # set by the page when the file was opened

    reloaded = AppTest.from_file(APP, default_timeout=120)
    reloaded.query_params["file"] = sha  # F5 / a bookmark: a new session with the same address
    reloaded.run()
    assert not reloaded.exception
    loaded = reloaded.session_state["loader.current"]
    assert loaded.sha256 == sha and loaded.origin == "upload" and loaded.name == "harbour at dusk.mp4"
    assert "harbour at dusk.mp4" in text_of(reloaded) and "smoke-plume-claim" not in text_of(reloaded)

    # a file opened by path comes back too (it is looked up where it was opened, not in the URL)
    at = open_path(start(), STREAM)
    stream_sha = at.session_state["loader.current"].sha256
    again = AppTest.from_file(APP, default_timeout=120)
    again.query_params["file"] = stream_sha
    again.run()
    assert again.session_state["loader.current"].path == STREAM.resolve()

    # anything else in the address opens nothing: an unknown sha256, a path, a sha256 prefix
    for value in ("f" * 64, str(STREAM), "../../etc/passwd", sha[:16]):
        other = AppTest.from_file(APP, default_timeout=120)
        other.query_params["file"] = value
        other.run()
        assert not other.exception
        assert "loader.current" not in other.session_state or other.session_state["loader.current"] is None
        assert any("page address" in shown(e.value) for e in other.error), value
        assert "file" not in other.query_params


def test_unsaved_notes_are_kept_and_flagged_until_saved(data: Path) -> None:
    at = open_path(start(), STREAM)
    sha = at.session_state["loader.current"].sha256
    k = f"notes.{sha[:16]}"
    at = page(at, "notes")
    assert not any("Unsaved" in w.value for w in at.warning)
    guard = [h for h in at.get("html") if "onbeforeunload" in h.proto.body]
    assert guard and "= null" in guard[0].proto.body
    at.text_area(key=f"{k}.provenance.text").input("Same drone shot as the 2017 clip.")
    at.run()
    assert any("Unsaved changes" in w.value for w in at.main.warning)
    at = page(at, "overview")  # leaving the Notes page
    assert any("Unsaved notes" in w.value for w in at.sidebar.warning)
    guard = [h for h in at.get("html") if "onbeforeunload" in h.proto.body]
    assert guard and "preventDefault" in guard[0].proto.body  # the browser asks before a reload
    at = page(at, "notes")  # coming back: the edit is still there
    assert at.text_area(key=f"{k}.provenance.text").value == "Same drone shot as the 2017 clip."
    next(b for b in at.button if b.label == "Save notes").click()
    at.run()
    assert any("Notes saved" in s.value for s in at.success)
    assert not any("Unsaved" in w.value for w in at.warning)
    guard = [h for h in at.get("html") if "onbeforeunload" in h.proto.body]
    assert guard and "= null" in guard[0].proto.body


# -- e. words an analyst understands -------------------------------------------------------------


def test_matches_are_described_in_words_with_one_definition_of_coverage(data: Path) -> None:
    at = start()  # the demo clip: mirrored and reframed from a vertical video
    idle()
    at = page(at.run(), "matches")
    idle()
    at.run()
    text = text_of(at) + "\n".join(b.proto.label for b in at.get("badge"))
    text += "\n".join(f"{m.label} {m.value}" for m in at.metric)
    assert "reframed from a vertical video" in text, text
    assert not re.search(r"band\d|crop\d|win\d+-\d+-\d+|\+mirror", text), re.findall(
        r"\S*(?:band|crop|win)\d\S*", text
    )
    assert "of its frames align" in text and "Frames that align" in text and "Coverage" not in text


def test_overview_frame_rate_and_the_tags_a_person_wrote(data: Path, tmp_path: Path) -> None:
    times = [i / 30 for i in range(90) if i % 3 == 0 or i < 10]  # frames dropped: 30 fps nominal
    clip = media.make_video(
        tmp_path / "ferry.mp4",
        fps=30,
        times=times,
        metadata={"title": "Harbour at dusk", "comment": "shot from the ferry", "artist": "J. Doe"},
    )
    at = upload(start(), clip, "ferry.mp4")
    text = text_of(at)
    assert "30 fps (average 12.273: frames are dropped or variable)" in text, text
    assert "(real " not in text
    assert "No metadata at all" not in text
    for value in ("Harbour at dusk", "shot from the ferry", "J. Doe"):
        assert value in text
    assert "Title and comments in the file" in text


def test_an_opened_case_file_is_summarised_line_by_line(data: Path) -> None:
    at = open_path(start(), STREAM)
    idle()
    at = page(at.run(), "export")
    next(b for b in at.button if b.label == "Save the case file").click()
    at.run(timeout=240)
    assert not at.error, [e.value for e in at.error]
    _, name, payload = at.session_state["export.case.ready"]
    uploader = next(u for u in at.file_uploader if u.key == "export.open.upload")
    uploader.set_value((name, payload, "application/zip"))
    at.run(timeout=240)
    assert not at.exception and not at.error, [e.value for e in at.error]
    summary = next(t.value for t in at.text if "sha256 " in t.value and "verdict" in t.value)
    lines = summary.split("\n")  # real line breaks, not one line with visible escapes
    assert len(lines) >= 5 and lines[0].startswith("case VER-"), summary
    assert lines[1].startswith("sha256 ") and lines[2].startswith("verdict "), summary
    assert "\\n" not in summary and "␊" not in summary
    assert "keyframe" in lines[2] and "(es)" not in summary and "(s)" not in summary
