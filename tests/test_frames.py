"""verify.frames on generated clips: sampling modes, true timestamps, sizes, rotation, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from tests import media
from verify.errors import (
    DecodeError,
    EmptyFileError,
    FileTooLargeError,
    MediaNotFoundError,
    NotMediaError,
    NoVideoStreamError,
    VerifyError,
)
from verify.frames import DecodeStats, Sampling, apply_orientation, iter_frames, sample_times

SMALL = Sampling(max_side=32)


def times_of(path: Path, sampling: Sampling = SMALL) -> list[float]:
    return [round(f.time, 4) for f in iter_frames(path, sampling)]


@pytest.fixture(scope="module")
def four_s(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4 s at 25 fps, a keyframe every 12 frames (0.48 s)."""
    return media.make_video(tmp_path_factory.mktemp("f") / "four.mp4", seconds=4.0, gop=12)


def test_every_frame_in_order(four_s: Path) -> None:
    frames = list(iter_frames(four_s, SMALL))
    assert len(frames) == 100
    assert [f.index for f in frames] == list(range(100))
    assert np.allclose([f.time for f in frames], np.arange(100) / 25)


def test_variable_frame_rate_keeps_source_times(tmp_path: Path) -> None:
    vfr = [0.0, 0.04, 0.2, 0.25, 0.9, 1.0, 1.5, 1.52]
    path = media.make_video(tmp_path / "vfr.mp4", times=vfr)
    assert times_of(path) == vfr


@pytest.mark.parametrize("suffix", [".mp4", ".ts", ".mkv"])
def test_stream_starting_late_keeps_its_times(tmp_path: Path, suffix: str) -> None:
    path = media.make_video(tmp_path / f"late{suffix}", seconds=1.0, start=5.0)
    stats = DecodeStats()
    times = [f.time for f in iter_frames(path, SMALL, stats=stats)]
    assert times[0] == pytest.approx(5.0, abs=1e-3)
    assert stats.start_time == pytest.approx(5.0, abs=1e-3)
    assert np.allclose(np.diff(times), 0.04, atol=1e-3)
    # times mode counts from the stream start: 0.53 s in shows the frame at 5.52
    (at,) = sample_times(path, [0.53], SMALL)
    assert at.time == pytest.approx(5.52, abs=1e-3)


def test_fps_mode_takes_first_frame_at_or_after_each_slot(four_s: Path) -> None:
    assert times_of(four_s, Sampling(mode="fps", fps=1, max_side=32)) == [0.0, 1.0, 2.0, 3.0]
    got = [f for f in iter_frames(four_s, Sampling(mode="fps", fps=3, max_side=32))]
    slots = np.arange(12) / 3
    expected = np.ceil(slots * 25 - 1e-6) / 25  # first 25 fps frame at or after each slot
    assert np.allclose([f.time for f in got], expected)
    assert [f.index for f in got] == [round(t * 25) for t in expected]


def test_fps_mode_on_vfr_clip_skips_empty_slots(tmp_path: Path) -> None:
    path = media.make_video(tmp_path / "gaps.mp4", times=[0.0, 0.1, 2.5, 2.6, 3.05, 4.0])
    # slots 0,1,2,3,4: slot 1 and 2 have no frame of their own -> 2.5 covers them once
    assert times_of(path, Sampling(mode="fps", fps=1, max_side=16)) == [0.0, 2.5, 3.05, 4.0]


def test_keyframes_mode_decodes_only_keyframes(four_s: Path) -> None:
    stats = DecodeStats()
    keys = list(iter_frames(four_s, Sampling(mode="keyframes", max_side=32), stats=stats))
    assert np.allclose([k.time for k in keys], np.arange(0, 4, 0.48)[: len(keys)])
    assert len(keys) == 9 and stats.decoded == 9
    assert [k.index for k in keys] == [12 * i for i in range(9)]
    every = {f.index: f.image for f in iter_frames(four_s, SMALL)}
    for k in keys:  # a keyframe decodes to the same picture either way
        assert np.abs(k.image.astype(int) - every[k.index]).mean() < 1.0


