"""The workbench's wiring, in-process with Streamlit's AppTest: real files, real library, real decoding.

Each test gets its own data folder (``VERIFY_DATA``) holding a copy of the sample library, which is
built once per session from ``samples/`` exactly as on a first run. Background work (keyframes,
matching) is waited for through ``ui.jobs``, then the page is re-run, as the polling fragment would.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest

from tests import media

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
SAMPLES = ROOT / "samples"
PLUME = SAMPLES / "viral" / "smoke-plume-claim.mp4"
PHONE = SAMPLES / "phone" / "iphone-train.mov"
STREAM = SAMPLES / "known" / "stream-of-water.mp4"
AIRLINER = SAMPLES / "known" / "airliner-over-airfield.mp4"

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("workbench")]


@pytest.fixture(scope="session")
def sample_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder whose sample library was built by the first-run code path."""
    from ui import samples
    from ui.config import DataPaths

    root = tmp_path_factory.mktemp("verify-data")
    samples.build(DataPaths(root))
    return root


@pytest.fixture
def data(sample_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "data"
    root.mkdir()
    for name in ("sample-library.db", "sample-library.stamp"):
        shutil.copy2(sample_data / name, root / name)
    monkeypatch.setenv("VERIFY_DATA", str(root))
    monkeypatch.setenv("VERIFY_OCR", "0")  # text on screen is tested on its own (tests/test_app_text.py)
    from ui import analysis, jobs

    jobs.runner().wait_idle(300)
    jobs.runner().clear()  # a fresh data folder: nothing analysed yet, in this process either
    analysis.CACHE.clear()
    return root


def idle() -> None:
    from ui import jobs

    assert jobs.runner().wait_idle(240), "background analysis did not finish"


def start() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown(markdown: str) -> str:
    """What a reader sees of Markdown that ``ui.safe`` escaped (backslash escapes and word joiners removed)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace("\u2060", "")


def text_of(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [h.value for h in at.header]
    parts += [x.value for x in at.info] + [x.value for x in at.success] + [x.value for x in at.warning]
    parts += [x.value for x in at.error] + [x.value for x in at.subheader] + [t.value for t in at.text]
    parts += [h.proto.body for h in at.get("html")] + [df.value.to_string() for df in at.dataframe]
    return shown("\n".join(str(p) for p in parts))


def open_path(at: AppTest, path: Path) -> AppTest:
    at.text_input(key="loader.path").input(str(path))
    next(b for b in at.button if b.label == "Open file").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def page(at: AppTest, name: str) -> AppTest:
    at.switch_page(f"ui/pages/{name}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_first_run_opens_the_sample_clip_on_the_sample_library(data: Path) -> None:
    at = start()
    loaded = at.session_state["loader.current"]
    assert loaded.path == PLUME.resolve() and loaded.origin == "sample"
    assert at.radio(key="library.radio").value.startswith("Sample library")
    text = text_of(at)
    assert "Provenance signals" in text and "No metadata at all" in text and "Processed with FFmpeg" in text
    # the user's own library is never created by a first run
    assert not (data / "library.db").exists()
    assert (data / "cases" / f"{loaded.sha256}.json").exists()


def test_simulated_upload_is_saved_by_sha256_and_analysed(data: Path, tmp_path: Path) -> None:
    clip = media.make_video(
        tmp_path / "upload me.mp4",
        seconds=1.0,
        metadata={"title": "<b>not markup</b>", "creation_time": "2024-05-01T10:00:00Z"},
    )
    at = start()
    at.file_uploader[0].set_value(("upload me.mp4", clip.read_bytes(), "video/mp4"))
    at.run()
    assert not at.exception
    loaded = at.session_state["loader.current"]
    assert loaded.origin == "upload" and loaded.name == "upload me.mp4"
    import hashlib

    assert loaded.sha256 == hashlib.sha256(clip.read_bytes()).hexdigest()
    assert loaded.path.parent == data / "uploads" and loaded.path.read_bytes() == clip.read_bytes()
    assert at.session_state["loader.gen"] == 1  # a fresh uploader: the bytes left Streamlit's memory
    text = text_of(at)
    assert "upload me.mp4" in text and "2024-05-01" in text
    case = json.loads((data / "cases" / f"{loaded.sha256}.json").read_text())
    assert case["custody"][0]["step"] == "received" and "uploaded" in case["custody"][0]["detail"]


def test_overview_shows_device_times_and_gps_of_a_phone_clip(data: Path) -> None:
    at = open_path(start(), PHONE)
    text = text_of(at)
    assert "iPhone 6s" in text
    assert "52.209700, -0.895500" in text
    assert "com.apple.quicktime.location.ISO6709" in text
    osm = [b for b in at.get("link_button") if "openstreetmap" in b.proto.url]
    assert osm and "mlat=52.209700" in osm[0].proto.url and "mlon=-0.895500" in osm[0].proto.url
    times = [df for df in at.dataframe if "source" in df.value.columns]
    sources = set(times[0].value["source"])
    assert "format:com.apple.quicktime.creationdate" in sources
    assert any(z == "+01:00" for z in times[0].value["zone"])


def test_matches_from_the_sample_library(data: Path) -> None:
    at = open_path(start(), AIRLINER)
    idle()
    at = page(at.run(), "matches")
    text = text_of(at)
    assert "Seen before" in text, text
    assert "Airliner climbing out over a regional airfield (DEMO DATA)" in text
    assert "2019-06-15" in text  # first-seen date of the reference
    assert "example.org/demo/airfield-open-day-2019" in text
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")  # the timelines


def test_viral_compilation_matches_both_known_clips(data: Path) -> None:
    at = start()
    idle()
    at = page(at.run(), "matches")
    text = text_of(at)
    assert "Seen before" in text, text
    assert "Drone flight over coastal cliffs" in text, text
    assert "mirrored" in text
    idle()  # the frame pairs are cut after the answer is shown
    at.run()
    assert "Frame pairs at aligned times" in text_of(at)
    assert len(at.get("image")) >= 2


def test_no_match_state_says_how_big_the_library_is(data: Path) -> None:
    at = open_path(start(), PHONE)
    idle()
    at = page(at.run(), "matches")
    text = text_of(at)
    assert "No match in the library" in text and "6 references" in text, text


def test_notes_persist_across_sessions(data: Path) -> None:
    at = open_path(start(), STREAM)
    sha = at.session_state["loader.current"].sha256
    at = page(at, "notes")
    k = f"notes.{sha[:16]}"
    at.selectbox(key=f"{k}.verdict").set_value("false")
    at.text_input(key=f"{k}.analyst").input("A. Analyst")
    at.selectbox(key=f"{k}.provenance.status").set_value("false")
    at.select_slider(key=f"{k}.provenance.confidence").set_value("high")
    at.text_area(key=f"{k}.provenance.text").input("Matches the 2018 stock clip.")
    next(b for b in at.button if b.label == "Save notes").click()
    at.run()
    assert not at.exception and any("Notes saved" in s.value for s in at.success)

    again = page(open_path(start(), STREAM), "notes")  # a new session: a reload
    assert again.selectbox(key=f"{k}.verdict").value == "false"
    assert again.selectbox(key=f"{k}.provenance.status").value == "false"
    assert again.select_slider(key=f"{k}.provenance.confidence").value == "high"
    assert again.text_area(key=f"{k}.provenance.text").value == "Matches the 2018 stock clip."
    steps = next(r for r in again.dataframe if "step" in r.value.columns).value["step"].tolist()
    assert steps[0] == "received" and "notes edited" in steps


def test_library_add_and_remove(data: Path) -> None:
    at = open_path(start(), STREAM)
    at.radio(key="library.radio").set_value("My library")
    at = page(at.run(), "library")
    assert any("empty" in i.value for i in at.info)
    at.text_input(key="library.add.title").input("Stream, agency archive")
    at.text_input(key="library.add.source").input("https://example.org/stream")
    next(b for b in at.button if b.label == "Add to library").click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("Added as reference #1" in s.value for s in at.success)
    assert (data / "library.db").exists()
    at.run()
    table = next(df for df in at.dataframe if "title" in df.value.columns).value
    assert table["title"].tolist() == ["Stream, agency archive"]

    at.checkbox(key="library.browse.confirm.1").check()
    at.run()
    next(b for b in at.button if b.label == "Remove from library").click()
    at.run()
    assert any("Removed reference #1" in s.value for s in at.success)
    assert not [df for df in at.dataframe if "title" in df.value.columns]

    # adding the same clip twice says so and changes nothing
    from verify.library import Library

    with Library(data / "library.db") as lib:
        assert len(lib) == 0 and lib.integrity_check() == "ok"


def test_a_bad_file_is_a_readable_error_and_the_session_stays_usable(data: Path, tmp_path: Path) -> None:
    at = start()
    at.file_uploader[0].set_value(("clip.mp4", b"this is a text file, not a video\n" * 20, "video/mp4"))
    at.run()
    assert not at.exception
    errors = [shown(e.value) for e in at.error]
    assert errors and "clip.mp4" in errors[0] and "Traceback" not in errors[0]
    for name in ("metadata", "keyframes", "matches", "notes"):
        assert not page(at, name).exception
    missing = open_path(at, tmp_path / "nowhere.mp4")
    assert any("no such file" in shown(e.value) for e in missing.error)
    good = open_path(page(missing, "overview"), STREAM)
    assert not good.error and "Provenance signals" in text_of(good)


def test_keyframes_grid_and_zip(data: Path) -> None:
    at = open_path(start(), STREAM)
    idle()
    at = page(at.run(), "keyframes")
    assert len(at.get("image")) >= 1
    zips = [b for b in at.get("download_button") if "ZIP" in b.proto.label]
    assert zips
    enlarge = [b for b in at.button if b.label == "Enlarge"]
    assert enlarge
    enlarge[0].click()
    at.run()
    assert not at.exception and any(s.label == "Zoom" for s in at.slider)


def test_export_a_json_report_with_the_case_custody(data: Path) -> None:
    at = open_path(start(), AIRLINER)
    idle()
    at = page(at.run(), "export")
    at.radio(key="export.report.format").set_value("JSON")
    next(b for b in at.button if b.label == "Build the report").click()
    at.run(timeout=240)
    assert not at.exception and not at.error, [e.value for e in at.error]
    sha, name, payload, fmt, case_id = at.session_state["export.report.ready"]
    report = json.loads(payload)
    assert fmt == "json" and name == f"{case_id}.json" and report["file"]["sha256"] == sha
    steps = [e["step"] for e in report["custody"]]
    assert steps[0] == "received" and "matched" in steps  # the workbench's log comes first
    assert (
        report["matches"] and "Airliner" in report["matches"][0]["match"]["reference"]["provenance"]["title"]
    )
    assert any(b.proto.label.startswith("Download") for b in at.get("download_button"))


def test_upload_to_export_reads_and_decodes_the_clip_once_and_the_report_shows_the_page(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """upload -> overview -> keyframes -> matches -> PDF + HTML + case: one decode, no second read;
    and the report's frame pairs, spans and numbers are the ones the Matches page shows."""
    from tests.counting import Reads
    from ui import analysis, jobs

    # earlier tests of this process analysed the same clip (by path): start from nothing
    sha = hashlib.sha256(AIRLINER.read_bytes()).hexdigest()
    analysis.CACHE.clear()
    for task_key in (analysis.keyframes_key(sha), analysis.match_key(sha, data / "sample-library.db")):
        jobs.runner().forget(task_key)
    uploads = data / "uploads"
    counts = Reads(monkeypatch, lambda p: p.parent == uploads.resolve())
    at = start()
    idle()  # the first-run sample clip is analysed first; then the upload
    at.file_uploader[0].set_value(("airliner copy.mp4", AIRLINER.read_bytes(), "video/mp4"))
    at.run()
    loaded = at.session_state["loader.current"]
    key = str(loaded.path.resolve())
    idle()
    for name in ("overview", "keyframes", "matches"):
        at = page(at.run(), name)
    assert not at.error, [e.value for e in at.error]
    shown = text_of(at)
    at = page(at, "export")
    for label in ("PDF", "HTML (self-contained)"):
        at.radio(key="export.report.format").set_value(label)
        next(b for b in at.button if b.label == "Build the report").click()
        at.run(timeout=240)
        assert not at.error, [e.value for e in at.error]
    next(b for b in at.button if b.label == "Save the case file").click()
    at.run(timeout=240)
    assert not at.error and at.session_state["export.case.ready"][1].endswith(".verify.zip")
    assert counts.bytes[key] <= 64 * 1024  # hashed while uploaded: never read again in full
    # (the browser's player is handed the file itself: Streamlit reads it to serve it, not to analyse)
    assert counts.playback[key] > 0
    frames = sum(1 for _ in __import__("verify.frames", fromlist=["iter_frames"]).iter_frames(AIRLINER))
    assert counts.frames[key] == frames  # decoded exactly once for everything above
    # the report is the page: same pairs at the same times, same spans, same numbers
    from verify.report import build_report

    task = jobs.runner().get(analysis.match_key(loaded.sha256, data / "sample-library.db"))
    view = analysis.match_view(task)
    assert view is not None and view.result.matches
    report = json.loads(build_report(view.analysis).to_json())
    for rec, m, pairs in zip(report["matches"], view.result.matches, analysis.pair_views(view)):
        assert [p["query_time"] for p in rec["evidence"]] == [p.query_time for p in pairs]
        assert [p["reference_time"] for p in rec["evidence"]] == [p.reference_time for p in pairs]
        assert (rec["match"]["query_start"], rec["match"]["query_end"]) == (m.query_start, m.query_end)
        assert rec["match"]["score"] == m.score
        from ui.fmt import span, timecode

        assert shown.count(span(m.query_start, m.query_end)) >= 2  # the summary and the card
        for p in pairs:
            assert f"this clip at {timecode(p.query_time, millis=True)}" in shown


def test_the_listen_post_and_its_sound_alone_are_found_by_their_sound(data: Path, tmp_path: Path) -> None:
    """The sound sample (the drone clip's sound under a caption card) and the same sound as an
    audio file: the Matches page finds the drone clip by its sound, says which channel, and the
    Keyframes page of the audio file says there is no picture instead of an error."""
    from tests import audio_media as am

    at = open_path(start(), SAMPLES / "viral" / "audio-over-still.mp4")
    idle()
    at = page(at.run(), "matches")
    text = text_of(at)
    assert "Seen before" in text and "Drone flight over coastal cliffs" in text, text
    assert "Sound only: the picture was replaced" in text, text

    sound = am.sound_alone(SAMPLES / "viral" / "audio-over-still.mp4", tmp_path / "voice message.m4a")
    at = open_path(at, sound)
    idle()
    at = page(at.run(), "matches")
    text = text_of(at)
    assert "Drone flight over coastal cliffs" in text and "this file has no picture" in text, text
    assert (
        "Sound: this file has no picture · sound: this clip" in text
    )  # the card, not "the picture was replaced"
    assert "the picture was replaced" not in text
    assert not at.error, [e.value for e in at.error]
    at = page(at, "keyframes")
    assert not at.exception


def test_a_same_scene_result_is_shown_apart_from_matches_with_what_it_means(
    data: Path, tmp_path: Path
) -> None:
    """Issue 12: a fixed view filmed at another moment is no match; the Matches page says "same
    scene, time undetermined" in its own section, explains the difference, and shows the library's
    hostile title as text."""
    from tests.test_matching_lowmotion import H, W, _talking
    from verify.library import Library, Provenance

    hostile = "<b>Desk cam</b> [x](javascript:alert(1))"
    ref, query = tmp_path / "desk.mp4", tmp_path / "desk-later.mp4"
    media.make_video(ref, seconds=16.0, painter=_talking(1), width=W, height=H)
    later = _talking(1)
    media.make_video(query, seconds=6.0, painter=lambda i, t: later(i, t + 30.0), width=W, height=H)
    with Library(data / "library.db") as lib:
        lib.add(ref, Provenance(title=hostile))
    at = open_path(start(), query)
    at.radio(key="library.radio").set_value("My library")
    at.run()
    idle()
    at = page(at.run(), "matches")
    text = text_of(at)
    assert "No time-aligned match" in text and "Same scene, time undetermined: 1 known clip" in text, text
    assert "could be any of" in text and "It may be a copy or the same camera at another time" in text
    assert "Treat it as a lead, not as proof" in text and "Seen before" not in text
    assert hostile in text  # verbatim, as text (escaped for Markdown: ``shown`` removes the escapes)
    raw = "\n".join(m.value for m in at.markdown)
    assert "<b>Desk cam</b>" not in raw and "](javascript" not in raw
