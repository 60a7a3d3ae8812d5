"""verify.hashing: bit-identity with imagehash (generated and real frames), the mirror
from the DCT, the Hash value, the quality gate, black bars, and imagehash-style
property tests (slight edits stay close, a 90° rotation or another picture does not)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import imagehash
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from tests import media
from verify.errors import AlgorithmMismatchError, HashingError, MediaNotFoundError, NotMediaError
from verify.frames import Sampling, iter_frames
from verify.hashing import (
    DHASH,
    PHASH,
    QUALITY_THRESHOLD,
    Bars,
    Hash,
    crop_bars,
    detect_bars,
    dhash_batch,
    frame_quality,
    hamming,
    hash_image,
    lanczos_resize_batch,
    phash_batch,
    phash_batch_with_mirror,
    resize_batch,
)

RNG_SEEDS = range(6)


def ih_phash(gray: np.ndarray) -> str:
    return str(imagehash.phash(Image.fromarray(np.ascontiguousarray(gray))))


def ih_dhash(gray: np.ndarray) -> str:
    return str(imagehash.dhash(Image.fromarray(np.ascontiguousarray(gray))))


def hexes(values: np.ndarray) -> list[str]:
    return [f"{int(v):016x}" for v in values]


def gray_of(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def generated_frames(n_textured: int = 120) -> np.ndarray:
    """32x32 frames that stress the median: textured scenes, noise, flat, symmetric, gradients."""
    rng = np.random.default_rng(7)
    painters = [media.textured(96, 96, seed) for seed in range(4)]
    frames = [resize_batch(gray_of(painters[i % 4](i, i / 25)))[0] for i in range(n_textured)]
    frames += list(rng.integers(0, 256, (60, 32, 32), dtype=np.uint8))
    frames += [np.full((32, 32), v, np.uint8) for v in (0, 1, 16, 128, 255)]  # flat: all AC ties
    ramp = np.tile(np.arange(32, dtype=np.uint8) * 8, (32, 1))
    frames += [ramp, ramp.T.copy(), np.ascontiguousarray(ramp[:, ::-1])]
    sym = rng.integers(0, 256, (32, 16), dtype=np.uint8)
    frames += [np.hstack([sym, sym[:, ::-1]])]  # left-right symmetric: odd columns all zero
    checker = (np.indices((32, 32)).sum(0) % 2 * 255).astype(np.uint8)
    frames += [checker, np.eye(32, dtype=np.uint8) * 200]
    return np.stack(frames)


# -- the Hash value ------------------------------------------------------------------------


def test_hash_value_round_trips_and_matches_imagehash_text() -> None:
    img = Image.fromarray(media.textured(64, 48, 3)(0, 0.0))
    ref = imagehash.phash(img)
    h = hash_image(img)
    assert str(h) == str(ref)
    assert Hash.from_hex(str(h)) == h
    assert Hash.from_hex("0x" + str(h).upper()) == h
    assert h.bits.tolist() == ref.hash.tolist()
    other = Hash.from_bits(~ref.hash)
    assert h - other == 64 and other - h == 64 and h - h == 0
    assert h - Hash(PHASH, h.value ^ 0b1011) == 3
    assert len(h) == 64 and int(h) == h.value
    assert json.loads(json.dumps({"h": str(h)}))["h"] == str(h)
    assert Hash(PHASH, 5) == Hash(PHASH, 5) and len({Hash(PHASH, 5), Hash(PHASH, 5)}) == 1


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1))
def test_hash_hex_round_trip_and_distance_agree_with_imagehash(a: int, b: int) -> None:
    ha, hb = Hash(PHASH, a), Hash(PHASH, b)
    assert Hash.from_hex(str(ha)) == ha
    ia, ib = imagehash.hex_to_hash(str(ha)), imagehash.hex_to_hash(str(hb))
    assert str(ia) == str(ha) and ha - hb == ia - ib == hamming(np.uint64(a), np.uint64(b))


def test_hash_value_refuses_other_algorithms_and_bad_input() -> None:
    with pytest.raises(AlgorithmMismatchError):
        _ = Hash(PHASH, 1) - Hash(DHASH, 1)
    for bad in ("", "xyz", "1" * 17):
        with pytest.raises(HashingError):
            Hash.from_hex(bad)
    with pytest.raises(HashingError):
        Hash(PHASH, 1 << 64)
    with pytest.raises(HashingError):
        Hash(PHASH, -1)
    with pytest.raises(HashingError):
        Hash.from_bits(np.zeros(63, bool))
    a, b = np.array([0, 0xFF], np.uint64), np.array([1, 0], np.uint64)
    assert hamming(a, b).tolist() == [1, 8]


# -- bit identity --------------------------------------------------------------------------


def test_phash_batch_is_bit_identical_on_generated_frames() -> None:
    frames = generated_frames()
    plain, mirror = phash_batch_with_mirror(frames)
    assert np.array_equal(plain, phash_batch(frames))
    assert hexes(plain) == [ih_phash(f) for f in frames]
    assert hexes(mirror) == [ih_phash(f[:, ::-1]) for f in frames]
    assert hexes(phash_batch(frames[:, :, ::-1])) == hexes(mirror)
    assert hexes(dhash_batch(frames)) == [ih_dhash(f) for f in frames]


def test_batches_accept_one_frame_empty_batches_and_refuse_bad_arrays() -> None:
    frame = generated_frames(2)[0]
    assert hexes(phash_batch(frame)) == [ih_phash(frame)]
    assert phash_batch(np.zeros((0, 32, 32), np.uint8)).shape == (0,)
    assert dhash_batch(np.zeros((0, 40, 40), np.uint8)).dtype == np.uint64
    with pytest.raises(HashingError):
        phash_batch(np.zeros((2, 32, 32), np.float32))
    with pytest.raises(HashingError):
        phash_batch(np.zeros((2, 2, 32, 32), np.uint8))


def test_other_sizes_are_resized_like_pillow() -> None:
    rng = np.random.default_rng(11)
    for _ in range(60):
        h, w = (int(x) for x in rng.integers(3, 90, 2))
        tw, th = (int(x) for x in rng.integers(2, 60, 2))
        batch = rng.integers(0, 256, (2, h, w), dtype=np.uint8)
        batch[1] = np.sort(batch[1], axis=1)  # smooth rows too
        ours = lanczos_resize_batch(batch, tw, th)
        for i in range(2):
            ref = np.asarray(Image.fromarray(batch[i]).resize((tw, th), Image.Resampling.LANCZOS))
            assert np.array_equal(ours[i], ref), (h, w, tw, th)
    frames = np.stack([gray_of(media.textured(72, 40, s)(s, 0.1 * s)) for s in range(20)])
    assert hexes(phash_batch(frames)) == [ih_phash(f) for f in frames]
    assert hexes(dhash_batch(frames)) == [ih_dhash(f) for f in frames]


REAL_CLIPS = (
    "te-chair-orig-22-sd-bar.mp4",
    "te-pattern-hd-no-bar.mp4",
    "imageio-cockatoo.mp4",
    "gopro-karma.mp4",
    "moviepy-chaplin.mp4",
    "hachoir-flashmob.mkv",
    "decord-flipping-a-pancake.mkv",
)


@pytest.mark.slow
@pytest.mark.corpus
def test_phash_batch_is_bit_identical_on_thousands_of_real_frames(corpus: Path) -> None:
    frames = []
    for name in REAL_CLIPS:
        sampling = Sampling(mode="all", width=32, height=32, pixel_format="gray")
        frames += [f.image for f in iter_frames(corpus / "files" / name, sampling)]
    batch = np.stack(frames)
    assert len(batch) >= 2000
    plain, mirror = phash_batch_with_mirror(batch)
    assert hexes(plain) == [ih_phash(f) for f in batch]
    assert hexes(mirror) == [ih_phash(f[:, ::-1]) for f in batch]
    assert hexes(dhash_batch(batch)) == [ih_dhash(f) for f in batch]
    # and pictures of other sizes, resized the way imagehash does
    some = np.stack(frames[::25])
    big = resize_batch(some, (57, 41))
    assert hexes(phash_batch(big)) == [ih_phash(f) for f in big]


def test_hash_image_uses_imagehash_and_reports_bad_files(tmp_path: Path) -> None:
    still = media.make_still(tmp_path / "s.png", 96, 64, seed=2)
    with Image.open(still) as img:
        assert str(hash_image(still)) == str(imagehash.phash(img))
        assert str(hash_image(still, DHASH)) == str(imagehash.dhash(img))
        assert hash_image(still, DHASH).algorithm == DHASH
    with pytest.raises(MediaNotFoundError):
        hash_image(tmp_path / "missing.png")
    (tmp_path / "x.png").write_text("not a picture")
    with pytest.raises(NotMediaError):
        hash_image(tmp_path / "x.png")
    with pytest.raises(HashingError):
        hash_image(still, "ahash-64/v1")


# -- quality -------------------------------------------------------------------------------


def test_quality_gates_black_flat_and_faded_frames() -> None:
    scene = gray_of(media.textured(128, 128, 4)(0, 0.0))
    rng = np.random.default_rng(1)
    black = np.clip(rng.normal(2, 1.5, (128, 128)), 0, 255).astype(np.uint8)  # near black, noisy
    grey = np.clip(rng.normal(128, 1.5, (128, 128)), 0, 255).astype(np.uint8)
    fade = np.stack([(scene * k).astype(np.uint8) for k in (1.0, 0.6, 0.3, 0.1, 0.03)])
    scores = frame_quality(np.stack([scene, black, grey]))
    assert scores[0] > 3 * QUALITY_THRESHOLD
    assert scores[1] < QUALITY_THRESHOLD and scores[2] < QUALITY_THRESHOLD
    fade_scores = frame_quality(fade)
    assert np.all(np.diff(fade_scores) < 0)
    assert fade_scores[0] >= QUALITY_THRESHOLD > fade_scores[-1]
    assert frame_quality(np.zeros((0, 8, 8), np.uint8)).shape == (0,)


@pytest.mark.corpus
def test_real_frames_pass_the_quality_gate(corpus: Path) -> None:
    sampling = Sampling(mode="fps", fps=2, width=128, height=128, pixel_format="gray")
    frames = np.stack([f.image for f in iter_frames(corpus / "files" / "imageio-cockatoo.mp4", sampling)])
    assert np.mean(frame_quality(frames) >= QUALITY_THRESHOLD) > 0.95


# -- black bars ----------------------------------------------------------------------------


def clip_frames(n: int = 24, w: int = 160, h: int = 90, seed: int = 0) -> np.ndarray:
    paint = media.textured(w, h, seed)
    return np.stack([gray_of(paint(i, i / 8)) for i in range(n)])


def pad(frames: np.ndarray, top: int, bottom: int, left: int, right: int, noise: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(3)
    out = np.stack([np.pad(f, ((top, bottom), (left, right)), constant_values=16) for f in frames])
    if noise:
        out = np.clip(out + rng.normal(0, noise, out.shape), 0, 255).astype(np.uint8)
    return out


def test_detects_letterbox_pillarbox_and_vertical_bars() -> None:
    frames = clip_frames()
    for bars in [(20, 20, 0, 0), (0, 0, 30, 30), (125, 125, 0, 0), (12, 20, 4, 0)]:
        found = detect_bars(pad(frames, *bars, noise=2.0))
        for want, got in zip(bars, found):
            assert want <= got <= want + 2 if want else got == 0, (bars, found)
    assert detect_bars(frames) == Bars()


def test_dark_content_and_black_frames_are_not_bars() -> None:
    frames = clip_frames()
    dark = frames.copy()
    dark[:, :30] = (dark[:, :30] * 0.12).astype(np.uint8)  # a dark sky: dim, but not steady and not empty
    assert detect_bars(dark).top == 0
    assert detect_bars(np.zeros((10, 90, 160), np.uint8)) == Bars()
    assert detect_bars(np.full((1, 4, 4), 200, np.uint8)) == Bars()


def test_clip_with_bars_hashes_like_the_original() -> None:
    frames = resize_batch(clip_frames(w=320, h=180), (128, 128))
    original = phash_batch(resize_batch(clip_frames(w=320, h=180)))
    # the same clip letterboxed in a 9:16 vertical frame, scaled to the 128x128 work size
    vertical = np.stack(
        [cv2.resize(f, (180, 101), interpolation=cv2.INTER_AREA) for f in clip_frames(w=320, h=180)]
    )
    vertical = pad(vertical, 110, 109, 0, 0, noise=1.5)
    work = resize_batch(vertical, (128, 128))
    bars = detect_bars(work)
    cropped = phash_batch(resize_batch(crop_bars(work, bars)))
    uncropped = phash_batch(resize_batch(work))
    assert np.median(hamming(cropped, original)) <= 6
    assert np.median(hamming(uncropped, original)) > 12  # without removal it would not match
    pillar = resize_batch(pad(frames, 0, 0, 24, 24), (128, 128))
    assert (
        np.median(hamming(phash_batch(resize_batch(crop_bars(pillar, detect_bars(pillar)))), original)) <= 6
    )
    with pytest.raises(HashingError):
        crop_bars(frames, Bars(64, 64, 0, 0))


# -- properties, à la imagehash -------------------------------------------------------------


def transformed(img: np.ndarray, angle: float = 0.0, scale: float = 1.0) -> np.ndarray:
    h, w = img.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
    return cv2.warpAffine(img, m, (w, h), borderMode=cv2.BORDER_REFLECT)


def test_slight_edits_stay_close_big_ones_do_not() -> None:
    for seed in RNG_SEEDS:
        rng = np.random.default_rng(seed)
        img = gray_of(media.textured(160, 160, seed)(seed, 0.3 * seed))
        other = gray_of(media.textured(160, 160, seed + 100)(0, 0.0))
        noisy = np.clip(img + rng.normal(0, 6, img.shape), 0, 255).astype(np.uint8)
        near = [transformed(img, angle=2), transformed(img, scale=1.05), noisy, (img * 0.8).astype(np.uint8)]
        far = [np.rot90(img).copy(), other]
        h0 = Hash(PHASH, int(phash_batch(resize_batch(img))[0]))
        for edit in near:
            assert h0 - Hash(PHASH, int(phash_batch(resize_batch(edit))[0])) <= 10, seed
        for edit in far:
            assert h0 - Hash(PHASH, int(phash_batch(resize_batch(edit))[0])) >= 14, seed


# -- crop windows ----------------------------------------------------------------------------


def test_off_centre_crops_meet_the_reference_centre_through_a_window() -> None:
    from verify.hashing.variants import WINDOW_INNER, hash_variants, window_variants

    big = clip_frames(n=12, w=480, h=270)
    names = window_variants()
    ref = hash_variants(resize_batch(big, 128), Bars(), 16 / 9, [f"crop{round(WINDOW_INNER * 100)}"]).hashes
    h, w = big.shape[1:]
    for keep, x, y in [(0.82, 0.9, 0.1), (0.88, 0.0, 0.6), (0.8, 0.5, 1.0)]:
        cw, ch = round(w * keep), round(h * keep)
        ox, oy = round((w - cw) * x), round((h - ch) * y)
        crop = big[:, oy : oy + ch, ox : ox + cw]
        for flip in (False, True):
            query = crop[:, :, ::-1] if flip else crop
            hashes = hash_variants(resize_batch(query, 128), Bars(), 16 / 9, names).hashes
            dist = np.stack([hamming(hashes[:, i], ref[:, 0]) for i in range(len(names))])
            best = int(np.argmin(np.median(dist, axis=1)))
            assert np.median(dist[best]) <= 8, (keep, x, y, flip, names[best])  # radius is 10
            assert names[best].endswith("+mirror") == flip
            whole = hash_variants(resize_batch(query, 128), Bars(), 16 / 9, ["full"]).hashes
            assert np.median(hamming(whole[:, 0], ref[:, 0])) > 12  # the whole crop would not match


def test_off_centre_vertical_frame_loses_both_bars() -> None:
    frames = clip_frames(w=160, h=90)
    # a 16:9 picture at 35% of the slack of a 9:16 frame: bars of 44% and 24% of the height
    found = detect_bars(pad(frames, 64, 130, 0, 0, noise=1.0))
    assert 64 <= found.top <= 66 and 130 <= found.bottom <= 132, found
    # one lone dark band of 45% is still not a bar (a dark floor, a night sky)
    assert detect_bars(pad(frames, 0, 100, 0, 0, noise=1.0)).bottom == 0


def test_band_grid_finds_a_picture_pasted_off_centre_over_blur() -> None:
    from verify.hashing.variants import band_variants, base_box, hash_variants

    assert base_box("band43-50")(16 / 9) == (0.0, 0.0, 1.0, 1.0)  # not taller than 4:3: the whole picture
    clip = clip_frames(n=12, w=320, h=180)
    original = phash_batch(resize_batch(clip))
    for y in (0.35, 0.65):
        canvas = np.stack([cv2.GaussianBlur(cv2.resize(f, (180, 320)), (0, 0), 12) for f in clip])
        top = round((320 - 101) * y)
        canvas[:, top : top + 101] = np.stack([cv2.resize(f, (180, 101)) for f in clip])
        names = band_variants()
        hashes = hash_variants(resize_batch(canvas, 128), Bars(), 180 / 320, names).hashes
        dist = np.median(np.stack([hamming(hashes[:, i], original) for i in range(len(names))]), axis=1)
        assert names[int(np.argmin(dist))] == f"band169-{round(y * 100)}" and dist.min() <= 6, dist
        centred = hash_variants(resize_batch(canvas, 128), Bars(), 180 / 320, ["band169"]).hashes
        assert np.median(hamming(centred[:, 0], original)) > 10  # the centred band misses it


def test_inset_is_found_and_hashes_like_the_original() -> None:
    from verify.hashing.inset import detect_inset
    from verify.hashing.variants import hash_variants

    clip = clip_frames(n=16, w=320, h=180)
    original = phash_batch(resize_batch(clip))
    background = clip_frames(n=16, w=480, h=270, seed=9)
    inset = np.stack([cv2.resize(f, (200, 112), interpolation=cv2.INTER_AREA) for f in clip])
    frames = background.copy()
    frames[:, 130:250, 236:444] = 255  # a white frame line of 4 pixels around the inset
    frames[:, 134:246, 240:440] = inset
    box = detect_inset(resize_batch(frames, 128))
    assert box is not None
    assert box == pytest.approx((240 / 480, 134 / 270, 440 / 480, 246 / 270), abs=0.03)
    hashes = hash_variants(resize_batch(frames, 128), Bars(), 16 / 9, ["inset", "full"]).hashes
    assert np.median(hamming(hashes[:, 0], original)) <= 6
    assert np.median(hamming(hashes[:, 1], original)) > 14
    # no rectangle: a moving textured scene, a static one, a black clip
    assert detect_inset(resize_batch(background, 128)) is None
    assert detect_inset(np.repeat(resize_batch(background[:1], 128), 8, axis=0)) is None
    assert detect_inset(np.zeros((8, 128, 128), np.uint8)) is None
