"""The sound's fingerprints in the library: one row per reference and audio algorithm (migration 4).

A row keeps the peaks of :class:`verify.audio.AudioFingerprint` (``times`` float32, ``freqs``
float32, ``strengths`` float16, little-endian: 10 bytes a peak, at most 30 peaks a second, about
1.1 MB per hour of sound; silence costs nothing), its algorithm id (``audio-peaks/v2``: rows of
other ids are never compared), its settings, the file's ``sound_lead`` (audio stream start minus
video stream start, seconds: :class:`verify.matching.fusion.Clocks`) and a ``status``: ``ok``,
``silent``, ``undecodable``, ``no-sound`` or ``no-audio`` (the file has no audio stream). A status
row means "looked at": ``add_audio`` does not decode that file again unless asked to.

The lookup index hash -> (reference, time) is :class:`verify.audio.AudioIndex` over every ``ok``
row, built from the stored peaks on first use and cached per process until the rows change.

Everything goes through the library's own connection and dialect (SQLite and PostgreSQL):
``Library.add``/``ingest`` store the sound of the same decode as the picture;
``Library.add_audio`` fingerprints the sound of references hashed before, from their file, without
touching their picture rows.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ..audio import AudioFingerprint, AudioIndex
    from .store import Library

log = logging.getLogger("verify")

MIGRATION = (
    4,
    "sound fingerprints per reference",
    """
    CREATE TABLE audio_fingerprints (
        ref_id INTEGER NOT NULL REFERENCES refs(id) ON DELETE CASCADE,
        algorithm TEXT NOT NULL,                    -- audio-peaks/v2: never compared across ids
        settings TEXT NOT NULL,                     -- JSON AudioSettings
        status TEXT NOT NULL,                       -- ok, silent, undecodable, no-sound, no-audio
        message TEXT NOT NULL DEFAULT '',
        n INTEGER NOT NULL,                         -- peaks
        duration REAL NOT NULL DEFAULT 0,           -- seconds of sound decoded
        sound_lead REAL NOT NULL DEFAULT 0,         -- audio stream start minus video stream start
        times BLOB NOT NULL,                        -- float32 little-endian (n,)
        freqs BLOB NOT NULL,                        -- float32 little-endian (n,)
        strengths BLOB NOT NULL,                    -- float16 little-endian (n,)
        extra TEXT NOT NULL DEFAULT '{}',           -- JSON: stream, start_time, loud_seconds, schema_version
        updated_at TEXT NOT NULL,                   -- UTC ISO 8601
        PRIMARY KEY (ref_id, algorithm)
    );
    CREATE INDEX audio_fingerprints_status ON audio_fingerprints(algorithm, status);
    """,
)

#: fields of AudioFingerprint kept in their own columns (the rest goes to ``extra``)
_COLUMNS = {"algorithm", "settings", "status", "message", "duration", "times", "freqs", "strengths", "sha256"}
NO_AUDIO = "no-audio"


def no_audio_row(message: str = "the file has no audio stream") -> AudioFingerprint:
    """The fingerprint stored for a file without sound (status ``no-audio``, no peaks)."""
    from ..audio import ALGORITHM, DEFAULT, AudioFingerprint

    empty = np.zeros(0, np.float32)
    return AudioFingerprint(ALGORITHM, DEFAULT, empty, empty, empty.astype(np.float16),
                            status=NO_AUDIO, message=message)  # fmt: skip


def lead(sound: AudioFingerprint, picture: Any) -> float:
    """Audio stream start minus video stream start of one file (0 without sound)."""
    if sound.status != "ok":
        return 0.0
    return float(sound.start_time) - float(getattr(picture, "start_time", 0.0) or 0.0)


def insert(conn: Any, ref_id: int, fp: AudioFingerprint, lead: float = 0.0) -> None:
    """Store (or replace) the sound of reference ``ref_id``, inside the caller's write transaction."""
    from .. import serial
    from .schema import now_utc

    extra = {k: v for k, v in fp.to_dict().items() if k not in _COLUMNS}
    conn.execute(
        "INSERT INTO audio_fingerprints (ref_id, algorithm, settings, status, message, n, duration,"
        " sound_lead, times, freqs, strengths, extra, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
        " ON CONFLICT (ref_id, algorithm) DO UPDATE SET settings = excluded.settings,"
        " status = excluded.status, message = excluded.message, n = excluded.n,"
        " duration = excluded.duration, sound_lead = excluded.sound_lead, times = excluded.times,"
        " freqs = excluded.freqs, strengths = excluded.strengths, extra = excluded.extra,"
        " updated_at = excluded.updated_at",
        (int(ref_id), fp.algorithm, serial.dumps(fp.settings), fp.status, fp.message[:500], len(fp),
         float(fp.duration), float(lead), np.asarray(fp.times, "<f4").tobytes(),
         np.asarray(fp.freqs, "<f4").tobytes(), np.asarray(fp.strengths, "<f2").tobytes(),
         json.dumps(extra), now_utc()),
    )  # fmt: skip


