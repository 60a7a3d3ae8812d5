"""Sound integrated into the product: stored in the library (migration 4, SQLite and PostgreSQL),
fingerprinted in the one decode of ``Library.add``/``ingest``/``verify.analysis``, matched and fused
by ``match_file``/``analysis.match``, and shown by ``verify hash``/``verify match``.

Media are generated: a moving picture with speech-like sound (``tests/audio_media.py``), its sound
under a still picture (the picture was replaced), a steady tone (nothing distinct to match).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from tests import audio_media as am
from tests import media
from tests.counting import Reads
from verify.analysis import Analysis, analyse
from verify.audio import ALGORITHM
from verify.library import CACHE, Library, Provenance, ingest, schema
from verify.matching import MatchResult, match_file

RATE = am.RATE
W, H = 160, 120


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("sound")
    speech = am.speechlike(24, seed=3)
    still = media.textured(W, H, 9)(0, 0.0)
    t = np.arange(14 * RATE) / RATE
    tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    return {
        "ref": am.write_clip(d / "ref.mp4", speech[: 20 * RATE], media.textured(W, H, 1), seconds=20.0),
        # the reference's sound of 4-16 s under a still picture of something else
        "still": am.write_clip(d / "still.mp4", speech[4 * RATE : 16 * RATE], lambda i, t: still, seconds=12.0),
        # other speech under other pictures
        "other": am.write_clip(d / "other.mp4", am.speechlike(12, seed=7), media.textured(W, H, 5), seconds=12.0),
        # a steady tone under a moving picture, and the same tone under a still
        "tone_ref": am.write_clip(d / "tone_ref.mp4", tone, media.textured(W, H, 2), seconds=14.0),
        "tone_still": am.write_clip(d / "tone_still.mp4", tone[: 10 * RATE], lambda i, t: still, seconds=10.0),
        "mute": media.make_video(d / "mute.mp4", seconds=3.0),
    }  # fmt: skip


@pytest.fixture(params=["sqlite", "postgresql"])
def lib(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Library:
    if request.param == "sqlite":
        with Library(tmp_path / "lib.db") as library:
            yield library  # type: ignore[misc]
        return
    from tests.pg import schema_url

    monkeypatch.setenv("HOME", str(tmp_path))
    with schema_url() as url, Library(url) as library:
        yield library  # type: ignore[misc]
    CACHE.clear()


# -- storage ---------------------------------------------------------------------------------------


def test_add_stores_the_sound_of_the_same_decode(lib: Library, clips: dict[str, Path]) -> None:
    added = lib.add(clips["ref"], Provenance(title="Press conference"))
    assert added.reference is not None
    found = lib.audio_of(added.reference.id)
    assert found is not None
    sound, lead = found
    assert sound.algorithm == ALGORITHM and sound.status == "ok" and len(sound) > 100
    assert abs(sound.duration - 20.0) < 0.5 and abs(lead) < 0.1
    mute = lib.add(clips["mute"]).reference
    assert mute is not None
    stored = lib.audio_of(mute.id)
    assert stored is not None and stored[0].status == "no-audio" and len(stored[0]) == 0
    index = lib.sound_index()
    assert index.with_sound == frozenset({str(added.reference.id)}) and index.looked_at == 2
    # the row's algorithm id is in the table
    rows = lib._query("SELECT algorithm, status FROM audio_fingerprints ORDER BY ref_id")
    assert [tuple(r) for r in rows] == [(ALGORITHM, "ok"), (ALGORITHM, "no-audio")]
    lib.remove(added.reference.id)  # the sound goes with its reference
    assert lib._query("SELECT count(*) FROM audio_fingerprints")[0][0] == 1
    assert lib.sound_index().with_sound == frozenset()


def test_no_audio_then_add_audio_on_request_without_touching_the_picture(
    lib: Library, clips: dict[str, Path]
) -> None:
    results = list(ingest([clips["ref"]], lib, audio=False))
    ref = results[0].reference
    assert ref is not None and lib.audio_of(ref.id) is None
    before = lib._query("SELECT id, hashes, times FROM fingerprints WHERE ref_id = ?", (ref.id,))
    done = lib.add_audio()
    assert [(d.ref_id, d.status) for d in done] == [(ref.id, "ok")] and done[0].peaks > 100
    assert lib._query("SELECT id, hashes, times FROM fingerprints WHERE ref_id = ?", (ref.id,)) == before
    assert lib.add_audio()[0].status == "skipped"  # done before: not decoded again
    sound = lib.audio_of(ref.id)
    assert sound is not None and sound[0].status == "ok"
    # the sound decoded alone is the sound of the one decode
    with Library(":memory:") as other:
        r = other.add(clips["ref"]).reference
        assert r is not None
        one = other.audio_of(r.id)
        assert one is not None and abs(len(one[0]) - len(sound[0])) <= 0.02 * len(sound[0])


def test_add_audio_refuses_a_changed_file(tmp_path: Path, clips: dict[str, Path]) -> None:
    copy = tmp_path / "copy.mp4"
    copy.write_bytes(clips["ref"].read_bytes())
    with Library(tmp_path / "lib.db") as lib:
        ref = lib.add(copy, audio=False).reference
        assert ref is not None
        copy.write_bytes(clips["other"].read_bytes())
        done = lib.add_audio([ref.id])
        assert done[0].status == "failed" and "changed" in done[0].message
        assert lib.audio_of(ref.id) is None


def test_storage_per_hour_of_sound(clips: dict[str, Path]) -> None:
    from verify.library.audio_store import audio_stats

    with Library(":memory:") as lib:
        lib.add(clips["ref"])
        stats = audio_stats(lib)
    assert stats["by_status"] == {"ok": 1} and stats["missing"] == 0
    # 10 bytes a peak, at most 30 peaks a second: at most 1.08 MB an hour
    assert 0 < stats["bytes_per_hour"] <= 1.08e6 * 1.01


# -- migration -------------------------------------------------------------------------------------


def _old_library(path: Path, clip: Path) -> int:
    """A library as verify made it before sound (schema 2, no audio table), with one reference."""
    with Library(path) as lib:
        ref = lib.add(clip, audio=False).reference
        assert ref is not None
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE audio_fingerprints")
    conn.execute("DELETE FROM migrations WHERE version = 4")
    conn.commit()
    conn.close()
    return ref.id


def test_an_old_library_upgrades_and_keeps_working(tmp_path: Path, clips: dict[str, Path]) -> None:
    path = tmp_path / "old.db"
    ref_id = _old_library(path, clips["ref"])
    with Library(path) as lib:
        assert lib.stats().schema == schema.LATEST
        assert "audio_fingerprints" in lib.dialect.tables(lib._conn)
        assert lib.audio_of(ref_id) is None
        picture = match_file(clips["ref"], lib)  # picture matching as before, the sound not yet stored
        assert [m.channel for m in picture.matches] == ["picture"]
        assert "not fingerprinted" in "\n".join(picture.summary_lines())
        assert lib.add_audio()[0].status == "ok"
        both = match_file(clips["ref"], lib)
        assert [m.channel for m in both.matches] == ["both"]


def test_a_migration_numbered_below_the_highest_is_still_applied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A library made by code that knew migrations 1, 2 and 4 but not 3 (the branches that added 3
    and 4 landed in either order) gets 3 when it is opened by code that knows it."""
    path = tmp_path / "gap.db"
    known = list(schema.MIGRATIONS)
    assert {m[0] for m in known} >= {1, 2, 3, 4}
    monkeypatch.setattr(schema, "MIGRATIONS", [m for m in known if m[0] != 3])
    with Library(path) as lib:
        assert schema.applied(lib._conn) == {m[0] for m in known} - {3}
    monkeypatch.setattr(schema, "MIGRATIONS", known)
    with Library(path) as lib:
        assert schema.applied(lib._conn) == {m[0] for m in known}
        assert schema.pending(lib._conn) == []
        assert lib.integrity_check() == "ok"


