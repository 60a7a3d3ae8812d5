"""Hash many files into a library, in parallel, one committed transaction per clip.

Worker processes do the expensive part (sha256, decode, hashes) and send the
fingerprint back; only this (parent) process writes, each result in its own
transaction, as soon as it arrives. So a kill loses nothing already committed, and a
re-run skips files whose sha256 is known before decoding them. A bad file becomes one
``AddResult("failed", ...)`` and the batch goes on; a worker that dies (crash, out of
memory) is replaced and its files retried once. Workers never outlive this process, even
when it is killed (:mod:`.workers`).
"""

from __future__ import annotations

import logging
import os
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..digest import sha256_file
from ..errors import VerifyError
from ..fingerprint import Fingerprint, FingerprintSettings
from . import audio_store
from . import workers as workers_mod
from .models import AddResult, Provenance
from .store import Library, known_lookup, probe_once
from .workers import WorkerPool

if TYPE_CHECKING:
    from ..audio import AudioFingerprint

log = logging.getLogger("verify")

Progress = Callable[[float, float], None]

VIDEO_EXTENSIONS = {
    ".mp4", ".m4v", ".mov", ".qt", ".mkv", ".webm", ".avi", ".wmv", ".asf", ".flv", ".ts", ".mts", ".m2ts",
    ".mpg", ".mpeg", ".3gp", ".3g2", ".ogv", ".mxf", ".dv", ".vob", ".f4v", ".y4m",
}  # fmt: skip
IMAGE_EXTENSIONS = {
    ".jpg",
    ".jpeg",
    ".png",
    ".gif",
    ".webp",
    ".heic",
    ".heif",
    ".avif",
    ".tif",
    ".tiff",
    ".bmp",
}


def is_media(path: Path) -> bool:
    """By extension, else by the file's first bytes (a video renamed ``.bin`` still counts)."""
    if path.suffix.lower() in VIDEO_EXTENSIONS | IMAGE_EXTENSIONS:
        return True
    from ..filetype import HEAD_BYTES, sniff

    try:
        with open(path, "rb") as f:
            head = f.read(HEAD_BYTES)
    except OSError:
        return False
    return sniff(head).kind in ("video", "image")


