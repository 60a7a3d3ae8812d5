"""Streamed file digests: the one place verify reads a whole file to hash it (never into memory at once)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20
#: Bytes kept from the start of a file for sniffing its type.
HEAD = 4096

Progress = Callable[[float, float], None]


@dataclass(frozen=True)
class Digests:
    """What one pass over a file's bytes gives: its sha256 and md5, its size and its first bytes."""

    sha256: str
    md5: str
    size: int
    head: bytes = b""


def _blocks(fh: BinaryIO, chunk: int) -> Iterable[bytes]:
    while block := fh.read(chunk):
        yield block


def scan(
    path: str | Path, *, chunk: int = CHUNK, head: int = HEAD, progress: Progress | None = None
) -> Digests:
    """sha256, md5, size and the first ``head`` bytes of a file, in one streamed pass."""
    sha, md5 = hashlib.sha256(), hashlib.md5(usedforsecurity=False)
    first = b""
    size = 0
    total = float(Path(path).stat().st_size) if progress is not None else 0.0
    with open(path, "rb") as fh:
        for block in _blocks(fh, chunk):
            if len(first) < head:
                first += block[: head - len(first)]
            sha.update(block)
            md5.update(block)
            size += len(block)
            if progress is not None:
                progress(float(size), max(total, float(size)))
    return Digests(sha.hexdigest(), md5.hexdigest(), size, first)


def copy_digests(src: BinaryIO, dest: BinaryIO, *, chunk: int = 4 * CHUNK, head: int = HEAD) -> Digests:
    """Copy ``src`` to ``dest`` while hashing it: an upload is hashed as it is written, never re-read."""
    sha, md5 = hashlib.sha256(), hashlib.md5(usedforsecurity=False)
    first = b""
    size = 0
    for block in _blocks(src, chunk):
        if len(first) < head:
            first += block[: head - len(first)]
        sha.update(block)
        md5.update(block)
        dest.write(block)
        size += len(block)
    return Digests(sha.hexdigest(), md5.hexdigest(), size, first)


def file_digests(path: str | Path, chunk: int = CHUNK) -> tuple[str, str]:
    """(sha256, md5) of a file in one streamed pass."""
    d = scan(path, chunk=chunk, head=0)
    return d.sha256, d.md5


def sha256_file(path: str | Path, chunk: int = CHUNK) -> str:
    """sha256 of a file, streamed."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in _blocks(fh, chunk):
            h.update(block)
    return h.hexdigest()


def sha256_stream(fh: BinaryIO, chunk: int = CHUNK, limit: int | None = None) -> tuple[str, int]:
    """sha256 and length of what ``fh`` yields (at most ``limit`` + 1 bytes are read when given)."""
    h = hashlib.sha256()
    size = 0
    for block in _blocks(fh, chunk):
        h.update(block)
        size += len(block)
        if limit is not None and size > limit:
            break
    return h.hexdigest(), size


def sha256_bytes(data: bytes) -> str:
    """sha256 of bytes already in memory (a picture, an export)."""
    return hashlib.sha256(data).hexdigest()
