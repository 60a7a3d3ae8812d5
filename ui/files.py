"""Files the analyst brings in: uploads saved to disk once (named by sha256), local paths hashed.

Nothing here interprets media; it only moves bytes and names them. Uploads are streamed to disk
in chunks while their sha256 and md5 are computed (``verify.digest``), so a 2 GB upload is never
held twice in memory and never read again to be hashed; a file opened by path is hashed once.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from verify.digest import Digests, copy_digests, scan

CHUNK = 4 << 20

_hash_cache: dict[tuple[str, int, int], Digests] = {}
_hash_lock = threading.Lock()


@dataclass(frozen=True)
class Loaded:
    """The file under examination: where it is, its sha256, the name to show and how it came in."""

    path: Path
    sha256: str
    name: str
    origin: str  # "upload", "path", "sample"
    size: int
    md5: str = ""


def file_digests(path: Path, progress: Callable[[float, float], None] | None = None) -> Digests:
    """sha256 + md5 in one streamed pass, remembered per (path, size, mtime): a file is hashed once."""
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    with _hash_lock:
        if key in _hash_cache:
            return _hash_cache[key]
    value = scan(path, chunk=CHUNK, head=0, progress=progress)
    with _hash_lock:
        _hash_cache[key] = value
    return value


def safe_name(name: str, limit: int = 80) -> str:
    """A file name safe to create on any system (the original name is kept for display)."""
    base = Path(name).name
    stem, suffix = os.path.splitext(base)
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._") or "upload"
    suffix = re.sub(r"[^A-Za-z0-9.]+", "", suffix)[:10]
    return stem[: limit - len(suffix)] + suffix.lower()


def save_stream(src: BinaryIO, name: str, dest_dir: Path) -> tuple[Path, Digests]:
    """Copy ``src`` to ``dest_dir/<sha256[:16]>-<name>``; return (path, digests).

    The copy is written to a temporary file and renamed, so a half-written upload never looks
    complete. An identical file already there is reused.
    """
    dest_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".upload-", dir=dest_dir)
    try:
        with os.fdopen(fd, "wb") as out:
            d = copy_digests(src, out, chunk=CHUNK, head=0)
        final = dest_dir / f"{d.sha256[:16]}-{safe_name(name)}"
        if final.exists() and final.stat().st_size == d.size:
            os.unlink(tmp)
        else:
            os.replace(tmp, final)
        st = final.stat()
        with _hash_lock:
            _hash_cache[(str(final.resolve()), st.st_size, st.st_mtime_ns)] = d
        return final, d
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
