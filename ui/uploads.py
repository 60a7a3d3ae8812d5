"""Uploads: received on disk, never held in memory, kept under a storage cap.

Streamlit's own upload handler reads every upload whole into memory and keeps it there until the
page's script takes it; a tab closed after the transfer left the bytes behind (an aborted 1.9 GB
upload kept the server at 2.1 GB RSS, measured in ``benchmarks/bench_upload_abort.py``). The
workbench's server (``ui.server``) therefore streams each upload to ``uploads/.incoming/`` in the
data folder while hashing it, and hands Streamlit an empty placeholder; :func:`receive` finds the
spooled file by the upload's id and moves it into place (``<sha256[:16]>-<name>``). An upload
aborted mid-way is deleted as it breaks off; one never claimed (the tab closed right after) is
deleted by :func:`sweep_incoming` once its session is gone, or after :data:`INCOMING_TTL`.

``uploads/`` is capped (``VERIFY_UPLOAD_CAP``, 10 GB by default): after each upload, the oldest
uploads *not attached to a case* are removed until it fits. Attached means the analyst did
something with the file beyond opening it (notes saved, a step in its custody log such as an
export, a case file or a reverse-search hand-off) or it is a reference in a library in the data
folder. The removal is written into the file's custody log; notes and custody are kept.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from verify.digest import Digests

from . import cases
from .config import DataPaths, upload_cap
from .files import adopt, save_stream

log = logging.getLogger("verify")

#: Custody steps that do not attach an upload to a case (it was only received or opened).
UNATTACHED_STEPS = frozenset({"received", "opened", "upload removed"})
#: A spooled upload nobody claimed is deleted after this long even if its session lingers,
INCOMING_TTL = 3600.0
#: and this long after its browser session went away (a reload reconnects within it).
GRACE = 120.0
INCOMING = ".incoming"

cap = upload_cap


@dataclass(frozen=True)
class Spooled:
    """An upload the server wrote to disk: where, its digests (computed as it streamed), when it arrived."""

    path: Path
    digests: Digests
    name: str
    session_id: str
    arrived: float


_spooled: dict[tuple[str, str], Spooled] = {}
_writing: set[str] = set()  # names in .incoming being written right now
_lock = threading.Lock()


def incoming_dir(paths: DataPaths) -> Path:
    d = paths.uploads / INCOMING
    d.mkdir(parents=True, exist_ok=True)
    return d


def writing(name: str, active: bool) -> None:
    """The server marks a file in ``.incoming`` as being written (sweeps leave it alone) or done."""
    with _lock:
        (_writing.add if active else _writing.discard)(name)


def register(session_id: str, file_id: str, spooled: Spooled) -> None:
    """Called by the server once an upload is completely on disk."""
    with _lock:
        old = _spooled.pop((session_id, file_id), None)
        _spooled[(session_id, file_id)] = spooled
    if old is not None and old.path != spooled.path:
        old.path.unlink(missing_ok=True)


def discard(session_id: str, file_id: str) -> None:
    """The upload was removed from its widget (or never completed): delete its spooled file."""
    with _lock:
        spooled = _spooled.pop((session_id, file_id), None)
    if spooled is not None:
        spooled.path.unlink(missing_ok=True)


def claim(session_id: str, file_id: str) -> Spooled | None:
    with _lock:
        return _spooled.pop((session_id, file_id), None)


def pending() -> list[Spooled]:
    with _lock:
        return list(_spooled.values())


def _ids(uploaded: Any) -> tuple[str, str]:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return (ctx.session_id if ctx is not None else ""), str(getattr(uploaded, "file_id", ""))


def forget(uploaded: Any) -> None:
    """Drop Streamlit's record of the upload (its bytes, when Streamlit holds them)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    file_id = getattr(uploaded, "file_id", None)
    if ctx is not None and file_id is not None:
        remove = getattr(ctx.uploaded_file_mgr, "remove_file", None)
        if remove is not None:
            remove(ctx.session_id, file_id)


def spooled_path(uploaded: Any) -> Path | None:
    """Where the server put this upload, if it did (it stays there until :func:`receive` or a sweep)."""
    session_id, file_id = _ids(uploaded)
    with _lock:
        s = _spooled.get((session_id, file_id))
    return s.path if s is not None else None


