"""Hostile and odd media: random bytes are not footage, picture bombs are refused before decoding,
a 1000 fps clip is sampled at the reference cap, and every reader failure is a VerifyError."""

from __future__ import annotations

import dataclasses
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from tests import media
from tests.runner import run_verify
from verify.errors import FileTooLargeError, NotMediaError, VerifyError
from verify.fingerprint import REFERENCE, fingerprint
from verify.frames import MAX_PIXELS, Sampling, iter_frames
from verify.library import Library
from verify.probe import probe

#: 64-byte files that FFmpeg took for CD Graphics and verify added to a library (seed 1 of
#: benchmarks/random_bytes.py before the format whitelist).
CDG = (
    "09a9fef5e0b276391da560a5e76051dcc687b95e171f51c3807d8467894843e3f2531d78527d222b7e8e167ff3533ef386ab3793ce6aa5128094b956c8e368a4",
    "c0f67d54be9a76e70b66f7136ea5ae7e41cde7c45a2bbf5d49c03ed6298fb6ed2a6ee4355b8e3c331829330095462626eb21745cc3f3827a09961402c4651dc6",
    "c0ab413ae8fc81d40b8aa9260ec8e6a9725b61912f3bd3b44996fe86e2d8aa64867dafe44aa7138685278e40748d44c8d6b05f3dbe6e112cc3234dcb5138b34c",
)


def test_bytes_ffmpeg_takes_for_cd_graphics_are_not_footage(tmp_path: Path) -> None:
    import av

    for i, hexdata in enumerate(CDG):
        path = tmp_path / f"random{i}.bin"
        path.write_bytes(bytes.fromhex(hexdata))
        with av.open(str(path)) as c:  # the reason: FFmpeg itself happily reads it
            assert c.format.name == "cdg"
        with pytest.raises(NotMediaError):
            fingerprint(path)
        with pytest.raises(VerifyError):
            probe(path)
        with Library(":memory:") as lib:
            with pytest.raises(NotMediaError):
                lib.add(path)
            assert len(lib) == 0


def test_a_weak_signature_is_not_a_picture(tmp_path: Path) -> None:
    """``ff 0a`` opens a JPEG XL codestream to FFmpeg (found in 20,000 random files); picture demuxers
    FFmpeg picks by name or by such a signature need bytes that really are a picture."""
    import av

    rng = np.random.default_rng(7)
    fake = tmp_path / "photo.jpg"
    fake.write_bytes(b"\xff\x0a" + rng.integers(0, 256, 510, dtype=np.uint8).tobytes())
    with av.open(str(fake)) as c:
        assert c.format.name == "jpegxl_pipe"
    with pytest.raises(NotMediaError, match="named like a picture"):
        probe(fake)
    with pytest.raises(NotMediaError):
        fingerprint(fake)
    named = tmp_path / "noise.jpg"  # image2 is chosen by the name alone
    named.write_bytes(rng.integers(0, 256, 512, dtype=np.uint8).tobytes())
    with pytest.raises(VerifyError):
        probe(named)
    real = tmp_path / "real.jpg"
    from PIL import Image

    Image.fromarray(rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)).save(real)
    assert probe(real).file.kind == "image" and len(list(iter_frames(real))) == 1


def test_random_bytes_are_never_taken_for_footage(tmp_path: Path) -> None:
    """A small sample in the suite; benchmarks/random_bytes.py runs 20,000."""
    rng = np.random.default_rng(2024)
    accepted = []
    for i in range(400):
        path = tmp_path / f"r{i}{('.bin', '.mp4', '.mov', '.jpg', '.ts')[i % 5]}"
        path.write_bytes(rng.integers(0, 256, int(rng.choice([64, 512, 4096])), dtype=np.uint8).tobytes())
        try:
            fingerprint(path)
            accepted.append(path.name)
        except VerifyError:
            pass
        try:
            info = probe(path)
            if info.file.kind in ("video", "image"):
                accepted.append(f"probe:{path.name}")
        except VerifyError:
            pass
    assert accepted == []


def _png_claiming(tmp_path: Path, width: int, height: int) -> Path:
    """A small real PNG whose IHDR (CRC fixed) claims ``width`` x ``height``."""
    from PIL import Image

    src = tmp_path / "small.png"
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(src)
    data = bytearray(src.read_bytes())
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    out = tmp_path / f"claims-{width}x{height}.png"
    out.write_bytes(bytes(data))
    return out


@pytest.mark.parametrize("side", [12_000, 30_000])
def test_a_picture_bomb_is_refused_before_decoding(tmp_path: Path, side: int) -> None:
    bomb = _png_claiming(tmp_path, side, side)
    assert side * side > MAX_PIXELS
    with pytest.raises(FileTooLargeError, match=r"too large|more than verify decodes"):
        list(iter_frames(bomb))
    info = probe(bomb)  # the probe reads the header only: it says what the file claims
    assert info.file.kind == "image"


@pytest.mark.slow
def test_a_picture_bomb_costs_no_memory_in_the_cli(tmp_path: Path) -> None:
    bomb = _png_claiming(tmp_path, 12_000, 12_000)  # under Pillow's hard limit, 432 MB as RGB
    run = run_verify("hash", str(bomb), "--library", str(tmp_path / "l.db"))
    assert run.code == 3 and not run.traceback and "more than verify decodes" in run.stdout.decode()
    assert run.peak_mb < 250, run.peak_mb  # decoding it would take ~500 MB
    assert b"DecompressionBombWarning" not in run.stderr and b"WARNING" not in run.stderr


def test_sampling_cap_keeps_every_frame_up_to_the_cap_and_thins_above(tmp_path: Path) -> None:
    for fps, expected in ((30, 30), (59.94, 60), (60, 60), (120, 60), (240, 60)):
        clip = media.make_video(tmp_path / f"c{fps}.mp4", seconds=1.0, fps=fps, width=64, height=48)
        every = list(iter_frames(clip, Sampling(width=32, height=32, pixel_format="gray")))
        capped = list(iter_frames(clip, Sampling(width=32, height=32, pixel_format="gray", max_rate=60)))
        assert len(every) == round(fps)
        assert abs(len(capped) - expected) <= 1, (fps, len(capped))
        gaps = np.diff([f.time for f in capped])
        assert gaps.min() >= 0.5 / 60  # never two samples in one slot
        if fps <= 60:
            assert [f.time for f in capped] == [f.time for f in every]  # jitter never drops footage


@pytest.mark.slow
def test_a_1000_fps_clip_fingerprints_at_the_cap(tmp_path: Path) -> None:
    clip = media.make_video(tmp_path / "k1000.mp4", seconds=2.0, fps=1000, width=96, height=72, gop=250)
    fp = fingerprint(clip)
    assert REFERENCE.max_rate == 60
    assert 110 <= len(fp) <= 122 and fp.decoded_frames == 2000  # every frame decoded, 60/s hashed
    assert np.diff(fp.times).min() >= 0.5 / 60
    uncapped = fingerprint(clip, dataclasses.replace(REFERENCE, max_rate=None))
    assert len(uncapped) == 2000
    # the capped samples are the uncapped ones at those times: the same hashes
    picked = np.searchsorted(uncapped.times, fp.times)
    assert np.array_equal(uncapped.hashes[picked], fp.hashes)


def test_settings_refuse_a_bad_cap() -> None:
    from verify.errors import ConfigError

    with pytest.raises(ConfigError):
        dataclasses.replace(REFERENCE, max_rate=0.0).check()
    with pytest.raises(ValueError):
        Sampling(max_rate=-1)
