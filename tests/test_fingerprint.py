"""verify.fingerprint on generated clips and their edited copies (re-encoded, scaled,
letterboxed, vertical, mirrored), settings, errors and the JSON round trip."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from tests import media
from verify.errors import (
    ConfigError,
    EmptyFileError,
    FileTooLargeError,
    MediaNotFoundError,
    NotMediaError,
    NoVideoStreamError,
)
from verify.fingerprint import QUERY, REFERENCE, Fingerprint, FingerprintSettings, fingerprint
from verify.frames import Sampling, iter_frames
from verify.hashing import PHASH, hamming
from verify.hashing.variants import base_box, parse_variant, register_base
from verify.serial import dumps, loads

W, H, FPS, SECONDS = 256, 144, 25, 3.0


def encode(path: Path, frames: list[np.ndarray], fps: float = FPS, crf: int = 23) -> Path:
    """Encode RGB frames with libx264 at a given quality."""
    h, w = frames[0].shape[:2]
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        vs.options = {"preset": "ultrafast", "crf": str(crf), "bf": "0"}
        for img in frames:
            out.mux(vs.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")))
        out.mux(vs.encode(None))
    return path


def decoded(path: Path) -> list[np.ndarray]:
    return [f.image for f in iter_frames(path, Sampling(mode="all"))]


def edit(src: Path, dst: Path, fn: Callable[[np.ndarray], np.ndarray], crf: int = 23) -> Path:
    return encode(dst, [fn(img) for img in decoded(src)], crf=crf)


def letterbox(img: np.ndarray, out_w: int, out_h: int) -> np.ndarray:
    """Fit ``img`` inside a black out_w x out_h frame, centred."""
    h, w = img.shape[:2]
    k = min(out_w / w, out_h / h)
    nw, nh = round(w * k) // 2 * 2, round(h * k) // 2 * 2
    canvas = np.zeros((out_h, out_w, 3), np.uint8)
    y, x = (out_h - nh) // 2, (out_w - nw) // 2
    canvas[y : y + nh, x : x + nw] = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA)
    return canvas


def blurred_vertical(img: np.ndarray) -> np.ndarray:
    """A 9:16 frame: the clip in the middle over a blurred, zoomed copy of itself."""
    out_w, out_h = 144, 256
    back = cv2.GaussianBlur(cv2.resize(img[:, 64:192], (out_w, out_h)), (0, 0), 8)
    front = letterbox(img, out_w, 82)
    y = (out_h - 82) // 2
    back[y : y + 82] = front
    return back


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 s, 256x144, 25 fps, a hard cut at 1.5 s."""
    folder = tmp_path_factory.mktemp("fp")
    return media.make_video(
        folder / "orig.mp4", seconds=SECONDS, fps=FPS, width=W, height=H,
        painter=media.shots(W, H, cut_every=1.5, seeds=(4, 5)),
    )  # fmt: skip


@pytest.fixture(scope="module")
def ref(original: Path) -> Fingerprint:
    return fingerprint(original, REFERENCE)


def at_times(ref: Fingerprint, query: Fingerprint, ref_col: str, query_col: str) -> np.ndarray:
    """Distances between query samples and the reference sample at the same time."""
    idx = np.searchsorted(ref.times, query.times - 1e-6)
    idx = np.clip(idx, 0, len(ref) - 1)
    assert np.allclose(ref.times[idx], query.times, atol=0.021)
    return hamming(ref.column(ref_col)[idx], query.column(query_col))


def test_reference_hashes_every_frame(original: Path, ref: Fingerprint) -> None:
    assert ref.algorithm == PHASH
    assert (
        len(ref) == 75 and ref.hashes.shape == (75, len(REFERENCE.variants)) and ref.hashes.dtype == np.uint64
    )
    assert np.allclose(ref.times, np.arange(75) / FPS, atol=1e-3)
    assert ref.quality.all() and ref.quality_scores is not None and ref.quality_scores.min() > 10
    assert ref.shots == pytest.approx((0.0, 1.5), abs=0.05)
    assert ref.bars == (0, 0, 0, 0)
    assert ref.duration == pytest.approx(SECONDS, abs=0.05)
    assert ref.sha256 == hashlib.sha256(original.read_bytes()).hexdigest()
    assert ref.media["width"] == W and ref.source_size == (W, H) and ref.decoded_frames == 75
    # consecutive frames of one shot are close, the two shots are not
    full = ref.column("full")
    assert np.median(hamming(full[1:37], full[:36])) <= 10  # the scene pans
    assert np.median(hamming(full[:30], full[45:])) >= 20


def test_query_sampling_and_columns(original: Path, ref: Fingerprint) -> None:
    q = fingerprint(original, QUERY)
    assert len(q) == 6 and q.hashes.shape == (6, len(QUERY.variants))
    assert np.allclose(q.times, np.arange(6) * 0.5, atol=0.041)  # first frame at or after each slot
    # same decode, same pictures: the query's full column equals the reference at those times
    assert at_times(ref, q, "full", "full").max() == 0
    assert at_times(ref, q, "full", "band169").max() == 0  # 16:9: the band is the whole picture
    five = fingerprint(original, FingerprintSettings(fps=5.0, variants=("crop70",)))
    assert five.hashes.shape == (15, 1) and np.allclose(np.diff(five.times), 0.2, atol=1e-3)


