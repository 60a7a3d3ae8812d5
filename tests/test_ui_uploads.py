"""ui.uploads and the server's streaming upload parser (real bytes, real files, real library)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import time
from pathlib import Path

import pytest

from tests import media
from ui import cases, config, server, uploads
from verify.digest import Digests
from verify.notes import Notes

BOUNDARY = b"----WebKitFormBoundaryq7bJ2Lr0Xq9ZkPcd"
DIGESTS = Digests("0" * 64, "0" * 32, 10)


def form_body(name: bytes, data: bytes, field: bytes | None = None) -> bytes:
    """A multipart body as chromium sends it for Streamlit's uploader (optionally a form field first)."""
    out = b""
    if field is not None:
        out += b"--" + BOUNDARY + b'\r\nContent-Disposition: form-data; name="note"\r\n\r\n' + field + b"\r\n"
    out += b"--" + BOUNDARY + b"\r\n"
    out += b'Content-Disposition: form-data; name="UploadedFile"; filename="' + name + b'"\r\n'
    out += b"Content-Type: video/mp4\r\n\r\n" + data + b"\r\n--" + BOUNDARY + b"--\r\n"
    return out


async def feed(form: server._Form, body: bytes, rng: random.Random) -> None:
    i = 0
    while i < len(body):
        n = rng.choice([1, 7, 64, 4096, 65536, 1 << 20])
        await form.feed(body[i : i + n])
        i += n
    await form.finish()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_streamed_form_writes_the_file_and_hands_on_an_empty_one(tmp_path: Path, seed: int) -> None:
    from python_multipart.multipart import MultipartParser

    rng = random.Random(seed)
    # data that looks like the boundary's start in places, to catch a parser that splits wrongly
    data = (
        bytes(rng.getrandbits(8) for _ in range(300_000)) + b"\r\n--" + BOUNDARY[:-3] + os.urandom(3_000_000)
    )
    body = form_body(b"![q](https:attacker.example).mp4", data, field=b"kept")
    spool = tmp_path / "x.part"
    form = server._Form(BOUNDARY, spool)
    asyncio.run(feed(form, body, rng))
    assert spool.read_bytes() == data and form.size == len(data)
    assert form.digests() == Digests(
        hashlib.sha256(data).hexdigest(), hashlib.md5(data).hexdigest(), len(data)
    )
    assert form.files == 1 and not form.error

    parts: list[dict[str, object]] = []
    parser = MultipartParser(
        BOUNDARY,
        {
            "on_part_begin": lambda: parts.append({"data": b""}),
            "on_part_data": lambda d, s, e: parts[-1].update(data=parts[-1]["data"] + d[s:e]),  # type: ignore[operator]
        },
    )
    placeholder = form.placeholder()
    parser.write(placeholder)
    parser.finalize()
    assert [p["data"] for p in parts] == [b"kept", b""]  # the field kept, the file emptied
    assert b'filename="![q](https:attacker.example).mp4"' in placeholder


def test_an_oversized_form_field_is_refused(tmp_path: Path) -> None:
    form = server._Form(BOUNDARY, tmp_path / "x.part")
    asyncio.run(feed(form, form_body(b"a.mp4", b"x", field=b"y" * (server.MAX_FIELD + 1)), random.Random(0)))
    assert form.error


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> config.DataPaths:
    monkeypatch.setenv("VERIFY_DATA", str(tmp_path / "data"))
    return config.paths()


def spool(paths: config.DataPaths, name: str, size: int = 10) -> Path:
    p = uploads.incoming_dir(paths) / name
    p.write_bytes(b"x" * size)
    return p


def test_sweep_deletes_unclaimed_and_stray_spools_but_not_live_transfers(data: config.DataPaths) -> None:
    now = time.time()
    old = spool(data, "old.part")
    fresh = spool(data, "fresh.part")
    stray = spool(data, "stray.part")  # left by an earlier server run
    busy = spool(data, "busy.part")  # still being written
    uploads.register(
        "s1", "f-old", uploads.Spooled(old, DIGESTS, "a.mp4", "s1", now - uploads.INCOMING_TTL - 5)
    )
    uploads.register("s1", "f-fresh", uploads.Spooled(fresh, DIGESTS, "b.mp4", "s1", now))
    uploads.writing(busy.name, True)
    try:
        assert uploads.sweep_incoming(data, now=now) == 2
        assert not old.exists() and not stray.exists() and fresh.exists() and busy.exists()
        assert uploads.claim("s1", "f-fresh") is not None and uploads.claim("s1", "f-old") is None
    finally:
        uploads.writing(busy.name, False)
        uploads.discard("s1", "f-fresh")