def _from_row(row: tuple[Any, ...], sha256: str = "") -> tuple[AudioFingerprint, float]:
    from ..audio import AudioFingerprint

    algorithm, settings, status, message, _n, duration, lead, times, freqs, strengths, extra = row
    data = {**json.loads(extra), "algorithm": algorithm, "settings": json.loads(settings),
            "status": status, "message": message, "duration": duration, "sha256": sha256}  # fmt: skip
    fp = AudioFingerprint.from_dict(data)
    fp = replace(
        fp,
        times=np.frombuffer(bytes(times), "<f4").astype(np.float32),
        freqs=np.frombuffer(bytes(freqs), "<f4").astype(np.float32),
        strengths=np.frombuffer(bytes(strengths), "<f2").astype(np.float16),
    )
    return fp, float(lead)


_SELECT = (
    "SELECT algorithm, settings, status, message, n, duration, sound_lead, times, freqs, strengths, extra"
    " FROM audio_fingerprints"
)


def audio_of(lib: Library, id_or_sha: int | str) -> tuple[AudioFingerprint, float] | None:
    """The stored sound of a reference and its lead, or None when its sound was never looked at."""
    from ..audio import ALGORITHM

    ref = lib.get(id_or_sha)
    rows = lib._query(_SELECT + " WHERE ref_id = ? AND algorithm = ?", (ref.id, ALGORITHM))
    return _from_row(rows[0], ref.sha256) if rows else None


def set_audio(lib: Library, ref_id: int, fp: AudioFingerprint, lead: float = 0.0) -> None:
    """Store the sound of an existing reference (one transaction; its picture rows are untouched)."""
    with lib._write() as conn:
        insert(conn, ref_id, fp, lead)
    _CACHE.drop(lib)


# -- references hashed before: their sound on request ----------------------------------------------


@dataclass(frozen=True)
class AudioAdded:
    """What ``add_audio`` did for one reference: ``status`` is the stored status, or ``skipped``
    (already fingerprinted) or ``failed`` (the file is gone or changed: ``message``)."""

    ref_id: int
    status: str
    message: str = ""
    peaks: int = 0
    seconds: float = 0.0


def add_audio(
    lib: Library,
    ids: Iterable[int | str] | None = None,
    *,
    again: bool = False,
    progress: Callable[[float, float], None] | None = None,
) -> list[AudioAdded]:
    """Fingerprint the sound of references (``ids``; None: every reference whose sound was never
    looked at) from their stored files, decoding only the sound. A file that changed since it was
    hashed (another sha256) is refused, not fingerprinted. ``again`` redoes references that have a row."""
    from ..audio import ALGORITHM, audio_fingerprint
    from ..digest import sha256_file
    from ..errors import AudioDecodeError, NoAudioStreamError, VerifyError

    done = {int(r[0]) for r in lib._query("SELECT ref_id FROM audio_fingerprints WHERE algorithm = ?",
                                          (ALGORITHM,))}  # fmt: skip
    refs = [lib.get(i) for i in ids] if ids is not None else lib.references()
    out: list[AudioAdded] = []
    for n, ref in enumerate(refs):
        if progress is not None:
            progress(float(n), float(len(refs)))
        if ref.id in done and not again:
            out.append(AudioAdded(ref.id, "skipped", "its sound was fingerprinted before"))
            continue
        path = Path(ref.path)
        try:
            if not path.is_file():
                raise FileNotFoundError(str(path))
            if sha256_file(path) != ref.sha256:
                out.append(AudioAdded(ref.id, "failed", f"{path}: the file changed since it was hashed"))
                continue
            try:
                fp = audio_fingerprint(path, sha256=ref.sha256)
            except NoAudioStreamError as exc:
                fp = no_audio_row(exc.message)
            except AudioDecodeError as exc:
                fp = replace(no_audio_row(exc.message), status="undecodable")
            picture = lib.fingerprint_of(ref.id)
        except (VerifyError, OSError) as exc:
            out.append(AudioAdded(ref.id, "failed", f"{path}: {getattr(exc, 'message', None) or exc}"))
            continue
        set_audio(lib, ref.id, fp, lead(fp, picture))
        out.append(AudioAdded(ref.id, fp.status, fp.message, len(fp), float(fp.duration)))
    if progress is not None:
        progress(float(len(refs)), float(len(refs)))
    return out


# -- the lookup index ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SoundIndex:
    """The library's sound, ready to match: the index, each reference's lead and the references
    whose sound is in it (ids as strings, as ``AudioMatch.reference``)."""

    index: AudioIndex
    leads: dict[str, float]
    with_sound: frozenset[str]
    looked_at: int = 0  # references with any row (ok or not)

    @property
    def nbytes(self) -> int:
        return int(self.index.nbytes)


def state(lib: Library) -> tuple[Any, ...]:
    from ..audio import ALGORITHM

    row = lib._query(
        "SELECT count(*), coalesce(sum(ref_id), 0), coalesce(sum(n), 0), max(updated_at)"
        " FROM audio_fingerprints WHERE algorithm = ?",
        (ALGORITHM,),
    )[0]
    return (lib.generation, *(str(v) for v in row))


