"""verify.c2pa_marker: whether a file embeds Content Credentials, from its structure alone."""

from __future__ import annotations

import struct
from pathlib import Path

from PIL import Image

from tests import media
from verify.c2pa_marker import C2PA_UUID, has_embedded_manifest
from verify.probe import probe


def _head(p: Path) -> bytes:
    return p.read_bytes()[:4096]


def test_mp4_with_and_without_the_c2pa_uuid_box(tmp_path: Path) -> None:
    clip = media.make_video(tmp_path / "c.mp4", seconds=0.5)
    assert has_embedded_manifest(clip, _head(clip)) is False
    signed = tmp_path / "signed.mp4"
    payload = C2PA_UUID + b"\x00" * 8 + b"jumbf..."
    signed.write_bytes(clip.read_bytes() + struct.pack(">I4s", 8 + len(payload), b"uuid") + payload)
    assert has_embedded_manifest(signed, _head(signed)) is True
    other_uuid = tmp_path / "other.mp4"
    payload = b"\x11" * 16 + b"data"
    other_uuid.write_bytes(clip.read_bytes() + struct.pack(">I4s", 8 + len(payload), b"uuid") + payload)
    assert has_embedded_manifest(other_uuid, _head(other_uuid)) is False


def test_jpeg_app11_jumbf_and_png_cabx(tmp_path: Path) -> None:
    jpg = tmp_path / "a.jpg"
    Image.new("RGB", (16, 16), (200, 10, 10)).save(jpg)
    assert has_embedded_manifest(jpg, _head(jpg)) is False
    data = jpg.read_bytes()
    body = b"JP\x02\x11" + b"\x00" * 12 + b"jumb"
    app11 = b"\xff\xeb" + struct.pack(">H", len(body) + 2) + body
    marked = tmp_path / "m.jpg"
    marked.write_bytes(data[:2] + app11 + data[2:])
    assert has_embedded_manifest(marked, _head(marked)) is True
    png = tmp_path / "a.png"
    Image.new("RGB", (8, 8)).save(png)
    assert has_embedded_manifest(png, _head(png)) is False
    raw = png.read_bytes()
    chunk = struct.pack(">I4s", 4, b"caBX") + b"jumb" + b"\x00\x00\x00\x00"
    marked_png = tmp_path / "m.png"
    marked_png.write_bytes(raw[:33] + chunk + raw[33:])  # after IHDR
    assert has_embedded_manifest(marked_png, _head(marked_png)) is True


def test_damaged_or_other_formats_are_unknown(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00\x00\x00\x04ftypisom")  # a box shorter than its header
    assert has_embedded_manifest(bad, _head(bad)) is None
    mkv = media.make_video(tmp_path / "c.mkv", seconds=0.3)
    assert has_embedded_manifest(mkv, _head(mkv)) is None


def test_probe_skips_the_reader_when_nothing_is_embedded(tmp_path: Path, monkeypatch) -> None:
    import c2pa

    def refuse(*a, **k):
        raise AssertionError("the C2PA reader was asked to read a file with no manifest")

    monkeypatch.setattr(c2pa.Reader, "try_create", refuse)
    clip = media.make_video(tmp_path / "c.mp4", seconds=0.5)
    assert probe(clip).c2pa.state == "none"
