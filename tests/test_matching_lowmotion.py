"""Issue 12: identity, low-motion placement, same-scene results, time edits and layouts.

Generated clips (numpy -> PyAV) with a real in-memory library and the real fingerprinter. The
"talking head" is a fixed view (a static textured background) with a small patch that changes at
random moments (a face's expressions): its 64-bit pHash barely moves, so only the fine block-mean
series can tell the moments apart.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from tests import media
from verify import serial
from verify.fingerprint import QUERY, fingerprint
from verify.library import Library, Provenance
from verify.matching import EXPLANATION, MatchResult, MatchSettings, SceneMatch, match_file, match_fingerprint
from verify.matching.align import Line
from verify.matching.candidates import Candidates
from verify.matching.segments import reference_span, repeats

W, H = 160, 120


def _talking(seed: int) -> media.Painter:
    """A fixed view with a patch (a "face") whose shading changes at random moments, 5 times a second."""
    rng = np.random.default_rng(seed)
    background = media.textured(W, H, seed + 100)(0, 0.0).astype(np.float64)
    levels = rng.normal(0, 1, (4000, 3, 3))  # a 3x3 pattern per 0.2 s step
    yy, xx = np.mgrid[0:H, 0:W]

    def paint(i: int, t: float) -> np.ndarray:
        k = int(t * 5)
        a = t * 5 - k
        pattern = (1 - a) * levels[k] + a * levels[k + 1]
        face = np.kron(pattern, np.ones((12, 12)))  # 36x36 pixels
        img = background.copy()
        img[40:76, 62:98] += 28 * face[..., None]
        cy, cx = 58 + 3 * np.sin(t * 1.3), 80 + 4 * np.sin(t * 0.7)
        img += (np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 400.0) * 10)[..., None]
        return np.clip(img, 0, 255).astype(np.uint8)

    return paint


def _still(seed: int) -> media.Painter:
    frame = media.textured(W, H, seed)(0, 0.0)
    return lambda i, t: frame


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    folder = tmp_path_factory.mktemp("lowmotion")

    def make(name: str, painter: media.Painter, seconds: float, **kw: object) -> Path:
        path = folder / f"{name}.mp4"
        if not path.exists():
            size = {"width": W, "height": H, **kw}
            media.make_video(path, seconds=seconds, painter=painter, **size)  # type: ignore[arg-type]
        return path

    return make


@pytest.fixture(scope="module")
def library(clips: Callable[..., Path]) -> Library:
    lib = Library(":memory:")
    lib.add(clips("speaker", _talking(1), 16.0), Provenance(title="Speaker"))
    lib.add(clips("moving", media.textured(W, H, 3), 10.0), Provenance(title="Moving"))
    lib.add(clips("still", _still(4), 10.0), Provenance(title="Still"))
    yield lib
    lib.close()


def _titles(result: MatchResult) -> list[str]:
    return [m.reference.provenance.title for m in result.matches]


@pytest.mark.slow
def test_identical_file_is_reported_whole_whatever_the_content(
    library: Library, clips: Callable[..., Path]
) -> None:
    result = match_file(clips("still", _still(4), 10.0), library)  # a still: nothing to align
    (m,) = result.matches
    assert m.reference.provenance.title == "Still" and m.method == "identical" and m.score == 1.0
    assert (m.query_start, m.speed, m.offset) == (0.0, 1.0, 0.0)
    assert m.query_end == pytest.approx(10.0, abs=0.1) and m.coverage_reference == 1.0
    assert result.scenes == ()
    assert "identical" in m.summary() and "same bytes" in m.summary()


@pytest.mark.slow
def test_same_pictures_in_other_bytes_are_identical(
    library: Library, clips: Callable[..., Path], tmp_path: Path
) -> None:
    import av

    src = clips("speaker", _talking(1), 16.0)
    remux = tmp_path / "remux.mkv"  # the same stream in another container: other bytes, same pictures
    with av.open(str(src)) as inp, av.open(str(remux), "w") as out:
        stream = inp.streams.video[0]
        ostream = out.add_stream_from_template(stream)
        for packet in inp.demux(stream):
            if packet.dts is not None:
                packet.stream = ostream
                out.mux(packet)
    result = match_file(remux, library)
    assert result.matches[0].method == "identical-pictures" and result.matches[0].score == 1.0
    assert result.matches[0].reference.provenance.title == "Speaker"


@pytest.mark.slow
def test_low_motion_excerpt_is_placed_by_what_moves(library: Library, clips: Callable[..., Path]) -> None:
    query = clips("speaker-excerpt", lambda i, t: _talking(1)(i, t + 5.0), 6.0, fps=30.0)
    fp = fingerprint(query, QUERY)
    coarse = match_fingerprint(fp, library, MatchSettings(fine=False))
    assert "Speaker" not in _titles(coarse)  # the hashes alone cannot place it ...
    assert any(x.reference.provenance.title == "Speaker" for x in coarse.scenes)  # ... only say "same scene"
    result = match_fingerprint(fp, library)
    (m,) = [m for m in result.matches if m.reference.provenance.title == "Speaker"]
    assert m.method == "fine" and m.speed == pytest.approx(1.0, abs=0.03)
    assert m.reference_start == pytest.approx(5.0, abs=0.4) and m.reference_end == pytest.approx(
        11.0, abs=0.6
    )
    assert m.fine_correlation - m.fine_rival >= MatchSettings().fine_min_margin
    assert "placed by what moves" in m.summary()


@pytest.mark.slow
def test_same_camera_other_moment_is_a_scene_never_a_match(
    library: Library, clips: Callable[..., Path]
) -> None:
    later = _talking(1)
    query = clips("speaker-later", lambda i, t: later(i, t + 30.0), 6.0)  # the same view, moments not in it
    result = match_file(query, library)
    assert "Speaker" not in _titles(result)
    (scene,) = [x for x in result.scenes if x.reference.provenance.title == "Speaker"]
    assert scene.kind == "static" and scene.reference_end - scene.reference_start >= 6.0
    text = scene.summary()
    assert "time within it is undetermined" in text and "could be any of" in text
    assert "same camera at another time" in text
    assert result.explanation == EXPLANATION and "not as proof" in EXPLANATION
    d = json.loads(json.dumps(result.to_dict()))
    assert (
        d["scenes"][0]["kind"] == "static" and d["scenes"][0]["reference"]["provenance"]["title"] == "Speaker"
    )
    assert MatchResult.from_dict(d).to_dict() == d
    back = serial.loads(MatchResult, serial.dumps(result))
    assert isinstance(back.scenes[0], SceneMatch) and back.scenes[0].samples == scene.samples


@pytest.mark.slow
def test_excerpt_of_a_still_reference_is_the_same_still(library: Library, clips: Callable[..., Path]) -> None:
    result = match_file(clips("still-part", _still(4), 4.0), library)  # 4 s of the 10 s still: other bytes
    assert "Still" not in _titles(result)
    (scene,) = [x for x in result.scenes if x.reference.provenance.title == "Still"]
    assert scene.kind == "still" and "same still picture" in scene.summary()


@pytest.mark.slow
def test_reversed_playback_is_found_backwards(library: Library, clips: Callable[..., Path]) -> None:
    paint = media.textured(W, H, 3)
    query = clips("moving-reversed", lambda i, t: paint(i, 9.0 - t), 7.0)
    result = match_file(query, library)
    (m,) = [m for m in result.matches if m.reference.provenance.title == "Moving"]
    assert m.speed == pytest.approx(-1.0, abs=0.05) and m.reversed
    assert m.reference_start == pytest.approx(2.0, abs=0.5) and m.reference_end == pytest.approx(9.0, abs=0.5)
    assert "played backwards" in m.summary()


@pytest.mark.slow
def test_each_repeat_of_a_loop_is_its_own_segment(library: Library, clips: Callable[..., Path]) -> None:
    paint = media.textured(W, H, 3)
    query = clips("moving-loop", lambda i, t: paint(i, 2.0 + t % 3.0), 9.0)
    result = match_file(query, library)
    mine = sorted(
        (m for m in result.matches if m.reference.provenance.title == "Moving"), key=lambda m: m.query_start
    )
    assert len(mine) == 3
    for k, m in enumerate(mine):
        assert m.query_start == pytest.approx(3.0 * k, abs=0.6) and m.reference_start == pytest.approx(
            2.0, abs=0.5
        )


@pytest.mark.slow
def test_pixels_turned_without_metadata_are_found(library: Library, clips: Callable[..., Path]) -> None:
    paint = media.textured(W, H, 3)
    query = clips(
        "moving-rot90", lambda i, t: np.ascontiguousarray(np.rot90(paint(i, t + 1.0))), 6.0, width=H, height=W
    )
    result = match_file(query, library)
    (m,) = [m for m in result.matches if m.reference.provenance.title == "Moving"]
    assert m.rotation in (90, 270) and m.reference_start == pytest.approx(1.0, abs=0.5)


def _cand(qt: np.ndarray, rt: np.ndarray, sample: np.ndarray) -> Candidates:
    n = len(qt)
    z = np.zeros(n)
    return Candidates(sample=sample, query_time=qt, ref=np.zeros(n, np.int64), ref_time=rt, ref_end=rt,
                      distance=np.zeros(n, np.int16), mirror=z.astype(bool), label=np.zeros(n, np.int16),
                      base=np.zeros(n, np.int16), labels=("full",), bases=(None,))  # fmt: skip


def test_reference_span_is_cut_where_the_reference_ends() -> None:
    # a half-speed line over the last 2 s of a 10 s reference: the query spans 6 s, the line would
    # cover 3 s of reference, but the pairs stop at the reference's end
    qt = np.arange(0.0, 6.01, 0.5)
    rt = np.minimum(8.5 + 0.5 * qt, 9.96)
    c = _cand(qt, rt, np.arange(len(qt)))
    span = reference_span(c, np.arange(len(qt)), Line(0.5, 8.5, len(qt)))
    assert span == pytest.approx(9.96 - 8.5, abs=0.01) and span < MatchSettings().min_duration


def test_parallel_lines_of_a_looped_reference_are_repeats_and_a_continuum_is_not() -> None:
    qt = np.repeat(np.arange(0.0, 4.01, 0.5), 3)
    sample = np.repeat(np.arange(9), 3)
    rt = qt + np.tile([1.0, 5.0, 9.0], 9)  # the same moment of a 4 s loop, three times
    alts = repeats(_cand(qt, rt, sample), Line(1.0, 1.0, 9), MatchSettings())
    assert sorted(round(a) for a in alts) == [1, 5, 9]
    qt2 = np.repeat(np.arange(0.0, 4.01, 0.5), 40)
    rt2 = qt2 + np.tile(np.linspace(0, 12, 40), 9)  # a fixed camera: every moment alike
    assert repeats(_cand(qt2, rt2, np.repeat(np.arange(9), 40)), Line(1.0, 0.0, 9), MatchSettings()) == ()


def test_cells_of_a_picture_reaching_past_the_edges_are_flagged_not_read_out_of_bounds() -> None:
    from verify.hashing.grid import region_means

    pictures = np.random.default_rng(0).integers(0, 255, (3, 64, 64), dtype=np.uint8)
    for box in ((0.3, -0.2, 1.9, 1.4), (-1.5, 0.0, 1.0, 1.0), (0.0, 0.0, 1.0 + 1e-9, 2.0)):
        for mirror in (False, True):
            means, valid = region_means(pictures, box, 6, mirror)
            assert means.shape == (3, 36) and 0 < valid.sum() < 36 and np.all(means[:, ~valid] == 0)


def test_a_short_fixed_camera_is_not_taken_for_repeats_after_a_stray_line() -> None:
    """Holdout false match (issue 12): a fixed camera filmed at another moment, against a 3 s
    reference whose every moment looks alike. A rejected line takes its pairs out; the gap it
    leaves in the continuum must not pass for the dip between two repeats of a looped reference."""
    from verify.matching import speed_grid
    from verify.matching.segments import segments_for_reference

    s = MatchSettings()
    qt_samples = np.arange(0.5, 3.01, 0.5)
    grid = np.round(np.arange(0.0, 3.21, 0.1), 2)  # a 3.2 s reference
    qt = np.repeat(qt_samples, len(grid))
    rt = np.tile(grid, len(qt_samples))  # every query sample matches every moment at 0 bits
    c = _cand(qt, rt, np.repeat(np.arange(len(qt_samples)), len(grid)))
    speeds = speed_grid(s.min_speed, s.max_speed, s.speed_step, s.reverse)
    assert segments_for_reference(c, 0, qt_samples, speeds, s) == []


@pytest.mark.slow
def test_reports_list_same_scene_results_apart_from_matches(
    clips: Callable[..., Path], tmp_path: Path
) -> None:
    """Issue 12: the same-scene results reach the report (JSON, Markdown, HTML, PDF) in their own
    section, with what they mean, and the reference's (untrusted) title as text."""
    import shutil
    import subprocess

    from verify.analysis import analyse
    from verify.export import html, markdown, pdf
    from verify.export.common import SCENES_HEADING
    from verify.report import Report, build_report

    hostile = "<b>Speaker</b> *desk* [x](javascript:alert(1))"
    lib = Library(":memory:")
    try:
        lib.add(clips("speaker", _talking(1), 16.0), Provenance(title=hostile))
        later = _talking(1)
        query = clips("speaker-later", lambda i, t: later(i, t + 30.0), 6.0)
        report = build_report(analyse(query, library=lib))
    finally:
        lib.close()
    assert report.matches == () and len(report.scenes) == 1
    assert Report.from_json(report.to_json()).scenes == report.scenes
    from verify.case import open_case, save_case

    assert open_case(save_case(report, tmp_path / "c.verify.zip")).report.scenes == report.scenes
    text = markdown.render(report)
    assert f"## {SCENES_HEADING}" in text and "No time-aligned match in the library." in text
    assert EXPLANATION in text and "<b>" not in text and "](javascript" not in text
    page = html.render(report)
    assert 'id="scenes"' in page and "&lt;b&gt;Speaker&lt;/b&gt;" in page and "<b>Speaker" not in page
    doc = pdf.render(report)
    assert doc.startswith(b"%PDF")
    if shutil.which("pdftotext"):
        (tmp_path / "r.pdf").write_bytes(doc)
        out = subprocess.run(
            ["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True
        ).stdout
        assert "Same scene, time undetermined" in out and "could be any of" in out
