"""Matching on generated clips with a real (in-memory SQLite) library and the real fingerprinter."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from tests import media
from verify import serial
from verify.errors import ConfigError
from verify.fingerprint import QUERY, REFERENCE, Fingerprint, FingerprintSettings, fingerprint
from verify.library import HashTable, Library, Provenance
from verify.matching import MatchResult, MatchSettings, match_file, match_fingerprint
from verify.matching.align import hough_peak, refine, speed_grid
from verify.matching.candidates import find_candidates

W, H = 160, 120
A_SEED, B_SEED = 1, 2


def _painter(seed: int, speed: float = 1.0, start: float = 0.0, mirror: bool = False) -> media.Painter:
    base = media.textured(W, H, seed)

    def paint(i: int, t: float) -> np.ndarray:
        img = base(i, start + speed * t)
        return np.ascontiguousarray(img[:, ::-1]) if mirror else img

    return paint


def _fixed_camera(seed: int) -> media.Painter:
    """A fixed camera: one static textured view, a small blob wandering across it, light flicker."""
    background = media.textured(W, H, seed)(0, 0.0).astype(np.float64)
    yy, xx = np.mgrid[0:H, 0:W]

    def paint(i: int, t: float) -> np.ndarray:
        cy, cx = H / 2 + 35 * np.sin(t * 0.7), W / 2 + 60 * np.sin(t * 0.45 + 1)
        blob = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * 8.0**2))[..., None] * 90
        img = background * (1 + 0.02 * np.sin(t * 3)) + blob
        return np.clip(img, 0, 255).astype(np.uint8)

    return paint


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    folder = tmp_path_factory.mktemp("matching")

    def make(name: str, painter: media.Painter, seconds: float) -> Path:
        path = folder / f"{name}.mp4"
        if not path.exists():
            media.make_video(path, seconds=seconds, painter=painter, width=W, height=H)
        return path

    return make


@pytest.fixture(scope="module")
def library(clips: Callable[..., Path]) -> Library:
    lib = Library(":memory:")
    lib.add(clips("ref-a", _painter(A_SEED), 10.0), Provenance(title="Clip A", first_seen="2024-03-01",
            found_at="an archive", source_url="https://example.org/a"), settings=REFERENCE)  # fmt: skip
    lib.add(clips("ref-b", _painter(B_SEED), 10.0), Provenance(title="Clip B"), settings=REFERENCE)
    lib.add(clips("ref-cam", _fixed_camera(5), 8.0), Provenance(title="Camera"), settings=REFERENCE)
    yield lib
    lib.close()


def _only(result: MatchResult, title: str) -> list:
    return [m for m in result.matches if m.reference.provenance.title == title]


@pytest.mark.slow
def test_exact_copy_matches_whole_reference(library: Library, clips: Callable[..., Path]) -> None:
    result = match_file(clips("ref-a", _painter(A_SEED), 10.0), library)
    assert [m.reference.provenance.title for m in result.matches] == ["Clip A"]
    m = result.matches[0]
    assert m.query_start == pytest.approx(0.0, abs=0.6) and m.query_end == pytest.approx(10.0, abs=0.6)
    assert m.reference_start == pytest.approx(0.0, abs=0.6) and m.reference_end == pytest.approx(
        10.0, abs=0.6
    )
    assert m.speed == pytest.approx(1.0, abs=0.02) and not m.mirrored and m.crop is None
    assert m.coverage_query > 0.9 and m.coverage_reference > 0.9 and m.median_distance <= 4
    assert len(m.evidence) >= 5
    for e in m.evidence:
        assert e.reference_time == pytest.approx(
            e.query_time * m.speed + m.offset, abs=MatchSettings().tolerance
        )


@pytest.mark.slow
def test_excerpt_is_localised(library: Library, clips: Callable[..., Path]) -> None:
    result = match_file(clips("excerpt", _painter(A_SEED, start=3.5), 3.0), library)
    (m,) = _only(result, "Clip A")
    assert m.reference_start == pytest.approx(3.5, abs=0.5)
    assert m.reference_end == pytest.approx(6.5, abs=0.5)
    assert m.query_start == pytest.approx(0.0, abs=0.5) and m.query_end == pytest.approx(3.0, abs=0.5)
    assert m.coverage_reference == pytest.approx(0.3, abs=0.08)
    assert not _only(result, "Clip B")


@pytest.mark.slow
@pytest.mark.parametrize("speed", [0.8, 1.25])
def test_speed_change_is_estimated(library: Library, clips: Callable[..., Path], speed: float) -> None:
    result = match_file(clips(f"speed{speed}", _painter(A_SEED, speed=speed), 9.5 / speed), library)
    (m,) = _only(result, "Clip A")
    assert m.speed == pytest.approx(speed, rel=0.05)
    assert m.reference_end - m.reference_start > 7.0


@pytest.mark.slow
def test_mirrored_copy(library: Library, clips: Callable[..., Path]) -> None:
    result = match_file(clips("mirror", _painter(B_SEED, mirror=True), 8.0), library)
    (m,) = _only(result, "Clip B")
    assert m.mirrored
    assert any(e.variant.split("/")[0].endswith("+mirror") for e in m.evidence)
    assert "mirrored" in result.summary_lines()[0]


@pytest.mark.slow
def test_compilation_gives_two_segments_in_order(library: Library, clips: Callable[..., Path]) -> None:
    a, b = _painter(A_SEED, start=2.0), _painter(B_SEED, start=1.0)
    comp = clips("comp", lambda i, t: a(i, t) if t < 4.0 else b(i, t - 4.0), 8.0)
    result = match_file(comp, library)
    by_start = sorted(result.matches, key=lambda m: m.query_start)
    assert [m.reference.provenance.title for m in by_start] == ["Clip A", "Clip B"]
    first, second = by_start
    assert first.query_end == pytest.approx(4.0, abs=0.6) and second.query_start == pytest.approx(
        4.0, abs=0.6
    )
    assert first.reference_start == pytest.approx(2.0, abs=0.5)
    assert second.reference_start == pytest.approx(1.0, abs=0.5)


@pytest.mark.slow
def test_same_reference_twice(library: Library, clips: Callable[..., Path]) -> None:
    late, early = _painter(A_SEED, start=6.0), _painter(A_SEED, start=-4.0)
    query = clips("twice", lambda i, t: late(i, t) if t < 4.0 else early(i, t), 8.0)
    matches = sorted(_only(match_file(query, library), "Clip A"), key=lambda m: m.query_start)
    assert len(matches) == 2
    assert matches[0].reference_start == pytest.approx(6.0, abs=0.5)
    assert matches[1].reference_start == pytest.approx(0.0, abs=0.5)
    assert matches[0].offset == pytest.approx(6.0, abs=0.3) and matches[1].offset == pytest.approx(
        -4.0, abs=0.3
    )


@pytest.mark.slow
def test_same_camera_other_time_is_not_a_match(library: Library, clips: Callable[..., Path]) -> None:
    """Frames alike frame by frame (a fixed camera) but not in time: rejected by the alignment."""
    camera = _fixed_camera(5)
    query = clips("cam-later", lambda i, t: camera(i, t + 20.0), 8.0)
    fp = fingerprint(query, QUERY)
    c, usable = find_candidates(fp, library.hash_table(fp.algorithm), MatchSettings().radius, 0)
    near = np.unique(c.sample[c.ref == library.references(search="Camera")[0].id])
    assert len(near) >= 0.8 * len(usable)  # per-frame distance says "copy" for most samples ...
    result = match_fingerprint(fp, library)
    assert result.matches == ()  # ... temporal consistency says no


@pytest.mark.slow
def test_unrelated_clip_does_not_match(library: Library, clips: Callable[..., Path]) -> None:
    result = match_file(clips("unrelated", _painter(7), 6.0), library)
    assert result.matches == ()
    assert result.library_references == 3 and result.library_hashes > 0
    assert result.summary_lines() == ["No known footage matched this clip (library of 3 references)."]


@pytest.mark.slow
def test_empty_library(clips: Callable[..., Path]) -> None:
    with Library(":memory:") as empty:
        result = match_file(clips("ref-a", _painter(A_SEED), 10.0), empty)
    assert result.matches == () and result.library_references == 0 and result.library_hashes == 0
    assert result.query.usable_samples > 0 and result.query.sha256


@pytest.mark.slow
def test_json_shape_and_round_trip(library: Library, clips: Callable[..., Path]) -> None:
    result = match_file(clips("mirror", _painter(B_SEED, mirror=True), 8.0), library, top=5)
    d = json.loads(json.dumps(result.to_dict()))
    assert {"schema_version", "query", "matches", "library_references", "library_hashes", "settings"} <= set(
        d
    )
    assert d["scenes"] == []
    (m,) = d["matches"]
    assert m["method"] == "aligned" and m["rotation"] == 0 and m["alternatives"] == []
    # nothing is dropped: the fields the first release left out are there
    assert {
        "aligned_fraction",
        "support",
        "bars",
        "aligned_samples",
        "offset",
        "evidence",
        "method",
        "fine_correlation",
    } <= set(m)
    assert {"id", "path", "sha256", "duration", "provenance"} <= set(m["reference"])
    assert {"title", "source_url", "first_seen", "found_at", "tags"} <= set(m["reference"]["provenance"])
    assert {"query_time", "reference_time", "distance", "variant"} <= set(m["evidence"][0])
    assert d["query"]["path"].endswith("mirror.mp4") and d["query"]["samples"] > 0
    again = MatchResult.from_dict(d)
    assert again.to_dict() == d
    # a record of the first release (flat reference) still loads
    old = {"schema_version": 1, "query": d["query"], "matches": [
        {**{k: v for k, v in m.items() if k != "reference"},
         "reference": {"id": 1, "path": "x.mp4", "title": "T", "tags": ["a"], "sha256": "ab", "duration": 3.0}}
    ]}  # fmt: skip
    back = MatchResult.from_dict(old)
    assert back.matches[0].reference.provenance.title == "T" and back.matches[0].reference.id == 1
    # the matching branch's flat schema 2 (method, rotation, alternatives, scenes with flat references)
    flat_ref = {"id": 2, "path": "y.mp4", "title": "S", "tags": [], "sha256": "cd", "duration": 9.0}
    flat2 = {**old, "schema_version": 2, "matches": [{**old["matches"][0], "method": "fine", "rotation": 90,
             "alternatives": [4.0]}], "scenes": [{"reference": flat_ref, "kind": "still", "query_start": 0.0,
             "query_end": 2.0, "reference_start": 0.0, "reference_end": 9.0}]}  # fmt: skip
    back2 = MatchResult.from_dict(flat2)
    assert back2.matches[0].method == "fine" and back2.matches[0].rotation == 90
    assert back2.matches[0].alternatives == (4.0,)
    assert back2.scenes[0].kind == "still" and back2.scenes[0].reference.provenance.title == "S"
    full = MatchResult.from_dict(json.loads(serial.dumps(result)))  # the lossless form
    assert full.matches[0].support == pytest.approx(result.matches[0].support)
    assert full.library_references == 3 and full.settings == result.settings


@pytest.mark.slow
def test_summary_names_provenance(library: Library, clips: Callable[..., Path]) -> None:
    result = match_file(clips("excerpt", _painter(A_SEED, start=3.5), 3.0), library)
    line = result.summary_lines()[0]
    assert line.startswith("0:00.0–0:03.0 of this clip is 0:03.5–0:06.5 of \u201cClip A\u201d")
    assert "*" not in line
    assert "first seen 2024-03-01 at an archive" in line


def test_hough_and_refine_recover_a_line() -> None:
    rng = np.random.default_rng(0)
    qt = np.repeat(np.arange(0, 20, 0.5), 3)
    rt = 1.25 * qt + 7.0 + rng.normal(0, 0.05, qt.size)
    rt[::3] = rng.uniform(0, 40, qt.size // 3)  # a third of the pairs are noise
    sample = np.repeat(np.arange(40), 3)
    order = np.lexsort((rt, sample))
    qt, rt, sample = qt[order], rt[order], sample[order]
    speeds = speed_grid(0.5, 2.0, 0.02)
    assert speeds[0] == pytest.approx(0.5, abs=1e-3) and 1.0 in speeds and speeds[-1] <= 2.0
    peak = hough_peak(qt, rt, sample, speeds, 0.4)
    line = refine(qt, rt, sample, np.zeros(qt.size, np.int16), peak, 0.4, (0.5, 2.0))
    assert line.speed == pytest.approx(1.25, abs=0.01) and line.offset == pytest.approx(7.0, abs=0.1)
    assert line.support >= 38


def test_settings_are_checked() -> None:
    with pytest.raises(ConfigError, match="speed range"):
        MatchSettings(min_speed=1.5)
    with pytest.raises(ConfigError, match="radius"):
        MatchSettings(radius=70)
    assert serial.loads(MatchSettings, serial.dumps(MatchSettings(radius=8))) == MatchSettings(radius=8)


def test_search_of_distinct_hashes_gives_the_pairs_of_a_direct_search() -> None:
    from verify.matching.candidates import search_unique

    rng = np.random.default_rng(1)
    base = rng.integers(0, 2**63, 50, dtype=np.uint64)
    flips = [np.uint64(1 << int(b)) for b in rng.integers(0, 63, 4)]
    tab = np.concatenate([base ^ f for f in flips])
    n = len(tab)
    table = HashTable("x", tab, np.zeros(n, np.int64), np.zeros(n), np.zeros(n, np.int16), ("full",))
    queries = rng.choice(base, 300)  # every value repeats ~6 times
    direct = table.range_search(queries, 3)
    once = search_unique(table, queries, 3)
    as_set = lambda r: sorted(zip(*(np.asarray(x).tolist() for x in r)))  # noqa: E731
    assert len(once[0]) == 1200 and as_set(once) == as_set(direct)


def _flip(rng: np.random.Generator, h: np.ndarray, k: int) -> np.ndarray:
    """``h`` with ``k`` random bits (of the low 63) flipped in each hash."""
    out = h.copy()
    for i in range(len(out)):
        for b in rng.choice(63, k, replace=False):
            out[i] ^= np.uint64(1 << int(b))
    return out


def _one_reference_among_others(rng: np.random.Generator, n: int) -> tuple[np.ndarray, HashTable]:
    """Reference 1 (``n`` random hashes, one per 0.2 s) and reference 2 (3n others), as a table."""
    ref = rng.integers(0, 2**63, n, dtype=np.uint64)
    other = rng.integers(0, 2**63, 3 * n, dtype=np.uint64)
    table = HashTable("phash-64/v1", np.concatenate([ref, other]),
                      np.concatenate([np.full(n, 1), np.full(3 * n, 2)]).astype(np.int64),
                      np.concatenate([np.arange(n) * 0.2, np.arange(3 * n) * 0.2]), np.zeros(4 * n, np.int16),
                      ("full",))  # fmt: skip
    return ref, table


def _plain_and_panel(plain: np.ndarray, panel: np.ndarray) -> Fingerprint:
    """A query fingerprint of two columns: the whole picture and a split-screen panel."""
    n = len(plain)
    return Fingerprint("phash-64/v1", FingerprintSettings(variants=("full", "half-l")), np.arange(n) * 0.2,
                       np.stack([plain, panel], 1), np.ones(n, bool), duration=n * 0.2)  # fmt: skip


def test_coarse_to_exact_search_keeps_every_pair_of_the_references_it_chooses() -> None:
    """Stage 1 at a small radius chooses the references hit by the most distinct query hashes;
    stage 2 gives exactly the full search's pairs for those, and none for the others."""
    from verify.matching.candidates import Coarse, SearchStats, search_unique

    rng = np.random.default_rng(4)
    refs, hashes = [], []
    for rid in range(1, 21):
        h = rng.integers(0, 2**63, 200, dtype=np.uint64)
        hashes.append(h)
        refs.append(np.full(200, rid, np.int64))
    tab, ids = np.concatenate(hashes), np.concatenate(refs)
    n = len(tab)
    table = HashTable("x", tab, ids, np.arange(n) / 10, np.zeros(n, np.int16), ("full",))

    def near(h: np.ndarray, k: int) -> np.ndarray:
        return _flip(rng, h, k)

    # ref 3: 40 query hashes 2 bits away and 40 at 9 bits; ref 7: 10 at 3 bits; ref 9: 1 at 2 bits
    q = np.concatenate([near(hashes[2][:40], 2), near(hashes[2][40:80], 9), near(hashes[6][:10], 3),
                        near(hashes[8][:1], 2), rng.integers(0, 2**63, 100, dtype=np.uint64)])  # fmt: skip
    full = search_unique(table, q, 10)
    stats = SearchStats()
    got = search_unique(table, q, 10, stats, Coarse(radius=4, refs=8, min_hits=2))
    as_set = lambda r: set(zip(*(np.asarray(x).tolist() for x in r)))  # noqa: E731
    want = {p for p in as_set(full) if ids[p[1]] in (3, 7)}
    assert as_set(got) == want
    assert {ids[p[1]] for p in want} == {3, 7}  # the 9-bit pairs of ref 3 are kept, ref 9 (one hit) is not
    assert stats.candidate_refs == 2 and stats.coarse_pairs >= 51
    only_best = search_unique(table, q, 10, None, Coarse(radius=4, refs=1, min_hits=2))
    assert {ids[p[1]] for p in as_set(only_best)} == {3}
    # a first stage that sees only rows covering whole seconds (coarse_grid): ref 3 keeps 4 of its
    # 40 hits (times 40.0 ... 43.9), ref 7 one of 10 (120.0 ... 120.9), so only ref 3 is chosen
    gridded = search_unique(table, q, 10, None, Coarse(radius=4, refs=8, min_hits=2, grid=1.0))
    assert {ids[p[1]] for p in as_set(gridded)} == {3}
    one_stage = search_unique(table, q, 10, None, Coarse(radius=10, refs=1, min_hits=2))
    assert as_set(one_stage) == as_set(full)  # coarse radius >= radius: one stage


