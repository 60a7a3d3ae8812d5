"""verify.frames on the real corpus: bad inputs fail cleanly, rotations come out upright, true times."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import imagehash
import numpy as np
import pytest
from PIL import Image

from verify.errors import VerifyError
from verify.frames import DecodeStats, Sampling, iter_frames, sample_times

pytestmark = pytest.mark.corpus

BAD_CATEGORIES = ("malformed/odd", "image-malformed/odd")


def manifest(corpus: Path) -> list[dict]:
    return json.loads((corpus / "manifest.json").read_text())["files"]


def bad_names() -> list[str]:
    from tests.conftest import corpus_dir

    c = corpus_dir()
    if c is None:
        return ["(no corpus)"]
    return [e["name"] for e in manifest(c) if e["category"] in BAD_CATEGORIES]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", bad_names())
def test_bad_input_yields_frames_or_a_verify_error(corpus: Path, name: str) -> None:
    path = corpus / "files" / name
    if not path.exists():
        pytest.skip(f"{name} not in this corpus")
    stats = DecodeStats()
    try:
        frames = list(iter_frames(path, Sampling(max_side=64), stats=stats))
    except VerifyError as exc:
        text = str(exc)
        assert str(path) in text and "\n" not in text
        return
    assert frames, "no error but no frame either"
    for f in frames:
        assert f.image.dtype == np.uint8 and f.image.ndim == 3 and max(f.image.shape[:2]) <= 64
        assert np.isfinite(f.time)


def ffmpeg_upright(path: Path, out: Path) -> np.ndarray:
    """First frame as the ffmpeg command line shows it (it applies the display matrix itself)."""
    exe = shutil.which("ffmpeg")
    if exe is None:
        imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
        exe = imageio_ffmpeg.get_ffmpeg_exe()
    subprocess.run(
        [exe, "-v", "error", "-y", "-i", str(path), "-frames:v", "1", str(out)], check=True, timeout=60
    )
    return np.asarray(Image.open(out).convert("RGB"))


@pytest.mark.slow
@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_decord_rotation_clips_come_out_as_ffmpeg_shows_them(
    corpus: Path, tmp_path: Path, rotation: int
) -> None:
    """The four decord clips are stored 568x320 with different display matrices (and film
    different parts of a keyboard, so they do not look alike); each must match ffmpeg's own
    autorotated picture and no other rotation of it."""
    path = corpus / "files" / f"decord-video-{rotation}.mov"
    stats = DecodeStats()
    (ours,) = sample_times(path, [0.0])
    list(iter_frames(path, Sampling(mode="keyframes", max_side=8), stats=stats))
    assert (stats.width, stats.height) == (568, 320)
    theirs = ffmpeg_upright(path, tmp_path / "ref.png")
    assert ours.image.shape == theirs.shape
    assert ours.image.shape[:2] == ((568, 320) if rotation in (90, 270) else (320, 568))
    ref = imagehash.phash(Image.fromarray(theirs))
    distances = {k: imagehash.phash(Image.fromarray(np.rot90(ours.image, k).copy())) - ref for k in range(4)}
    assert distances[0] <= 6
    assert all(distances[k] >= 16 for k in (1, 2, 3))


def test_rotated_copy_is_the_original_turned(corpus: Path) -> None:
    """pigallery2-video-rotate.mp4 is pigallery2-video.mp4 with a 90° display matrix."""
    plain = sample_times(corpus / "files" / "pigallery2-video.mp4", [5.0])[0].image
    turned = sample_times(corpus / "files" / "pigallery2-video-rotate.mp4", [5.0])[0].image
    assert turned.shape == (80, 60, 3)
    h = imagehash.phash(Image.fromarray(np.rot90(plain).copy()))
    assert imagehash.phash(Image.fromarray(turned)) - h <= 10


def test_transport_stream_keeps_its_nonzero_start(corpus: Path) -> None:
    path = corpus / "files" / "hachoir-sample.ts"
    stats = DecodeStats()
    frames = list(iter_frames(path, Sampling(max_side=64), stats=stats))
    assert frames and stats.start_time == pytest.approx(0.36, abs=1e-3)
    assert frames[0].time == pytest.approx(0.36, abs=1e-3)
    (at_start,) = sample_times(path, [0.0], Sampling(max_side=64))  # a seek to the start finds it too
    assert at_start.time == pytest.approx(0.36, abs=1e-3)
    probe = shutil.which("ffprobe")
    if probe:  # ffprobe reports the same presentation time for that frame
        out = subprocess.run(
            [
                probe,
                "-v",
                "error",
                "-select_streams",
                "v:0",
                "-show_entries",
                "frame=pts_time",
                "-of",
                "csv=p=0",
                str(path),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout.split()
        theirs = [float(v.strip(",")) for v in out]  # ffprobe also lists a damaged B-frame at 0.28
        assert any(abs(t - frames[0].time) < 1e-3 for t in theirs)


def test_sampling_modes_on_real_footage(corpus: Path) -> None:
    path = corpus / "files" / "mdn-friday.mp4"
    every = list(iter_frames(path, Sampling(max_side=32, pixel_format="gray")))
    assert len(every) == 185
    times = np.array([f.time for f in every])
    one = list(iter_frames(path, Sampling(mode="fps", fps=1, max_side=32, pixel_format="gray")))
    assert len(one) == 7 and np.all(np.diff([f.time for f in one]) == pytest.approx(1.0, abs=0.04))
    keys = list(iter_frames(path, Sampling(mode="keyframes", max_side=32, pixel_format="gray")))
    assert 1 < len(keys) < 30
    assert all(np.min(np.abs(times - k.time)) < 1e-6 for k in keys)  # keyframes are real frame times
    picked = sample_times(path, [f.time - times[0] for f in one], Sampling(max_side=32, pixel_format="gray"))
    assert [p.time for p in picked] == [f.time for f in one]
    assert all(np.array_equal(p.image, f.image) for p, f in zip(picked, one))


@pytest.mark.slow
def test_heic_grid_is_decoded_whole_and_upright(corpus: Path) -> None:
    pytest.importorskip("pillow_heif")
    stats = DecodeStats()
    (f,) = list(
        iter_frames(corpus / "files" / "exifs-iphone-13-pro-max.heic", Sampling(max_side=400), stats=stats)
    )
    assert (stats.width, stats.height) == (3024, 4032)  # all 48 tiles, not one 512x512 tile
    assert f.image.shape == (400, 300, 3)