def test_times_mode_returns_frame_on_screen(four_s: Path) -> None:
    every = list(iter_frames(four_s, SMALL))
    asked = [3.99, 0.0, 1.0, 1.01, 2.5, 2.5, 0.3, 10.0]
    got = sample_times(four_s, asked, SMALL)
    expected = [0.0, 0.28, 1.0, 1.0, 2.48, 2.48, 3.96, 3.96]  # sorted asks; past the end -> last frame
    assert [round(f.time, 4) for f in got] == expected
    for f in got:  # same pixels as the sequential decode, seek or no seek
        assert np.array_equal(f.image, every[f.index].image)


def test_sizes_and_pixel_formats(four_s: Path) -> None:
    (f,) = sample_times(four_s, [1.0])
    assert f.image.shape == (120, 160, 3) and f.image.dtype == np.uint8 and f.image.flags.c_contiguous
    (g,) = sample_times(four_s, [1.0], Sampling(width=40, pixel_format="gray"))
    assert g.image.shape == (30, 40) and g.image.dtype == np.uint8
    (h,) = sample_times(four_s, [1.0], Sampling(height=60))
    assert h.image.shape == (60, 80, 3)
    (m,) = sample_times(four_s, [1.0], Sampling(max_side=1000))
    assert m.image.shape == (120, 160, 3)  # max_side never enlarges
    # gray is the luma of the colour picture, scaled inside FFmpeg
    luma = f.image.astype(float) @ [0.299, 0.587, 0.114]
    small = luma.reshape(30, 4, 40, 4).mean(axis=(1, 3))
    assert np.abs(small - g.image).mean() < 6


def marked(width: int = 160, height: int = 96) -> media.Painter:
    """Dark picture, a bright block top-left and a gray bar along the top edge: no symmetry."""

    def paint(i: int, t: float) -> np.ndarray:
        img = np.full((height, width, 3), 30, np.uint8)
        img[:8, :, :] = 120
        img[10:40, 10:40] = (250, 40, 40)
        return img

    return paint


