"""verify.analysis: one Analysis per file from one read and one decode, reused by every export."""

from __future__ import annotations

import json
import threading
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests import media
from tests.counting import Reads
from verify.analysis import Analysis, AnalysisSettings, analyse, begin, cut_pairs, decode, match
from verify.errors import AnalysisCancelled, NotMediaError
from verify.library import Library, Provenance
from verify.pictures import decode as decode_jpeg


@pytest.fixture(scope="module")
def library_and_query(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("analysis")
    base = media.textured(320, 240, seed=7)
    ref = media.make_video(d / "reference.mp4", seconds=8.0, width=320, height=240, painter=base)

    def paint(i: int, t: float) -> np.ndarray:
        return np.ascontiguousarray(np.fliplr(base(i, 1.0 + t))[24:216, 32:288])

    query = media.make_video(d / "query.mp4", seconds=5.0, width=256, height=192, painter=paint)
    with Library(d / "lib.db") as lib:
        lib.add(ref, Provenance(title="Agency clip"))
    return d / "lib.db", query


def test_keyframes_one_per_shot_show_their_shot(shot_clip: Path) -> None:
    a = analyse(shot_clip)
    assert [k.shot for k in a.keyframes] == [1, 2, 3]
    for k, (lo, hi), seed in zip(a.keyframes, [(0.0, 1.0), (1.0, 2.0), (2.0, 3.0)], (1, 2, 3)):
        assert lo <= k.time < hi and (k.shot_start, k.shot_end) == pytest.approx((lo, hi), abs=0.13)
        assert k.image is not None and (k.image.width, k.image.height) == (160, 120)
        assert k.index == round(k.time * 25)
        picture = decode_jpeg(a.images[k.image.name]).astype(int)
        error = {s: np.abs(media.textured(160, 120, s)(k.index, k.time) - picture).mean() for s in (1, 2, 3)}
        assert error[seed] < 16 and error[seed] < 0.5 * min(e for s, e in error.items() if s != seed)


def test_long_shots_get_evenly_spaced_extras(tmp_path: Path) -> None:
    scene = media.textured(160, 120, 7)
    path = media.make_video(
        tmp_path / "long.mp4", seconds=6.0, fps=10, painter=lambda i, t: scene(i, t * 0.15)
    )
    a = analyse(path, settings=AnalysisSettings(long_shot_every=2.0, keyframes_per_shot=5))
    assert len(a.keyframes) == 3 and {k.shot for k in a.keyframes} == {1}
    assert [int(k.time // 2) for k in a.keyframes] == [0, 1, 2]
    assert (
        len(analyse(path, settings=AnalysisSettings(long_shot_every=2.0, keyframes_per_shot=2)).keyframes)
        == 2
    )


def test_times_are_what_a_player_shows_on_a_late_start(tmp_path: Path) -> None:
    path = media.make_video(tmp_path / "late.ts", seconds=3.0, start=10.0, painter=media.shots(cut_every=1.0))
    a = analyse(path)
    assert [k.shot for k in a.keyframes] == [1, 2, 3]
    assert [k.shot_start for k in a.keyframes] == pytest.approx([0.0, 1.0, 2.0], abs=0.13)
    assert a.fingerprint is not None and a.fingerprint.start_time == pytest.approx(10.0, abs=0.05)


def test_matches_and_pairs_come_from_the_one_decode(library_and_query: tuple[Path, Path]) -> None:
    lib_path, query = library_and_query
    with Library(lib_path, create=False) as lib:
        a = analyse(query, library=lib)
    assert a.matches is not None and len(a.matches.matches) == 1 and len(a.pairs) == 1
    m, pairs = a.matches.matches[0], a.pairs[0]
    assert m.mirrored and a.library is not None and a.library.references == 1
    assert 2 <= len(pairs) <= a.settings.pairs_per_match
    for p in pairs:
        assert p.query_image is not None and p.reference_image is not None
        assert p.query_time in set(np.round(a.fingerprint.times, 6).tolist()) or any(
            abs(p.query_time - t) < 1e-6 for t in a.fingerprint.times
        )
        q, r = decode_jpeg(a.images[p.query_image.name]), decode_jpeg(a.images[p.reference_image.name])
        # the query frame, un-mirrored, shows the reference's centre: the pair really is a pair
        centre = cv2.resize(r[24:216, 32:288] if r.shape[0] >= 216 else r, (q.shape[1], q.shape[0]))
        assert np.abs(q[:, ::-1].astype(int) - centre).mean() < 40
    assert [s.step for s in a.steps][-2:] == ["matched", "frames extracted"]


def test_match_again_reuses_the_decode(library_and_query: tuple[Path, Path], monkeypatch) -> None:
    lib_path, query = library_and_query
    a = decode(begin(query))
    calls = Counter()
    import verify.fingerprint as fpmod

    real = fpmod.fingerprint
    monkeypatch.setattr(fpmod, "fingerprint", lambda *a, **k: calls.update(["fp"]) or real(*a, **k))
    with Library(lib_path, create=False) as lib:
        once, twice = match(a, lib), match(a, lib)
    assert calls["fp"] == 0
    assert once.matches is not None and twice.matches is not None
    assert [p.query_time for p in once.pairs[0]] == [p.query_time for p in twice.pairs[0]]


def test_matches_first_then_the_pairs_cut_after_are_the_same(library_and_query: tuple[Path, Path]) -> None:
    """The workbench shows the matches before the pairs are cut: the two steps give what one does."""
    lib_path, query = library_and_query
    a = decode(begin(query))
    with Library(lib_path, create=False) as lib:
        first = match(a, lib, pairs=False)
        whole = match(a, lib)
    assert first.matches is not None and len(first.matches.matches) == 1
    assert first.pairs_pending and first.pairs == () and not whole.pairs_pending
    assert not any(k.startswith("images/match") for k in first.images)
    after = cut_pairs(first)
    assert not after.pairs_pending and cut_pairs(after) is after  # cut once
    assert [(p.query_time, p.reference_time, p.distance) for p in after.pairs[0]] == [
        (p.query_time, p.reference_time, p.distance) for p in whole.pairs[0]
    ]
    assert [p.query_image.name for p in after.pairs[0] if p.query_image] == [
        p.query_image.name for p in whole.pairs[0] if p.query_image
    ]
    assert [s.step for s in after.steps][-2:] == ["matched", "frames extracted"]
    assert cut_pairs(a) is a  # not matched: nothing to cut


def test_json_round_trip(library_and_query: tuple[Path, Path]) -> None:
    lib_path, query = library_and_query
    with Library(lib_path, create=False) as lib:
        a = analyse(query, library=lib)
    back = Analysis.from_dict(json.loads(json.dumps(a.to_dict())))
    assert back.sha256 == a.sha256 and back.keyframes == a.keyframes and back.pairs == a.pairs
    assert back.images == a.images and back.steps == a.steps and back.settings == a.settings
    assert back.matches is not None and back.matches.matches[0].score == a.matches.matches[0].score
    assert back.matches.matches[0].reference == a.matches.matches[0].reference
    assert np.array_equal(back.fingerprint.hashes, a.fingerprint.hashes)
    assert back.samples is None  # the sample pictures stay in memory only
    too_new = {**a.to_dict(images=False), "schema_version": 99}
    with pytest.raises(ValueError, match="newer"):
        Analysis.from_dict(too_new)


def test_a_file_without_picture_is_analysed_and_says_why(tmp_path: Path) -> None:
    a = analyse(media.make_audio_only(tmp_path / "a.m4a"), library=None)
    assert a.fingerprint is None and a.keyframes == () and "audio only" in a.problems[0]
    assert a.audio is not None and a.steps[-1].step == "sound fingerprinted"  # its sound is matched alone
    with Library(":memory:") as lib:
        m = match(a, lib)
    assert m.matches is not None and m.matches.query.kind == "audio" and m.matches.query.samples == 0
    assert not m.matches.matches and m.pairs == () and m.steps[-1].step == "matched"
    quiet = analyse(media.make_audio_only(tmp_path / "b.m4a"), library=None,
                    settings=AnalysisSettings(sound=False))  # fmt: skip
    with Library(":memory:") as lib:
        assert match(quiet, lib).steps[-1].step == "not matched"  # sound off: nothing to match
    with pytest.raises(NotMediaError):
        begin(tmp_path / "nothing.mp4") if (tmp_path / "nothing.mp4").write_text("no") else None


def test_cancel_stops_the_decode(tmp_path: Path) -> None:
    path = media.make_video(tmp_path / "c.mp4", seconds=4.0)
    stop = threading.Event()
    stop.set()
    with pytest.raises(AnalysisCancelled):
        analyse(path, cancel=stop)


def test_pictures_stay_within_their_budget(tmp_path: Path) -> None:
    path = media.make_video(tmp_path / "b.mp4", seconds=6.0, width=320, height=240)
    a = analyse(path, settings=AnalysisSettings(picture_budget=60_000))
    assert a.samples is not None and a.samples.bytes <= 60_000 + 30_000
    assert len(a.samples) < len(a.fingerprint)  # some were dropped, evenly
    gaps = np.diff([p.time for p in a.samples.items])
    assert gaps.max() <= 2.5 * np.median(gaps)


# -- one read, one decode ------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("command", ["report", "case"])
def test_cli_reads_and_decodes_the_clip_once(
    command: str, library_and_query: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from verify.cli import main

    lib_path, query = library_and_query
    size = query.stat().st_size
    counts = Reads(monkeypatch, lambda p: p == query.resolve())
    out = tmp_path / ("r.html" if command == "report" else "c.verify.zip")
    args = ["report", str(query), "--library", str(lib_path), "-o", str(out)]
    if command == "case":
        args = ["case", "save", str(query), "--library", str(lib_path), "-o", str(out)]
    assert main(args) == 0
    read = counts.bytes[str(query.resolve())]
    assert size <= read <= size + 64 * 1024, (read, size)  # one full read (+ headers)
    assert counts.frames[str(query.resolve())] == 125  # 5 s at 25 fps: every frame decoded exactly once