def test_migration_4_on_postgresql(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import psycopg

    from tests.pg import schema_url

    monkeypatch.setenv("HOME", str(tmp_path))
    with schema_url() as url:
        with Library(url) as lib:
            lib._conn.execute("DROP TABLE audio_fingerprints")
            lib._conn.execute("DELETE FROM migrations WHERE version = 4")
        with Library(url) as lib:
            assert "audio_fingerprints" in lib.dialect.tables(lib._conn) and lib.stats().schema == 4
        with psycopg.connect(url, autocommit=True) as conn:
            kinds = dict(
                conn.execute(
                    "SELECT column_name, data_type FROM information_schema.columns"
                    " WHERE table_name = 'audio_fingerprints' AND table_schema = current_schema()"
                ).fetchall()
            )
        assert kinds["times"] == "bytea" and kinds["sound_lead"] == "double precision"


# -- one decode, matching, fusion ---------------------------------------------------------------------


def test_analysis_carries_the_sound_from_the_one_decode(
    clips: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    clip = clips["ref"]
    counts = Reads(monkeypatch, lambda p: p == clip.resolve())
    a = analyse(clip)
    assert counts.frames[str(clip.resolve())] == 200  # 20 s at 10 fps, each decoded once
    size = clip.stat().st_size
    assert counts.bytes[str(clip.resolve())] <= 2 * size + 64 * 1024  # the probe's pass and the decode's
    assert a.audio is not None and a.audio.status == "ok" and len(a.audio) > 100
    again = Analysis.from_dict(json.loads(json.dumps(a.to_dict(images=False))))
    assert again.audio is not None and np.array_equal(again.audio.times, a.audio.times)
    old = a.to_dict(images=False)
    old.pop("audio")
    old["schema_version"] = 1
    assert Analysis.from_dict(old).audio is None  # a record from before the sound still loads
    mute = analyse(clips["mute"])
    assert mute.audio is None and "no audio stream" in " ".join(s.detail for s in mute.steps)


def test_sound_only_match_through_the_analysis(clips: dict[str, Path]) -> None:
    with Library(":memory:") as lib:
        ref = lib.add(clips["ref"], Provenance(title="Press conference")).reference
        assert ref is not None
        a = analyse(clips["still"], library=lib)
        assert a.matches is not None
        [m] = a.matches.matches
        assert m.channel == "sound" and m.audio is not None and m.reference.id == ref.id
        # the query's 0-12 s are the reference's 4-16 s
        assert (
            m.query_start < 1.0 and m.query_end > 11.0 and abs(m.reference_start - m.query_start - 4.0) < 0.3
        )
        assert a.matches.query.sound == "ok" and a.matches.library_sound_references == 1
        back = MatchResult.from_dict(json.loads(json.dumps(a.matches.to_dict())))
        assert back.matches[0].channel == "sound" and back.matches[0].audio == m.audio


def test_silence_tone_and_other_speech_make_no_match(clips: dict[str, Path]) -> None:
    with Library(":memory:") as lib:
        tone = lib.add(clips["tone_ref"]).reference
        assert tone is not None
        stored = lib.audio_of(tone.id)
        assert stored is not None and stored[0].status == "silent"
        assert match_file(clips["tone_still"], lib).matches == ()
        lib.add(clips["ref"])
        for name in ("tone_still", "other"):
            result = match_file(clips[name], lib)
            assert result.matches == (), name
        assert match_file(clips["tone_still"], lib).query.sound == "silent"


def test_cli_hash_and_match_json_find_the_sound_only_copy(
    tmp_path: Path, clips: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    from verify.cli import main

    def run(*args: str) -> str:
        assert main(list(args)) == 0
        return capsys.readouterr().out

    db = str(tmp_path / "lib.db")
    out = run("hash", str(clips["ref"]), "--library", db, "--title", "Press conference")
    assert "sound:" in out and "peaks" in out
    d = json.loads(run("match", str(clips["still"]), "--library", db, "--json"))
    [m] = d["matches"]
    assert m["channel"] == "sound" and m["timing"] == "sound"
    assert m["audio"]["score"] > 0.5 and m["audio"]["query_end"] > 11.0
    assert d["query"]["sound"] == "ok"
    assert "sound only (the picture was replaced)" in run("match", str(clips["still"]), "--library", db)
    assert "sound and picture" in run("match", str(clips["ref"]), "--library", db)
    # --no-audio: the sound is not stored, and the still copy is not found
    db2 = str(tmp_path / "lib2.db")
    run("hash", str(clips["ref"]), "--library", db2, "--no-audio")
    assert json.loads(run("match", str(clips["still"]), "--library", db2, "--json"))["matches"] == []
    assert run("library", "audio", "--library", db2).startswith("ok")
    d3 = json.loads(run("match", str(clips["still"]), "--library", db2, "--json"))
    assert [x["channel"] for x in d3["matches"]] == ["sound"]


# -- report and workbench --------------------------------------------------------------------------


def test_report_and_match_card_say_the_channel_and_the_sound_span(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    from ui.components.match_card import sound_caption
    from verify.export import export
    from verify.export.common import match_rows
    from verify.report import build_report

    with Library(":memory:") as lib:
        lib.add(clips["ref"], Provenance(title="Press <b>conference</b>"))
        report = build_report(analyse(clips["still"], library=lib))
        same = build_report(analyse(clips["ref"], library=lib))
    [rec] = report.matches
    rows = dict(match_rows(rec))
    assert rows["Channel"] == "sound only (the picture was replaced)"
    assert rows["Sound segment of this clip"].startswith("0:00") and "Frames that align" not in rows
    assert "Sound only: the picture was replaced" in rec.summary
    assert dict(match_rows(same.matches[0]))["Channel"] == "sound and picture"
    text = export(report, "md", tmp_path).read_text()
    plain = text.replace("\\", "")  # Markdown escapes punctuation
    assert "Sound segment of the reference" in plain and "sound only (the picture was replaced)" in plain
    caption = sound_caption(rec.match)
    assert caption.startswith("Sound only: the picture was replaced · sound: this clip 0:00")
    assert "conference" not in caption  # constant words and numbers only
    assert sound_caption(same.matches[0].match).startswith("Sound and picture")


def test_the_sound_index_is_stored_beside_the_library(
    tmp_path: Path, clips: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from verify.audio import AudioIndex
    from verify.library import audio_store

    with Library(tmp_path / "lib.db") as lib:
        lib.add(clips["ref"])
        built = lib.sound_index()
        folder = tmp_path / "lib.db.index" / "sound-audio-peaks-v2"
        assert [p.name for p in folder.iterdir()] and len(list(folder.iterdir())) == 1
        audio_store._CACHE.drop(lib)  # as a new process would

        def no_build(*a: object, **k: object) -> AudioIndex:
            raise AssertionError("built again instead of opened")

        monkeypatch.setattr(AudioIndex, "build", no_build)
        opened = lib.sound_index()
        assert opened.with_sound == built.with_sound
        assert np.array_equal(opened.index.hashes, built.index.hashes)
        assert [m.channel for m in match_file(clips["still"], lib).matches] == ["sound"]
        monkeypatch.undo()
        lib.add(clips["other"])  # the rows changed: a new index replaces the old one
        assert len(lib.sound_index().with_sound) == 2
        assert len(list(folder.iterdir())) == 1