@pytest.mark.slow
def test_two_stage_search_gives_the_matches_of_the_whole_library_search(
    library: Library, clips: Callable[..., Path]
) -> None:
    """What a large library gets (coarse 8 bits over the library, then 10 bits within the chosen
    references) equals the one-stage search here, also for a split screen whose reference only
    the guessed regions reach (its plain-column pairs are fetched afterwards) and for negatives."""
    import cv2

    a, b = _painter(A_SEED, start=1.0), _painter(B_SEED, start=2.0)

    def split(i: int, t: float) -> np.ndarray:
        left = cv2.resize(a(i, t), (W // 2, H // 2), interpolation=cv2.INTER_AREA)
        right = cv2.resize(b(i, t), (W // 2, H // 2), interpolation=cv2.INTER_AREA)
        out = np.zeros((H, W, 3), np.uint8)
        out[H // 4 : H // 4 + H // 2, : W // 2], out[H // 4 : H // 4 + H // 2, W // 2 :] = left, right
        return out

    camera = _fixed_camera(5)
    queries = {
        "excerpt": clips("excerpt", _painter(A_SEED, start=3.5), 3.0),
        "mirror": clips("mirror", _painter(B_SEED, mirror=True), 8.0),
        "split": clips("split", split, 6.0),
        "cam-later": clips("cam-later", lambda i, t: camera(i, t + 20.0), 8.0),
        "unrelated": clips("unrelated", _painter(7), 6.0),
    }
    one, two = MatchSettings(coarse_radius=64), MatchSettings(coarse_radius=8, coarse_from_rows=0)

    def summary(result: MatchResult) -> list[tuple]:
        return [(m.reference.id, round(m.query_start, 2), round(m.query_end, 2), round(m.reference_start, 2),
                 round(m.score, 4), m.mirrored, m.crop) for m in result.matches] + [
                ("scene", x.reference.id, round(x.query_start, 2)) for x in result.scenes]  # fmt: skip

    for name, path in queries.items():
        fp = fingerprint(path, QUERY)
        r1, r2 = match_fingerprint(fp, library, one), match_fingerprint(fp, library, two)
        assert summary(r1) == summary(r2), name
        assert r1.query.candidate_references == 0 and r1.query.coarse_pairs == 0
        if r2.matches:
            assert r2.query.candidate_references >= len({m.reference.id for m in r2.matches})
        if name == "split":  # found, side by side, through the panels
            assert {m.reference.provenance.title for m in r2.matches} == {"Clip A", "Clip B"}, name
        if name in ("cam-later", "unrelated"):
            assert r2.matches == ()
        assert r2.query.two_stage and not r1.query.two_stage
        if name == "unrelated":  # "no match" says the large library was not compared in full
            n = r2.query.candidate_references
            assert r1.summary_lines() == ["No known footage matched this clip (library of 3 references)."]
            assert r2.summary_lines() == [
                "No known footage matched this clip (library of 3 references; a large library: searched "
                f"within 8 bits, then the {n} closest reference{'s' if n != 1 else ''} within 10)."
            ]
            back = MatchResult.from_dict(json.loads(json.dumps(serial.to_jsonable(r2))))
            assert back.query.two_stage and back.summary_lines() == r2.summary_lines()


def test_a_reference_only_the_guessed_regions_reach_gets_its_plain_pairs_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two stages, the first at 8 bits: the query's plain column is 9 bits from the reference over
    all 40 samples (the coarse stage cannot see it), its split-screen panel 2 bits on 3 samples
    only (too few for a segment). The panel brings the reference in; its 9-bit plain pairs are then
    fetched, so the segment the one-stage search finds is found (without the fetch: none)."""
    from verify.matching import _search
    from verify.matching import candidates as cand_mod
    from verify.matching.candidates import SearchStats

    rng = np.random.default_rng(9)
    n = 40
    ref, table = _one_reference_among_others(rng, n)
    panel = rng.integers(0, 2**63, n, dtype=np.uint64)  # unrelated, but for 3 samples
    panel[[5, 20, 35]] = _flip(rng, ref[[5, 20, 35]], 2)
    fp = _plain_and_panel(_flip(rng, ref, 9), panel)
    segs = lambda raw: [(r.ref, r.q_first, r.q_last) for r in raw]  # noqa: E731
    _, _, one = _search(fp, table, MatchSettings(coarse_radius=64), SearchStats())
    stats = SearchStats()
    two_settings = MatchSettings(coarse_radius=8, coarse_from_rows=0)
    _, _, two = _search(fp, table, two_settings, stats)
    assert segs(one) == segs(two) and [r[0] for r in segs(one)] == [1]
    assert one[0].q_last - one[0].q_first > 0.8 * n * 0.2
    assert stats.candidate_refs == 1
    real = cand_mod.find_candidates

    def no_fetch(*args, **kwargs):  # type: ignore[no-untyped-def]
        if kwargs.get("only") is not None:
            kwargs["only"] = np.zeros(0, np.int64)
        return real(*args, **kwargs)

    monkeypatch.setattr("verify.matching.find_candidates", no_fetch)
    _, _, without = _search(fp, table, two_settings, SearchStats())
    assert segs(without) == []  # what the fetch is for


def test_a_reference_the_plain_columns_chose_keeps_its_guessed_region_pairs() -> None:
    """The mirror case: the plain column places samples 0-19 (2 bits), the split-screen panel
    shows the rest 9 bits away (beyond the coarse radius). The guessed-region search of the
    unplaced samples still searches that reference at the full radius, so the segment spans the
    whole query, as with one stage."""
    from verify.matching import _search
    from verify.matching.candidates import SearchStats

    rng = np.random.default_rng(9)
    n = 40
    ref, table = _one_reference_among_others(rng, n)
    plain = rng.integers(0, 2**63, n, dtype=np.uint64)
    plain[:20] = _flip(rng, ref[:20], 2)
    panel = rng.integers(0, 2**63, n, dtype=np.uint64)
    panel[20:] = _flip(rng, ref[20:], 9)
    fp = _plain_and_panel(plain, panel)
    segs = lambda raw: [(r.ref, round(r.q_first, 2), round(r.q_last, 2)) for r in raw]  # noqa: E731
    one = segs(_search(fp, table, MatchSettings(coarse_radius=64), SearchStats())[2])
    two = segs(_search(fp, table, MatchSettings(coarse_radius=8, coarse_from_rows=0), SearchStats())[2])
    assert one == two and one[0][0] == 1 and one[0][2] - one[0][1] > 7.0