def test_progress_is_reported(original: Path) -> None:
    calls: list[tuple[float, float]] = []
    fingerprint(original, QUERY, progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1][0] == pytest.approx(calls[-1][1]) and calls[-1][1] > 2.5
    assert all(b >= a for (a, _), (b, _) in itertools.pairwise(calls))


@pytest.mark.slow
def test_edited_copies_stay_close_at_matching_times(original: Path, ref: Fingerprint, tmp_path: Path) -> None:
    copies = {
        "low quality": edit(original, tmp_path / "lq.mp4", lambda im: im, crf=42),
        "downscaled": edit(original, tmp_path / "small.mp4", lambda im: cv2.resize(im, (128, 72))),
        "letterboxed 1:1": edit(original, tmp_path / "box.mp4", lambda im: letterbox(im, 256, 256)),
        "pillarboxed 4:3": edit(original, tmp_path / "pillar.mp4", lambda im: letterbox(im, 256, 192)),
        "vertical with bars": edit(original, tmp_path / "vert.mp4", lambda im: letterbox(im, 144, 256)),
    }
    for name, path in copies.items():
        q = fingerprint(path, QUERY)
        assert np.median(at_times(ref, q, "full", "full")) <= 6, name
        assert np.median(at_times(ref, q, "crop85", "crop85")) <= 6, name
    boxed = fingerprint(copies["vertical with bars"], REFERENCE)
    top, bottom, left, right = boxed.bars or (0, 0, 0, 0)
    assert 80 <= top <= 95 and 80 <= bottom <= 95 and left == right == 0


@pytest.mark.slow
def test_mirrored_and_blurred_vertical_copies(original: Path, ref: Fingerprint, tmp_path: Path) -> None:
    mirrored = fingerprint(edit(original, tmp_path / "m.mp4", lambda im: im[:, ::-1]), QUERY)
    assert np.median(at_times(ref, mirrored, "full", "full+mirror")) <= 4
    assert np.median(at_times(ref, mirrored, "full", "full")) >= 20
    vertical = fingerprint(edit(original, tmp_path / "v.mp4", blurred_vertical), QUERY)
    assert vertical.bars == (0, 0, 0, 0)  # a blurred background is not a bar
    assert np.median(at_times(ref, vertical, "full", "band169")) <= 8
    assert np.median(at_times(ref, vertical, "full", "full")) >= 16
    both = fingerprint(edit(original, tmp_path / "vm.mp4", lambda im: blurred_vertical(im)[:, ::-1]), QUERY)
    assert np.median(at_times(ref, both, "full", "band169+mirror")) <= 8


def test_settings_are_checked(original: Path) -> None:
    for bad in (
        FingerprintSettings(variants=("zoom",)),
        FingerprintSettings(variants=()),
        FingerprintSettings(variants=("full", "full")),
        FingerprintSettings(fps=0.0),
        FingerprintSettings(variants=("crop05",)),
        FingerprintSettings(work_size=8),
    ):
        with pytest.raises(ConfigError):
            fingerprint(original, bad)


def test_variant_grammar_and_open_registry(original: Path) -> None:
    assert parse_variant("crop85+mirror") == ("crop85", True)
    assert parse_variant("mirror") == ("full", True)
    assert base_box("band169")(9 / 16)[1] == pytest.approx(0.5 - (9 / 16) / (16 / 9) / 2)
    assert base_box("band169")(16 / 9) == (0.0, 0.0, 1.0, 1.0)
    assert base_box("br50")(1.0) == (0.5, 0.5, 1.0, 1.0)
    register_base("lefthalf", lambda aspect: (0.0, 0.0, 0.5, 1.0))
    fp = fingerprint(original, FingerprintSettings(fps=2.0, variants=("lefthalf", "tl50", "mirror")))
    assert fp.hashes.shape == (6, 3)
    assert (fp.column("lefthalf") != fp.column("tl50")).any()
    with pytest.raises(KeyError):
        fp.column("full")


def test_bad_files_raise_verify_errors(tmp_path: Path, original: Path) -> None:
    with pytest.raises(MediaNotFoundError, match="nothere"):
        fingerprint(tmp_path / "nothere.mp4")
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(EmptyFileError):
        fingerprint(tmp_path / "empty.mp4")
    (tmp_path / "notes.mp4").write_text("just some text, not a video\n" * 20)
    with pytest.raises(NotMediaError):
        fingerprint(tmp_path / "notes.mp4")
    with pytest.raises(NoVideoStreamError):
        fingerprint(media.make_audio_only(tmp_path / "a.m4a"))
    with pytest.raises(FileTooLargeError):
        fingerprint(original, max_bytes=100)


