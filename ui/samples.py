"""The bundled sample library: built from ``samples/`` into the data folder on first run.

``samples/library.json`` lists the known footage in ``samples/known/`` with illustrative
provenance (labelled DEMO DATA). The library is built with ``verify.library`` into
``sample-library.db`` next to (never over) the analyst's own ``library.db``; it is rebuilt only
when the catalogue changes or the analyst asks. The build writes a temporary database and renames
it, so an interrupted build never leaves a half library behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from verify.digest import sha256_bytes, sha256_file
from verify.errors import ConfigError

from .config import SAMPLE_CATALOGUE, SAMPLES, DataPaths

log = logging.getLogger("verify")

_build_lock = threading.Lock()


@dataclass(frozen=True)
class SampleEntry:
    file: Path
    title: str
    source_url: str
    first_seen: str
    found_at: str
    description: str
    tags: tuple[str, ...]


def catalogue(path: Path | None = None) -> tuple[str, list[SampleEntry]]:
    """(label, entries) of the sample catalogue (``samples/library.json`` unless told)."""
    path = path or SAMPLE_CATALOGUE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = [
            SampleEntry(
                file=(path.parent / e["file"]).resolve(),
                title=e["title"],
                source_url=e.get("source_url", ""),
                first_seen=e.get("first_seen", ""),
                found_at=e.get("found_at", ""),
                description=e.get("description", ""),
                tags=tuple(e.get("tags", ())),
            )
            for e in data["references"]
        ]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"the sample catalogue cannot be read ({exc})", path=path) from exc
    return str(data.get("label", "")), entries


def sample_clips() -> list[Path]:
    """Clips offered in the sidebar: the viral re-uploads first, then a phone original, then known footage."""
    out: list[Path] = []
    for sub in ("viral", "phone", "known"):
        folder = SAMPLES / sub
        if folder.is_dir():
            out += sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    return out


def _stamp(path: Path) -> str:
    """What the sample library was built from: the catalogue's bytes, where the sample clips are
    (a library built by another checkout points at its files) and each clip's size."""
    parts = [sha256_file(path), str(SAMPLES.resolve())]
    try:
        for entry in catalogue(path)[1]:
            parts.append(f"{entry.file}:{entry.file.stat().st_size if entry.file.exists() else -1}")
    except ConfigError:
        parts.append("unreadable")
    return sha256_bytes("\n".join(parts).encode())


def _stamp_file(paths: DataPaths) -> Path:
    return paths.root / "sample-library.stamp"


def is_current(paths: DataPaths) -> bool:
    stamp = _stamp_file(paths)
    return (
        paths.sample_library.exists()
        and stamp.exists()
        and stamp.read_text().strip() == _stamp(SAMPLE_CATALOGUE)
    )


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _remove_db(path: Path) -> None:
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def _close(lib: Any) -> None:
    close = getattr(lib, "close", None)
    if close is not None:
        close()


def build(
    paths: DataPaths, *, force: bool = False, progress: Callable[[float, float], None] | None = None
) -> Path:
    """Make sure the sample library exists and is current; return its path."""
    from verify.library import Library, Provenance

    with _build_lock, _file_lock(paths.root / ".sample-library.lock"):
        if not force and is_current(paths):
            return paths.sample_library
        _label, entries = catalogue()
        tmp = paths.root / ".sample-library.building.db"
        _remove_db(tmp)
        lib = Library(tmp)
        try:
            for i, e in enumerate(entries):
                prov = Provenance(
                    title=e.title,
                    source_url=e.source_url,
                    first_seen=e.first_seen,
                    found_at=e.found_at,
                    description=e.description,
                    tags=e.tags,
                    notes="DEMO DATA: illustrative provenance bundled with verify's samples.",
                )

                def step(done: float, total: float, i: int = i) -> None:
                    if progress is not None and total:
                        progress(i + min(1.0, done / total), len(entries))

                lib.add(e.file, prov, progress=step)
                if progress is not None:
                    progress(i + 1, len(entries))
        finally:
            _close(lib)
        _remove_db(paths.sample_library)
        os.replace(tmp, paths.sample_library)
        for suffix in ("-wal", "-shm"):
            side = tmp.with_name(tmp.name + suffix)
            if side.exists():
                os.replace(side, paths.sample_library.with_name(paths.sample_library.name + suffix))
        _stamp_file(paths).write_text(_stamp(SAMPLE_CATALOGUE))
        log.info("sample library built at %s (%d references)", paths.sample_library, len(entries))
        return paths.sample_library
