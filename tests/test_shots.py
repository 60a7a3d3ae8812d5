"""verify.shots: cut and fade detection on generated clips, keyframe choice, image encoding."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from tests import media
from verify import serial
from verify.errors import NotMediaError
from verify.frames import Sampling, iter_frames
from verify.shots import FEATURE_SIZE, Keyframe, detect_shots, encode_image, keyframes, shot_feature


def features_of(path: Path) -> tuple[np.ndarray, np.ndarray]:
    frames = list(iter_frames(path, Sampling(max_side=96, pixel_format="gray")))
    return np.array([f.time for f in frames]), np.array([shot_feature(f.image) for f in frames])


def slow(seed: int, speed: float = 0.15) -> media.Painter:
    scene = media.textured(160, 120, seed)
    return lambda i, t: scene(i, t * speed)


def fade(a: int, b: int, t0: float, t1: float) -> media.Painter:
    pa, pb = slow(a), slow(b)

    def paint(i: int, t: float) -> np.ndarray:
        w = min(max((t - t0) / (t1 - t0), 0.0), 1.0)
        return (pa(i, t) * (1 - w) + pb(i, t) * w).astype(np.uint8)

    return paint


def test_hard_cuts_found_to_the_frame(shot_clip: Path) -> None:
    times, feats = features_of(shot_clip)
    assert detect_shots(times, feats) == pytest.approx([0.0, 1.0, 2.0], abs=1e-6)


def test_cuts_at_odd_times_and_a_short_shot(tmp_path: Path) -> None:
    path = media.make_video(tmp_path / "odd.mp4", seconds=3.3, painter=media.shots(cut_every=0.72))
    times, feats = features_of(path)
    assert detect_shots(times, feats) == pytest.approx([0.0, 0.72, 1.44, 2.16, 2.88], abs=1e-6)
    # min_shot merges boundaries closer than it, keeping the strongest
    assert len(detect_shots(times, feats, min_shot=1.0)) < 5


def test_a_fade_is_one_boundary_in_its_middle(tmp_path: Path) -> None:
    path = media.make_video(tmp_path / "fade.mp4", seconds=6.0, painter=fade(1, 2, 2.5, 3.1))
    times, feats = features_of(path)
    shots = detect_shots(times, feats)
    assert len(shots) == 2 and 2.5 <= shots[1] <= 3.1


@pytest.mark.parametrize("kind", ["static", "pan", "slow"])
def test_no_false_cuts(tmp_path: Path, kind: str) -> None:
    still = media.textured(160, 120, 5)(0, 0.0)
    painter = {"static": lambda i, t: still, "pan": media.textured(), "slow": slow(4)}[kind]
    path = media.make_video(tmp_path / f"{kind}.mp4", seconds=4.0, painter=painter)
    times, feats = features_of(path)
    assert detect_shots(times, feats) == [0.0]


def test_detect_shots_is_stateless_and_checks_input() -> None:
    rng = np.random.default_rng(0)
    base = rng.random(FEATURE_SIZE).astype(np.float32)
    feats = np.repeat(base[None], 50, axis=0) + rng.normal(0, 0.001, (50, FEATURE_SIZE)).astype(np.float32)
    feats[30:] += 0.5
    times = np.arange(50) / 10.0
    assert detect_shots(times, feats) == detect_shots(times, feats) == [0.0, 3.0]
    assert detect_shots([], np.zeros((0, FEATURE_SIZE))) == []
    assert detect_shots([1.5], feats[:1]) == [1.5]
    with pytest.raises(ValueError):
        detect_shots(times[:10], feats)
    with pytest.raises(ValueError):
        shot_feature(np.zeros((8, 8), np.float32))


def test_shot_feature_distance_is_bounded() -> None:
    black, white = np.zeros((32, 32), np.uint8), np.full((32, 32), 255, np.uint8)
    fb, fw = shot_feature(black), shot_feature(white)
    assert fb.shape == (FEATURE_SIZE,) and fb.dtype == np.float32
    assert np.abs(fb - fw).mean() == pytest.approx(1.0, abs=1e-5)  # the largest possible change
    assert np.abs(fb - fb).mean() == 0.0


def test_keyframes_one_per_shot_sharp_and_typical(shot_clip: Path) -> None:
    calls: list[float] = []
    kfs = keyframes(shot_clip, size=80, progress=lambda d, t: calls.append(d / t))
    assert [k.shot for k in kfs] == [1, 2, 3]
    for k, (lo, hi) in zip(kfs, [(0.0, 1.0), (1.0, 2.0), (2.0, 3.0)]):
        assert lo < k.time < hi and (k.shot_start, k.shot_end) == pytest.approx((lo, hi))
        assert k.image is not None and k.image.shape == (60, 80, 3) and (k.width, k.height) == (80, 60)
        assert k.index == round(k.time * 25) and k.pts_time == k.time
    # each keyframe really shows its shot's scene (seeds 1, 2, 3 of the painter)
    for k, seed in zip(kfs, (1, 2, 3)):
        truth = cv2.resize(
            media.textured(160, 120, seed)(k.index, k.time), (80, 60), interpolation=cv2.INTER_AREA
        )
        assert np.abs(truth.astype(int) - k.image).mean() < 12
    assert calls[-1] == 1.0 and calls == sorted(calls)


def test_long_shots_get_evenly_spaced_extras(tmp_path: Path) -> None:
    path = media.make_video(tmp_path / "long.mp4", seconds=6.0, fps=10, painter=slow(7))
    kfs = keyframes(path, long_shot_every=2.0, max_per_shot=5, size=64)
    assert len(kfs) == 3 and {k.shot for k in kfs} == {1}
    assert [int(k.time // 2) for k in kfs] == [0, 1, 2]  # one in each third
    assert len(keyframes(path, long_shot_every=2.0, max_per_shot=2, size=64)) == 2


def test_keyframes_keep_source_times_on_late_start(tmp_path: Path) -> None:
    path = media.make_video(tmp_path / "late.ts", seconds=3.0, start=10.0, painter=media.shots(cut_every=1.0))
    kfs = keyframes(path, size=64)
    assert [k.shot for k in kfs] == [1, 2, 3]
    assert all(k.pts_time == pytest.approx(k.time + 10.0) for k in kfs)
    assert [k.shot_start for k in kfs] == pytest.approx([0.0, 1.0, 2.0])


def test_keyframe_json_round_trip(shot_clip: Path) -> None:
    k = keyframes(shot_clip, size=32)[0].without_image()
    back = serial.loads(Keyframe, serial.dumps(k))
    assert back.image is None and serial.to_jsonable(back) == serial.to_jsonable(k)


def test_keyframes_errors_are_verify_errors(tmp_path: Path) -> None:
    bad = tmp_path / "x.mp4"
    bad.write_text("not a video")
    with pytest.raises(NotMediaError):
        keyframes(bad)
    with pytest.raises(ValueError):
        keyframes(bad, max_per_shot=0)


@pytest.mark.parametrize("fmt", ["png", "jpeg", "jpg"])
def test_encode_image_round_trips(fmt: str) -> None:
    img = media.textured(64, 48, 3)(0, 0.0)
    data = encode_image(img, fmt, quality=95)
    assert (
        data[:4] == (b"\x89PNG" if fmt == "png" else b"\xff\xd8\xff\xe0"[:4]) or data[:3] == b"\xff\xd8\xff"
    )
    back = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)[:, :, ::-1]
    assert back.shape == img.shape
    assert np.abs(back.astype(int) - img).mean() < (0.01 if fmt == "png" else 6)
    gray = encode_image(img[:, :, 0], fmt)
    assert cv2.imdecode(np.frombuffer(gray, np.uint8), cv2.IMREAD_UNCHANGED).shape == (48, 64)
    with pytest.raises(ValueError):
        encode_image(img.astype(np.float32), fmt)
    with pytest.raises(ValueError):
        encode_image(img, "gif")


def test_frames_a_seek_cannot_reach_come_from_a_sequential_pass(shot_clip: Path) -> None:
    from verify.shots import _fetch

    keys = {0.52, 1.48, 2.96}
    got = _fetch(shot_clip, Sampling(mode="times", times=(), max_side=40), keys, None)
    assert set(got) == keys
    every = {round(f.time, 6): f.image for f in iter_frames(shot_clip, Sampling(max_side=40))}
    assert all(np.array_equal(got[k], every[k]) for k in keys)


@pytest.mark.corpus
@pytest.mark.slow
def test_real_footage_cuts_and_no_cuts(corpus: Path) -> None:
    """Flash-mob footage has hard cuts (checked by eye); two handheld single-shot clips have none."""
    t, f = features_of(corpus / "files" / "hachoir-flashmob.mkv")
    shots = detect_shots(t, f)
    for cut in (4.28, 6.92, 11.64, 12.76):
        assert min(abs(s - cut) for s in shots) <= 0.05
    assert len(shots) <= 7
    for name in ("mdn-flower.mp4", "te-doorknob-hd-no-bar.mp4"):
        t, f = features_of(corpus / "files" / name)
        assert detect_shots(t, f) == [pytest.approx(t[0])]