def make_upload(paths: config.DataPaths, tag: str, size: int, age: float) -> tuple[Path, str]:
    body = (tag.encode() * (size // len(tag) + 1))[:size]
    sha = hashlib.sha256(body).hexdigest()
    p = paths.uploads / f"{sha[:16]}-{tag}.mp4"
    p.write_bytes(body)
    os.utime(p, (time.time() - age, time.time() - age))
    cases.log(paths.cases, sha, "received", f"{tag}.mp4, uploaded", name=f"{tag}.mp4", digest=sha)
    (paths.previews / f"{sha}.mp4").write_bytes(b"preview")
    return p, sha


def test_the_cap_removes_the_oldest_uploads_not_attached_to_a_case(data: config.DataPaths) -> None:
    mb = 1 << 20
    noted, noted_sha = make_upload(data, "noted", mb, age=500)  # oldest, but the analyst wrote notes
    exported, exported_sha = make_upload(data, "exported", mb, age=400)
    old, old_sha = make_upload(data, "old", mb, age=300)
    newer, _ = make_upload(data, "newer", mb, age=200)
    current, current_sha = make_upload(data, "current", mb, age=0)
    cases.save_notes(data.cases, noted_sha, Notes().with_verdict("false", "recycled"))
    cases.log(data.cases, exported_sha, "exported", "report as PDF")

    removed = uploads.enforce_cap(data, keep={current_sha}, limit=3 * mb)
    assert removed == [old.name, newer.name]  # oldest unattached first, until it fits
    assert noted.exists() and exported.exists() and current.exists()
    assert not (data.previews / f"{old_sha}.mp4").exists()
    steps = [e.step for e in cases.load(data.cases, old_sha).custody]
    assert steps == ["received", "upload removed"]  # the case keeps its log, and says so
    assert uploads.usage(data) <= 3 * mb


def test_the_cap_keeps_uploads_that_are_library_references(data: config.DataPaths, tmp_path: Path) -> None:
    from verify.library import Library, Provenance

    clip = media.make_video(tmp_path / "ref.mp4", seconds=1.0)
    sha = hashlib.sha256(clip.read_bytes()).hexdigest()
    stored = data.uploads / f"{sha[:16]}-ref.mp4"
    stored.write_bytes(clip.read_bytes())
    os.utime(stored, (time.time() - 999, time.time() - 999))
    cases.log(data.cases, sha, "received", "ref.mp4, uploaded", digest=sha)
    with Library(data.user_library) as lib:
        assert lib.add(stored, Provenance(title="known")).status == "added"
    _, other_sha = make_upload(data, "other", 1 << 20, age=10)
    assert uploads.enforce_cap(data, keep={other_sha}, limit=1) == []
    assert stored.exists()


def test_the_cap_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(config.UPLOAD_CAP_ENV, raising=False)
    assert config.upload_cap() == 10 << 30
    monkeypatch.setenv(config.UPLOAD_CAP_ENV, "500M")
    assert config.upload_cap() == 500 << 20
    monkeypatch.setenv(config.UPLOAD_CAP_ENV, "2.5G")
    assert config.upload_cap() == int(2.5 * (1 << 30))
    with pytest.raises(ValueError):
        config.parse_size("lots")


def test_the_servers_allocator_is_tuned_and_trimmed() -> None:
    """ui.memory: on glibc the arena cap applies and a trim runs (a no-op elsewhere, never an error)."""
    import sys

    from ui import memory

    if sys.platform.startswith("linux") and memory._libc() is not None:
        assert memory.tune() is True
    block = bytearray(64 << 20)  # freed at once: the trim may hand it back
    del block
    assert memory.trim() in (True, False)
