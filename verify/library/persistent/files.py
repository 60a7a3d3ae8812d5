"""Crash-safe files for the persistent index: fsync'd writes, atomic renames, memory maps, a lock.

Every file is written to a temporary name, flushed and ``fsync``'d, then renamed into place and
the folder ``fsync``'d, so a kill at any moment leaves either the old or the new version. Big
arrays are raw little-endian binary (their dtype and shape live in the segment's ``meta.json``)
and are opened as read-only memory maps: opening costs nothing, and only the pages a query
touches are read. :meth:`Mapped.release` drops the touched pages from the process (they stay in
the OS page cache), so a query's resident memory does not grow with the library.
"""

from __future__ import annotations

import fcntl
import json
import mmap
import os
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np


class IndexDamaged(Exception):
    """The index on disk is missing a file, truncated or inconsistent: it is rebuilt, never used."""


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file + fsync + rename + fsync of the folder."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def json_bytes(obj: Any) -> bytes:
    """JSON with a crc32 of its own body, so a torn or edited file is detected."""
    body = json.dumps(obj, sort_keys=True, separators=(",", ":"))
    return json.dumps({"crc32": zlib.crc32(body.encode()), "body": body}).encode()


def read_json(path: Path) -> Any:
    try:
        outer = json.loads(path.read_bytes())
        body = outer["body"]
        if zlib.crc32(body.encode()) != outer["crc32"]:
            raise IndexDamaged(f"{path.name}: checksum mismatch")
        return json.loads(body)
    except FileNotFoundError:
        raise
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexDamaged(f"{path.name}: unreadable ({exc})") from exc


def file_crc(path: Path, block: int = 1 << 22) -> int:
    crc = 0
    with open(path, "rb") as f:
        while chunk := f.read(block):
            crc = zlib.crc32(chunk, crc)
    return crc


class Appender:
    """Appends arrays of one dtype to a raw file (buffered); ``close`` fsyncs and returns the count."""

    def __init__(self, path: Path, dtype: np.dtype[Any] | str) -> None:
        self.path = path
        self.dtype = np.dtype(dtype).newbyteorder("<")
        self.count = 0
        self._f = open(path, "wb", buffering=1 << 20)  # noqa: SIM115 - closed in close()
        self._crc = 0

    def append(self, values: np.ndarray) -> None:
        data = np.ascontiguousarray(values, dtype=self.dtype)
        raw = data.tobytes()
        self._crc = zlib.crc32(raw, self._crc)
        self._f.write(raw)
        self.count += data.shape[0] if data.ndim else 1

    def close(self) -> tuple[int, int]:
        """Flush + fsync; returns (bytes, crc32)."""
        self._f.flush()
        os.fsync(self._f.fileno())
        size = self._f.tell()
        self._f.close()
        return size, self._crc


class Mapped:
    """A read-only memory map of a raw array file, as a numpy array."""

    def __init__(self, path: Path, dtype: str, shape: tuple[int, ...], size: int) -> None:
        self.path = path
        self._mm: mmap.mmap | None = None
        dt = np.dtype(dtype)
        expected = int(np.prod(shape)) * dt.itemsize
        try:
            actual = path.stat().st_size
        except FileNotFoundError as exc:
            raise IndexDamaged(f"{path.name}: missing") from exc
        if actual != size or actual != expected:
            raise IndexDamaged(f"{path.name}: {actual} bytes on disk, {expected} expected")
        if expected == 0:
            self.array = np.zeros(shape, dt)
            return
        with open(path, "rb") as f:
            self._mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        self.array = np.frombuffer(self._mm, dtype=dt).reshape(shape)

    def random_access(self) -> None:
        """Tell the kernel reads are scattered (``MADV_RANDOM``: no read-ahead around a probe)."""
        self._advise("MADV_RANDOM")

    def release(self) -> None:
        """Drop this process's resident pages of the map (the page cache keeps them)."""
        self._advise("MADV_DONTNEED")

    def _advise(self, name: str) -> None:
        if self._mm is not None and hasattr(mmap, name):
            try:
                self._mm.madvise(getattr(mmap, name))
            except OSError:  # pragma: no cover - platform without it
                pass


@contextmanager
def locked(path: Path, timeout: float = 600.0) -> Iterator[None]:
    """An exclusive advisory lock on ``path`` (created if needed), waited for up to ``timeout`` s."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        delay = 0.01
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"index lock {path} held for more than {timeout:.0f} s") from None
                time.sleep(delay)
                delay = min(delay * 2, 0.5)
        yield
    finally:
        os.close(fd)  # closing releases the lock