def test_still_is_one_sample(tmp_path: Path) -> None:
    fp = fingerprint(media.make_still(tmp_path / "s.png", 200, 120, seed=3))
    assert len(fp) == 1 and fp.times.tolist() == [0.0] and fp.hashes.shape == (1, len(REFERENCE.variants))


def test_json_round_trip(ref: Fingerprint) -> None:
    data = json.loads(json.dumps(ref.to_dict()))
    assert set(data["hashes"]) == {"dtype", "shape", "base64"} and data["hashes"]["shape"] == [
        75,
        len(REFERENCE.variants),
    ]
    for back in (Fingerprint.from_dict(data), loads(Fingerprint, dumps(ref))):
        assert back.settings == ref.settings and back.algorithm == ref.algorithm
        assert np.array_equal(back.hashes, ref.hashes) and back.hashes.dtype == np.uint64
        assert np.array_equal(back.times, ref.times) and np.array_equal(back.quality, ref.quality)
        assert back.quality_scores is not None and np.allclose(back.quality_scores, ref.quality_scores)
        assert back.shots == ref.shots and back.bars == ref.bars and back.media == ref.media
        assert back.sha256 == ref.sha256 and back.source_size == ref.source_size
    nv = len(REFERENCE.variants)
    empty = Fingerprint(PHASH, REFERENCE, np.zeros(0), np.zeros((0, nv), np.uint64), np.zeros(0, bool))
    assert Fingerprint.from_dict(json.loads(json.dumps(empty.to_dict()))).hashes.shape == (0, nv)


@pytest.mark.corpus
def test_real_clips_bars_and_rotation(corpus: Path) -> None:
    chair = fingerprint(corpus / "files" / "te-chair-orig-22-sd-bar.mp4", QUERY)
    top, bottom, left, right = chair.bars or (0, 0, 0, 0)
    assert top == bottom == 0 and 30 <= left <= 40 and 30 <= right <= 40
    assert chair.quality.mean() > 0.9
    # a display-matrix rotation is applied before hashing: the picture is hashed upright
    sizes = [fingerprint(corpus / "files" / f"decord-video-{r}.mov", REFERENCE).source_size for r in (0, 90)]
    assert sizes == [(568, 320), (320, 568)]


def test_shots_by_segments_equal_shots_in_one_go() -> None:
    from verify.fingerprint import _shots

    rng = np.random.default_rng(5)
    scenes = rng.random((12, 80)).astype(np.float32)
    n = 1500
    times = np.arange(n) / 25
    features = scenes[np.arange(n) // 130] + rng.normal(0, 0.01, (n, 80)).astype(np.float32)
    whole = _shots(times, features.astype(np.float16), segment=n)
    assert len(whole) == 12 and whole[0] == 0.0
    assert _shots(times, features.astype(np.float16), segment=200) == whole


def test_batched_shot_features_are_histogram_and_area_thumbnail() -> None:
    """The one shot-feature implementation against its definition (OpenCV's area resize)."""
    import cv2

    from verify.shots import FEATURE_SIZE, shot_features

    rng = np.random.default_rng(2)
    frames = rng.integers(0, 256, (20, 32, 32), dtype=np.uint8)
    frames[:10] = np.sort(frames[:10], axis=2)
    ours = shot_features(frames)

    def definition(g: np.ndarray) -> np.ndarray:
        hist = np.bincount((g >> 4).ravel(), minlength=16) / g.size
        thumb = cv2.resize(g, (8, 8), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
        return np.concatenate([hist * (0.25 * FEATURE_SIZE), thumb.ravel() * (0.5 * FEATURE_SIZE / 64)])

    theirs = np.stack([definition(f) for f in frames])
    assert ours.shape == theirs.shape and np.abs(ours - theirs).max() <= 0.5 * 80 / 64 / 255 + 1e-6


@pytest.mark.slow
def test_query_finds_bars_of_each_part_of_a_compilation(tmp_path: Path) -> None:
    """4 s pillarboxed 4:3 footage then 4 s full-frame footage, in one 8-s chunk."""
    square, wide = media.textured(120, 90, seed=21), media.textured(160, 90, seed=22)

    def paint(i: int, t: float) -> np.ndarray:
        if t < 4.0:
            return cv2.copyMakeBorder(square(i, t), 0, 0, 20, 20, cv2.BORDER_CONSTANT, value=(0, 0, 0))
        return wide(i, t)

    comp = media.make_video(tmp_path / "comp.mp4", seconds=8.0, fps=10, width=160, height=90, painter=paint)
    alone = media.make_video(tmp_path / "sq.mp4", seconds=4.0, fps=10, width=120, height=90, painter=square)
    settings = FingerprintSettings(fps=2.0, variants=("full",))
    q, r = fingerprint(comp, settings), fingerprint(alone, settings)
    first = q.times < 3.9
    assert np.median(hamming(q.column("full")[first], r.column("full")[: int(first.sum())])) <= 6
    dense = fingerprint(comp, FingerprintSettings(fps=None, variants=("full",)))
    assert dense.bars == (0, 0, 0, 0)  # references keep one detection per chunk