@pytest.mark.parametrize("rotation", [90, -90, 180])
def test_display_rotation_makes_frames_upright(tmp_path: Path, rotation: int) -> None:
    painter = marked()
    path = media.make_video(
        tmp_path / f"rot{rotation}.mp4", seconds=0.2, width=160, height=96, painter=painter, rotation=rotation
    )
    stats = DecodeStats()
    (f,) = list(iter_frames(path, Sampling(mode="keyframes"), stats=stats))
    stored = painter(0, 0.0)
    expected = np.rot90(stored, k=rotation // 90)  # display matrix: degrees counter-clockwise
    assert stats.rotation == rotation % 360
    assert f.image.shape == expected.shape
    errors = {
        k: np.abs(np.rot90(stored, k).astype(int) - f.image).mean()
        for k in range(4)
        if np.rot90(stored, k).shape == f.image.shape
    }
    assert min(errors, key=errors.get) == (rotation // 90) % 4
    assert errors[(rotation // 90) % 4] < 4
    # size options refer to the upright picture
    (s,) = list(iter_frames(path, Sampling(mode="keyframes", width=48)))
    assert s.image.shape[1] == 48


@pytest.mark.parametrize("orientation", range(1, 9))
def test_still_exif_orientation_matches_pillow(tmp_path: Path, orientation: int) -> None:
    yy, xx = np.mgrid[0:48, 0:64]
    picture = np.stack([xx * 4, yy * 5, 255 - xx * 2], axis=-1).astype(np.uint8)  # smooth, asymmetric
    picture[4:14, 4:20] = 255
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / f"o{orientation}.jpg"
    Image.fromarray(picture).save(path, exif=exif.tobytes(), quality=95)
    stats = DecodeStats()
    (f,) = list(iter_frames(path, stats=stats))
    upright = np.asarray(ImageOps.exif_transpose(Image.open(path)).convert("RGB")).astype(int)
    assert f.time == 0.0 and stats.orientation == orientation
    assert f.image.shape == upright.shape
    assert np.abs(f.image - upright).mean() < 3
    assert np.array_equal(
        apply_orientation(np.asarray(Image.open(path).convert("RGB")), orientation).shape, upright.shape
    )


def test_png_still_is_one_frame(tmp_path: Path) -> None:
    path = media.make_still(tmp_path / "s.png")
    frames = list(iter_frames(path))
    assert len(frames) == 1 and frames[0].time == 0.0
    assert np.array_equal(frames[0].image, np.asarray(Image.open(path).convert("RGB")))


def corrupt_copy(src: Path, dst: Path, seed: int = 1) -> Path:
    data = bytearray(src.read_bytes())
    rng = np.random.default_rng(seed)
    for off in range(4000, len(data) - 2000, 3000):
        data[off : off + 400] = rng.integers(0, 256, 400, dtype=np.uint8).tobytes()
    dst.write_bytes(bytes(data))
    return dst


def test_corrupt_frames_are_skipped_counted_and_capped(tmp_path: Path) -> None:
    bad = corrupt_copy(media.make_video(tmp_path / "c.ts", seconds=4.0), tmp_path / "bad.ts")
    stats = DecodeStats()
    frames = list(iter_frames(bad, SMALL, stats=stats, max_corrupt=1000))
    assert stats.corrupt > 0 and stats.errors
    assert 0 < len(frames) < 100
    assert len(frames) + stats.corrupt <= 100
    with pytest.raises(DecodeError, match=r"bad\.ts: gave up after 3 corrupt frames"):
        list(iter_frames(bad, SMALL, max_corrupt=2))


def test_truncated_stream_gives_the_frames_it_has(tmp_path: Path) -> None:
    path = media.make_video(tmp_path / "t.ts", seconds=4.0)
    cut = tmp_path / "cut.ts"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    times = times_of(cut)
    assert 10 < len(times) < 100 and times == sorted(times)


def test_user_errors_are_specific(tmp_path: Path) -> None:
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n" * 50)
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    audio = media.make_audio_only(tmp_path / "a.m4a")
    clip = media.make_video(tmp_path / "v.mp4", seconds=0.2)
    cases = [
        (tmp_path / "missing.mp4", MediaNotFoundError, {}),
        (empty, EmptyFileError, {}),
        (text, NotMediaError, {}),
        (tmp_path, NotMediaError, {}),
        (audio, NoVideoStreamError, {}),
        (clip, FileTooLargeError, {"max_bytes": 100}),
    ]
    for path, error, kwargs in cases:
        with pytest.raises(error) as info:
            list(iter_frames(path, SMALL, **kwargs))
        assert isinstance(info.value, VerifyError)
        assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_progress_is_reported(four_s: Path) -> None:
    calls: list[tuple[float, float]] = []
    list(
        iter_frames(
            four_s, Sampling(mode="fps", fps=2, max_side=16), progress=lambda d, t: calls.append((d, t))
        )
    )
    assert calls[-1][0] == calls[-1][1] == pytest.approx(4.0, abs=0.05)
    done = [d for d, _ in calls]
    assert done == sorted(done) and len(calls) >= 4


def test_sampling_rejects_nonsense() -> None:
    for bad in ({"mode": "every"}, {"mode": "fps", "fps": 0}, {"times": (float("nan"),)}, {"width": 0}):
        with pytest.raises(ValueError):
            Sampling(**bad)


def test_sound_is_demuxed_in_the_same_pass(tmp_path: Path) -> None:
    """An audio sink gets the clip's decoded sound from the one pass that decodes the picture."""
    from verify.frames import DecodeStats

    clip = media.make_video(tmp_path / "av.mp4", seconds=2.0, audio=True)
    got: list[int] = []
    stats = DecodeStats()
    frames = list(
        iter_frames(clip, Sampling(mode="fps", fps=2), stats=stats, audio=lambda f: got.append(f.samples))
    )
    assert len(frames) == 4 and stats.decoded == 50  # the picture as without a sink
    assert stats.audio_frames == len(got) > 0 and stats.audio_errors == 0
    assert abs(sum(got) / 44100 - 2.0) < 0.1  # all of the sound, once
    silent = media.make_video(tmp_path / "v.mp4", seconds=1.0)
    none: list[int] = []
    assert len(list(iter_frames(silent, audio=none.append))) == 25 and none == []