class _Cache:
    """One SoundIndex per library (by id and location), kept while its rows do not change."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[tuple[str, str], tuple[tuple[Any, ...], SoundIndex]] = {}

    def key(self, lib: Library) -> tuple[str, str]:
        return (lib.library_id or str(id(lib)), lib.path)

    def get(self, lib: Library, st: tuple[Any, ...]) -> SoundIndex | None:
        with self._lock:
            hit = self._items.get(self.key(lib))
        return hit[1] if hit is not None and hit[0] == st else None

    def put(self, lib: Library, st: tuple[Any, ...], value: SoundIndex) -> None:
        with self._lock:
            self._items[self.key(lib)] = (st, value)

    def drop(self, lib: Library) -> None:
        with self._lock:
            self._items.pop(self.key(lib), None)


_CACHE = _Cache()


def sound_index(lib: Library) -> SoundIndex:
    """The :class:`SoundIndex` of every ``ok`` sound row (cached until the rows change).

    In memory per process, and for a library with an index folder also on disk
    (``<library>.index/sound-audio-peaks-v2/<state>/``, plain ``.npy`` arrays opened memory-mapped):
    the next process opens it instead of building it from the peaks again."""
    from ..audio import ALGORITHM, AudioIndex

    st = state(lib)
    cached = _CACHE.get(lib, st)
    if cached is not None:
        return cached
    heads = lib._query(
        "SELECT ref_id, status, n, sound_lead FROM audio_fingerprints WHERE algorithm = ? ORDER BY ref_id",
        (ALGORITHM,),
    )
    leads = {str(int(r[0])): float(r[3]) for r in heads if r[1] == "ok" and r[2]}
    where = _disk(lib, st)
    index = _load(where) if where is not None else None
    if index is None or set(index.ids) != set(leads):
        rows = lib._query(
            "SELECT ref_id, " + _SELECT[len("SELECT ") :] + " WHERE algorithm = ? AND status = 'ok' AND n > 0"
            " ORDER BY ref_id",
            (ALGORITHM,),
        )
        index = AudioIndex.build((str(int(row[0])), _from_row(row[1:])[0]) for row in rows)
        log.debug("library %s: sound index of %d references built", lib.display, len(rows))
        if where is not None:
            _save(where, index)
    value = SoundIndex(index, leads, frozenset(leads), looked_at=len(heads))
    _CACHE.put(lib, st, value)
    return value


_ARRAYS = ("ids", "durations", "hashes", "post_ref", "post_frame", "peak_start", "peak_times", "peak_pitch")


def _disk(lib: Library, st: tuple[Any, ...]) -> Path | None:
    from dataclasses import asdict

    from ..audio import ALGORITHM, DEFAULT

    if lib.index_folder is None:
        return None
    key = hashlib.sha256(json.dumps([ALGORITHM, asdict(DEFAULT), lib.library_id, *st]).encode()).hexdigest()
    return Path(lib.index_folder) / ("sound-" + ALGORITHM.replace("/", "-")) / key[:20]


def _load(where: Path) -> AudioIndex | None:
    from ..audio import AudioIndex

    if not where.is_dir():
        return None
    try:
        arrays = {n: np.load(where / f"{n}.npy", mmap_mode="r", allow_pickle=False) for n in _ARRAYS}
        return AudioIndex.from_arrays(arrays)
    except (OSError, ValueError, KeyError) as exc:
        log.warning("sound index at %s unreadable (%s); building it again", where, exc)
        return None


def _save(where: Path, index: AudioIndex) -> None:
    """Write the index beside the library (atomically: a folder renamed into place); older ones go."""
    import os
    import shutil

    tmp = where.with_name(f"tmp-{where.name}-{os.getpid()}")
    try:
        tmp.mkdir(parents=True, exist_ok=True)
        for name, arr in index.to_arrays().items():
            np.save(tmp / f"{name}.npy", arr, allow_pickle=False)
        os.replace(tmp, where)
    except OSError as exc:  # read-only folder, another process won the race, a full disk: memory only
        log.debug("sound index not stored at %s (%s)", where, exc)
        shutil.rmtree(tmp, ignore_errors=True)
        return
    for old in where.parent.iterdir():
        if old.name != where.name and not old.name.startswith("tmp-"):
            shutil.rmtree(old, ignore_errors=True)


def audio_stats(lib: Library) -> dict[str, Any]:
    """Rows per status, peaks and bytes stored, hours of sound (for ``verify library audio``)."""
    rows = lib._query(
        "SELECT status, count(*), coalesce(sum(n), 0), coalesce(sum(duration), 0),"
        " coalesce(sum(length(times) + length(freqs) + length(strengths)), 0)"
        " FROM audio_fingerprints GROUP BY status ORDER BY status"
    )
    by = {str(r[0]): int(r[1]) for r in rows}
    hours = sum(float(r[3]) for r in rows if r[0] == "ok") / 3600.0
    stored = sum(int(r[4]) for r in rows)
    return {
        "references": len(lib),
        "by_status": by,
        "peaks": sum(int(r[2]) for r in rows),
        "hours": hours,
        "bytes": stored,
        "bytes_per_hour": stored / hours if hours > 0 else 0.0,
        "missing": len(lib) - sum(by.values()),
    }