def find_media(paths: Iterable[str | Path]) -> list[Path]:
    """Files named explicitly (always, even if not media: they get a clear error) and media
    files found by walking folders (sorted, hidden files and folders skipped)."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    f = Path(root) / name
                    if not name.startswith(".") and f.is_file() and is_media(f):
                        found.append(f)
        else:
            found.append(p)
    seen: set[str] = set()
    return [f for f in found if not (str(f) in seen or seen.add(str(f)))]  # type: ignore[func-returns-value]


@dataclass(frozen=True)
class _Outcome:
    path: str
    sha256: str = ""
    fingerprint: Fingerprint | None = None
    exists: bool = False
    audio: AudioFingerprint | None = None  # the sound of the same decode (None: not asked for)
    error: str = ""
    message: str = ""


def _hash_one(
    path: str,
    settings: FingerprintSettings | None,
    known: Callable[[str], bool],
    progress: Progress | None,
    sound: bool = True,
) -> _Outcome:
    """sha256, skip if known, else fingerprint. Every failure becomes an outcome, never an exception:
    this is the batch boundary (one bad file must not stop the others). The exception is one
    raised by ``progress`` itself: that is the caller cancelling, and it propagates."""
    from .. import fingerprint as fpmod
    from ..audio.tap import fingerprint_with_sound
    from ..frames import check_file

    cancel: list[BaseException] = []

    def guarded(done: float, total: float) -> None:
        try:
            progress(done, total)  # type: ignore[misc]
        except BaseException as exc:
            cancel.append(exc)
            raise

    sha = ""
    try:
        p = check_file(path)
        info, sha = probe_once(p)  # the one pass over the bytes
        if known(sha):
            return _Outcome(path, sha, exists=True)
        fp, audio = fingerprint_with_sound(
            p, settings or fpmod.REFERENCE, guarded if progress else None, info=info, sound=sound
        )
        if sound and audio is None:
            audio = audio_store.no_audio_row()
        return _Outcome(path, sha, fp, audio=audio)
    except VerifyError as exc:
        if cancel and exc is cancel[0]:
            raise
        return _Outcome(path, sha or _sha256_quietly(path), error=type(exc).__name__, message=str(exc))
    except OSError as exc:
        if cancel and exc is cancel[0]:
            raise
        why = (exc.strerror or str(exc)).lower()
        return _Outcome(path, sha, error=type(exc).__name__, message=f"{path}: cannot read the file ({why})")
    except Exception as exc:
        if cancel and exc is cancel[0]:
            raise
        log.debug("unexpected failure while hashing %s", path, exc_info=True)  # traceback with --debug only
        return _Outcome(path, sha, error=type(exc).__name__, message=f"{path}: unexpected failure ({exc})")


def _sha256_quietly(path: str) -> str:
    """The sha256 of a file that failed before it was hashed (to name it in the report), or ""."""
    try:
        return sha256_file(path)
    except OSError:
        return ""


_worker_known: dict[str, Callable[[str], bool]] = {}


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _worker_job(
    path: str, settings: FingerprintSettings | None, library_path: str, sound: bool = True
) -> _Outcome:
    """Runs in a worker process: looks the sha256 up read-only, never writes."""
    if workers_mod.stopping():  # the parent is stopping: take no more work
        return _Outcome(path, error="Interrupted", message=f"{path}: not hashed (interrupted)")
    if library_path not in _worker_known:
        _worker_known[library_path] = known_lookup(library_path)
    return _hash_one(path, settings, _worker_known[library_path], None, sound)


def _commit(library: Library, out: _Outcome, provenance: Provenance) -> AddResult:
    if out.error:
        return AddResult("failed", None, out.message, out.path, out.sha256, out.error)
    if out.exists or out.fingerprint is None:
        ref = library.find_sha256(out.sha256)
        if ref is not None:
            msg = f"already in the library as reference #{ref.id}; nothing changed"
            return AddResult("exists", ref, msg, out.path, out.sha256)
        return AddResult("failed", None, f"{out.path}: removed while hashing; run again", out.path, out.sha256,
                         "LibraryError")  # fmt: skip
    try:
        return library.add_fingerprint(
            out.fingerprint, out.path, provenance, sha256=out.sha256, audio=out.audio
        )
    except VerifyError as exc:
        return AddResult("failed", None, str(exc), out.path, out.sha256, type(exc).__name__)


def ingest(
    paths: Iterable[str | Path],
    library: Library,
    provenance: Provenance | None = None,
    *,
    settings: FingerprintSettings | None = None,
    workers: int = 1,
    progress: Progress | None = None,
    audio: bool = True,
) -> Generator[AddResult, None, None]:
    """Hash every media file under ``paths`` into ``library``; yields one result per file as it is committed.
    With ``audio`` (the default) the sound of each file is fingerprinted in the same decode."""
    prov = provenance or Provenance()
    files = [str(f) for f in find_media(paths)]
    total = float(len(files))
    if progress:
        progress(0.0, total)
    with library.deferred_index():  # the persistent index catches up every few seconds and at the end
        if workers <= 1 or len(files) <= 1 or library.path == ":memory:":
            for i, path in enumerate(files):
                inner = (lambda d, t, i=i: progress(i + (d / t if t else 0.0), total)) if progress else None
                known = lambda sha: library.find_sha256(sha) is not None  # noqa: E731
                yield _commit(library, _hash_one(path, settings, known, inner, audio), prov)
                if progress:
                    progress(i + 1.0, total)
            return
        for done, out in enumerate(_parallel(files, settings, library.path, workers, audio), start=1):
            yield _commit(library, out, prov)
            if progress:
                progress(float(done), total)


def _parallel(
    files: list[str],
    settings: FingerprintSettings | None,
    library_path: str,
    workers: int,
    sound: bool = True,
) -> Iterator[_Outcome]:
    # largest first, so that one long clip does not start last and keep a single worker busy at the end
    queue: deque[tuple[str, int]] = deque((f, 0) for f in sorted(files, key=_size, reverse=True))
    while queue:
        running: dict[Future[_Outcome], tuple[str, int]] = {}
        broken = False
        pool: WorkerPool | None = None
        try:
            pool = WorkerPool(workers)
            while queue or running:
                while queue and len(running) < 2 * workers and not broken:
                    path, attempts = queue.popleft()
                    job = pool.executor.submit(_worker_job, path, settings, library_path, sound)
                    running[job] = (path, attempts)
                if not running:
                    break
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in finished:
                    path, attempts = running.pop(fut)
                    try:
                        yield fut.result()
                    except BrokenProcessPool:
                        broken = True
                        if attempts == 0:
                            queue.append((path, 1))
                        else:
                            yield _Outcome(path, error="WorkerCrashed", message=(
                                f"{path}: the worker process died while hashing this file (crash or out of"
                                " memory); it was skipped"))  # fmt: skip
                if broken and not running:
                    break
        except BaseException:  # interrupted (Ctrl-C, generator closed): stop the workers now
            if pool is not None:
                pool.stop_now()
            raise
        pool.close()


__all__ = ["find_media", "ingest", "is_media"]
