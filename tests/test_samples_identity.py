"""Every clip of the sample library, matched against that library, finds itself: whole span, score 1.

The library is built from ``samples/library.json`` the way the workbench builds its sample library
(``verify.library`` with the catalogue's provenance), in a temporary folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from verify.library import Library, Provenance
from verify.matching import match_file

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


@pytest.fixture(scope="module")
def sample_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("samples") / "sample-library.db"
    catalogue = json.loads((SAMPLES / "library.json").read_text(encoding="utf-8"))
    with Library(db) as lib:
        for e in catalogue["references"]:
            prov = Provenance(e["title"], e.get("source_url", ""), e.get("first_seen", ""), e.get("found_at", ""),
                              e.get("description", ""), tuple(e.get("tags", ())))  # fmt: skip
            assert lib.add(SAMPLES / e["file"], prov).status == "added"
    return db


@pytest.mark.slow
def test_every_known_sample_finds_itself(sample_library: Path) -> None:
    known = sorted((SAMPLES / "known").iterdir())
    assert len(known) >= 6
    with Library(sample_library) as lib:
        for clip in known:
            result = match_file(clip, lib)
            top = result.matches[0]
            assert Path(top.reference.path).name == clip.name, clip.name
            assert top.method == "identical" and top.score == 1.0 and top.speed == 1.0
            assert top.query_start == 0.0 and top.query_end == pytest.approx(result.query.duration)
            assert top.reference_start == 0.0 and top.reference_end == pytest.approx(top.reference.duration)
            assert not [x for x in result.scenes if x.reference.id == top.reference.id]


@pytest.mark.slow
def test_cli_says_the_stream_of_water_is_known(sample_library: Path) -> None:
    from verify.cli import cli

    clip = SAMPLES / "known" / "stream-of-water.mp4"
    out = CliRunner().invoke(cli, ["match", str(clip), "--library", str(sample_library)])
    assert out.exit_code == 0, out.output
    assert "identical copy (same bytes)" in out.output and "Stream running over rocks" in out.output
    assert "no known footage" not in out.output


@pytest.mark.slow
def test_the_listen_post_is_found_by_its_sound_alone(sample_library: Path, tmp_path: Path) -> None:
    """``viral/audio-over-still.mp4``: the drone clip's sound 0:01-0:11 under a new caption card.
    The picture matches nothing; the sound finds the drone clip, placed at its offset. Its sound
    alone, as an audio file (a voice message), is found the same way."""
    from tests import audio_media as am
    from verify.analysis import analyse
    from verify.report import build_report

    clip = SAMPLES / "viral" / "audio-over-still.mp4"
    with Library(sample_library) as lib:
        result = match_file(clip, lib)
        assert len(result.matches) == 1, [m.summary() for m in result.matches]
        m = result.matches[0]
        assert Path(m.reference.path).name == "drone-coastal-cliffs.mp4"
        assert m.channel == "sound" and m.audio is not None
        assert m.query_start < 0.5 and m.query_end > 9.5
        assert m.reference_start == pytest.approx(1.0, abs=0.15) and m.speed == pytest.approx(1.0, abs=0.02)

        sound = am.sound_alone(clip, tmp_path / "voice message.m4a")  # the sound alone: no picture at all
        heard = match_file(sound, lib)
        assert heard.query.kind == "audio" and heard.query.samples == 0
        assert [Path(x.reference.path).name for x in heard.matches] == ["drone-coastal-cliffs.mp4"]
        assert heard.matches[0].reference_start == pytest.approx(1.0, abs=0.15)

        a = analyse(sound, library=lib)  # the workbench's and reports' path
        assert a.matches is not None and [x.channel for x in a.matches.matches] == ["sound"]
        assert "Sound: this file has no picture" in a.matches.summary_lines()[0]
        report = build_report(a)
        assert len(report.matches) == 1 and not report.matches[0].evidence

    from verify.cli import cli

    out = CliRunner().invoke(cli, ["match", str(sound), "--library", str(sample_library)])
    assert out.exit_code == 0, out.output
    assert "audio only, no picture" in out.output and "sound (this file has no picture)" in out.output
    assert "drone" in out.output.lower()