def receive(uploaded: Any, paths: DataPaths) -> tuple[Path, Digests]:
    """The upload as a file in ``uploads/`` and its digests; Streamlit's record is dropped.

    Either way the bytes are hashed as they are written, never read again.
    """
    name = str(getattr(uploaded, "name", "") or "upload")
    try:
        spooled = claim(*_ids(uploaded))
        if spooled is not None:
            return adopt(spooled.path, spooled.digests, name, paths.uploads)
        uploaded.seek(0)
        return save_stream(uploaded, name, paths.uploads)
    finally:
        forget(uploaded)


def session_is_live(session_id: str) -> bool:
    """Is this browser session connected to the running server? (True when there is no server.)"""
    from streamlit.runtime import Runtime

    if not Runtime.exists():
        return True
    return bool(Runtime.instance().is_active_session(session_id))


def sweep_incoming(paths: DataPaths, *, now: float | None = None) -> int:
    """Delete spooled uploads nobody will claim; returns how many.

    Files in ``.incoming`` the server does not know of (left by an earlier run) go at once; known
    ones :data:`GRACE` seconds after their session went away, or after :data:`INCOMING_TTL`.
    Files of transfers still running are left alone.
    """
    now = time.time() if now is None else now
    removed = 0
    with _lock:
        for key, s in list(_spooled.items()):
            age = now - s.arrived
            if age > INCOMING_TTL or (age > GRACE and not session_is_live(s.session_id)):
                _spooled.pop(key)
                s.path.unlink(missing_ok=True)
                removed += 1
        known = {s.path.name for s in _spooled.values()} | _writing
    folder = paths.uploads / INCOMING
    if folder.is_dir():
        for p in folder.iterdir():
            if p.name in known:
                continue
            p.unlink(missing_ok=True)
            removed += 1
    return removed


# -- the storage cap --------------------------------------------------------------------------


def _library_has(paths: DataPaths, sha256: str) -> bool:
    from verify.errors import VerifyError
    from verify.library import Library

    for db in (paths.user_library, paths.sample_library):
        if not db.exists():
            continue
        try:
            with Library(db, create=False) as lib:
                if lib.find_sha256(sha256) is not None:
                    return True
        except VerifyError:
            return True  # cannot tell: keep the file
    return False


def _case_sha(paths: DataPaths, prefix: str) -> str | None:
    hits = sorted(paths.cases.glob(f"{prefix}*.json"))
    return hits[0].stem if len(hits) == 1 else None


def attached(paths: DataPaths, sha256: str) -> bool:
    """Is this upload part of the analyst's work (see the module docstring)?"""
    try:
        case = cases.load(paths.cases, sha256)
    except (OSError, ValueError):
        return True  # an unreadable case file: keep the upload
    if not case.notes.is_empty or any(e.step not in UNATTACHED_STEPS for e in case.custody):
        return True
    return _library_has(paths, sha256)


def usage(paths: DataPaths) -> int:
    return sum(
        p.stat().st_size for p in paths.uploads.iterdir() if p.is_file() and not p.name.startswith(".")
    )


def enforce_cap(
    paths: DataPaths, *, keep: set[str] | frozenset[str] = frozenset(), limit: int | None = None
) -> list[str]:
    """Remove the oldest unattached uploads until ``uploads/`` fits the cap; returns the names removed.

    Uploads whose sha256 is in ``keep`` (the one just opened) are never removed.
    """
    limit = cap() if limit is None else limit
    files = sorted(
        (p for p in paths.uploads.iterdir() if p.is_file() and not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
    )
    total = sum(p.stat().st_size for p in files)
    removed: list[str] = []
    for p in files:
        if total <= limit:
            break
        prefix = p.name.split("-", 1)[0]
        sha = _case_sha(paths, prefix)
        if sha is None or sha in keep or any(k.startswith(prefix) for k in keep) or attached(paths, sha):
            continue
        size = p.stat().st_size
        p.unlink(missing_ok=True)
        (paths.previews / f"{sha}.mp4").unlink(missing_ok=True)
        cases.log(
            paths.cases,
            sha,
            "upload removed",
            f"{p.name} ({size:,} bytes) deleted from the uploads folder: storage cap of {limit:,} bytes "
            "reached and the file was not attached to a case. Upload it again to re-examine it.",
        )
        total -= size
        removed.append(p.name)
        log.info("upload %s removed (storage cap %d bytes)", p.name, limit)
    if total > limit:
        log.warning(
            "uploads folder holds %d bytes, over the cap of %d: the rest is attached to cases", total, limit
        )
    return removed
