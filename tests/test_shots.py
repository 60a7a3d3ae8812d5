"""verify.shots: cut and fade detection on generated clips, keyframe choice (pure functions)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from tests import media
from verify.frames import Sampling, iter_frames
from verify.shots import FEATURE_SIZE, detect_shots, pick, select_keyframes, shot_features


def features_of(path: Path) -> tuple[np.ndarray, np.ndarray]:
    frames = list(iter_frames(path, Sampling(max_side=96, pixel_format="gray")))
    return np.array([f.time for f in frames]), shot_features(np.stack([f.image for f in frames]))


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
        shot_features(np.zeros((8, 8), np.float32))


def test_shot_feature_distance_is_bounded() -> None:
    black, white = np.zeros((32, 32), np.uint8), np.full((32, 32), 255, np.uint8)
    fb, fw = shot_features(black)[0], shot_features(white)[0]
    assert fb.shape == (FEATURE_SIZE,) and fb.dtype == np.float32
    assert np.abs(fb - fw).mean() == pytest.approx(1.0, abs=1e-5)  # the largest possible change
    assert np.abs(fb - fb).mean() == 0.0


def test_odd_sizes_are_resized_first_and_match_the_block_means() -> None:
    flat = np.full((2, 32, 32), 77, np.uint8)
    ramp = np.tile(np.linspace(0, 255, 32).astype(np.uint8), (32, 1))[None]
    for frames in (flat, ramp):
        odd = np.stack([cv2.resize(f, (45, 37), interpolation=cv2.INTER_LINEAR) for f in frames])
        assert shot_features(odd).shape == (len(frames), FEATURE_SIZE)
        # the same picture at another size gives (nearly) the same feature
        assert np.abs(shot_features(odd) - shot_features(frames)).mean() < 0.05


def test_pick_takes_the_sharpest_of_the_most_typical() -> None:
    typical = np.array([0.0, 9.0, 0.1, 0.2, 8.0, 0.15, 7.0, 0.05, 9.0, 9.0, 9.0, 0.0])
    sharp = np.array([99.0, 1000.0, 5.0, 50.0, 2000.0, 10.0, 3000.0, 20.0, 1.0, 1.0, 1.0, 99.0])
    # the first and last tenth are left out (the typical, sharp 0 and 11); of the closest 30 %
    # (0.1, 0.15, 0.05) the sharpest; a sharp but atypical frame (4, 6) never wins
    assert pick(typical, sharp) == 7
    ruled_out = typical.copy()
    ruled_out[7] = np.inf
    assert pick(ruled_out, sharp) == 3


def test_select_keyframes_one_per_shot_extras_for_long_shots_and_a_limit() -> None:
    times = np.arange(0, 30, 0.5)
    hashes = np.arange(len(times), dtype=np.uint64)
    sharp = np.ones(len(times))
    picks = select_keyframes(times, hashes, sharp, [0.0, 5.0], 30.0, long_shot_every=10.0, max_per_shot=3)
    assert [p.shot for p in picks] == [1, 2, 2, 2]  # a 5 s shot, then a 25 s shot in three parts
    assert picks[0].shot_start == 0.0 and picks[0].shot_end == 5.0 and picks[1].shot_end == 30.0
    assert all(0 <= times[p.position] < 5 for p in picks[:1])
    assert len(select_keyframes(times, hashes, sharp, [0.0, 5.0], 30.0, limit=2)) == 2
    # samples without a picture (sharpness -inf) are never picked
    blind = np.where(times < 5, -np.inf, 1.0)
    assert [p.shot for p in select_keyframes(times, hashes, blind, [0.0, 5.0], 30.0)] == [2, 2, 2]
    with pytest.raises(ValueError):
        select_keyframes(times, hashes, sharp, [0.0], 30.0, max_per_shot=0)


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
