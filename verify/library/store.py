"""The known-footage library: one SQLite file (WAL, foreign keys, versioned migrations), or a
PostgreSQL database given as a URL (a library a desk shares); see :mod:`.dialect`.

Every write is one transaction (one per clip; SQLite ``BEGIN IMMEDIATE``, PostgreSQL a row lock
on the generation counter): a failure or a kill leaves the library as it was. Writers wait for
each other (``busy_timeout``/``lock_timeout`` plus a retry loop with back-off), readers never
wait (WAL, MVCC). The SQL is written with ``?`` placeholders and what differs between the
engines lives in the dialect.

Opening never modifies a file that is not a verify library: an existing file is first
looked at through a read-only connection (is it SQLite, which schema, is it writable) and
only a verify library (or an empty database) is switched to WAL and migrated. SQLite's
errors become :mod:`verify.errors` with a plain cause: read-only
(:class:`LibraryReadOnlyError`), disk full (:class:`LibraryFullError`), locked, damaged.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import numpy as np

from .. import serial
from ..digest import sha256_file as file_sha256
from ..errors import (
    LibraryBusyError,
    LibraryCorruptError,
    LibraryError,
    LibraryFullError,
    LibraryNotFoundError,
    LibraryReadOnlyError,
    ReferenceNotFoundError,
)
from ..fingerprint import Fingerprint, FingerprintSettings
from ..text import json_text
from . import audio_store, schema
from . import rows as fp_rows
from .dialect import dialect_for, is_url
from .models import AddResult, LibraryStats, Provenance, Reference
from .table import CACHE, HashTable, concatenate_rows

if TYPE_CHECKING:
    from ..audio import AudioFingerprint
    from ..probe import MediaInfo

log = logging.getLogger("verify")

Progress = Callable[[float, float], None]

#: How long a writer waits for another process before giving up (seconds).
BUSY_SECONDS = 120.0
#: During a batch (``deferred_index``) the persistent index is brought up to date this often.
INDEX_SYNC_SECONDS = 30.0

#: Open persistent tables by (library key, generation), held weakly: the OS page cache keeps the data.
_MAPPED: weakref.WeakValueDictionary[tuple[object, ...], HashTable] = weakref.WeakValueDictionary()

#: Fingerprint fields stored in their own columns (or the reference row), not in ``extra``;
#: ``pictures`` (a query's kept frames) are never stored.
_FP_COLUMNS = {
    "algorithm", "settings", "times", "hashes", "quality", "media", "sha256", "fine", "fine_times",
    "picture_digest", "pictures",
}  # fmt: skip

_REF_COLUMNS = (
    "id, sha256, path, title, source_url, first_seen, found_at, description, tags, notes, "
    "duration, width, height, media, added_at, "
    "(SELECT algorithm FROM fingerprints f WHERE f.ref_id = refs.id ORDER BY f.id LIMIT 1), "
    "(SELECT length(hashes) / 8 FROM fingerprints f WHERE f.ref_id = refs.id ORDER BY f.id LIMIT 1)"
)


def _is_locked(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    text = str(exc).lower()
    return code in (5, 6) or "locked" in text or "busy" in text


#: Primary SQLite result codes (https://sqlite.org/rescode.html).
_READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 8, 10, 11, 13, 14, 26


#: Free space below which a write error is taken to mean a full disk.
NEARLY_FULL = 1 << 20


def _no_room(path: str) -> str:
    """Why there is no room to write beside ``path`` ("" when there seems to be room)."""
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
    if soft != resource.RLIM_INFINITY:
        return f"the file-size limit of this process (ulimit -f: {soft:,} bytes) was reached"
    try:
        st = os.statvfs(os.path.dirname(os.path.abspath(path)) or ".")
    except OSError:
        return ""
    free = st.f_bavail * st.f_frsize
    return f"the disk is full ({free:,} bytes free)" if free < NEARLY_FULL else ""


def library_error(exc: sqlite3.Error, path: str, doing: str = "use") -> LibraryError:
    """The :class:`LibraryError` that says in plain words what an SQLite error means."""
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    if _is_locked(exc):
        return LibraryBusyError(f"the library stayed locked ({exc})", path=path)
    if code == _FULL:
        return LibraryFullError(
            f"cannot {doing} the library: {_no_room(path) or 'the disk is full'}", path=path
        )
    if code in (_IOERR, _CANTOPEN) and _no_room(path):
        return LibraryFullError(f"cannot {doing} the library: {_no_room(path)}", path=path)
    if code == _READONLY:
        return LibraryReadOnlyError(f"cannot {doing} the library: it is read-only ({exc})", path=path)
    if code == _IOERR:
        return LibraryError(f"cannot {doing} the library: the disk reported an error ({exc})", path=path,
                            hint="Check the disk and its free space; everything committed before is kept.")  # fmt: skip
    if code == _CANTOPEN:
        return LibraryError(f"cannot open the library file ({exc})", path=path,
                            hint="Check that the file and its folder exist and can be read and written.")  # fmt: skip
    if code in (_CORRUPT, _NOTADB) or not isinstance(exc, sqlite3.OperationalError):
        return LibraryCorruptError(f"not a verify library or damaged ({exc})", path=path)
    return LibraryError(f"cannot {doing} the library ({exc})", path=path)


def _storable(text: str) -> str:
    """Text SQLite can store: a file name that is not valid UTF-8 (surrogate escapes) keeps its
    bytes visible as ``\\xff`` instead of failing the insert."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return text


def redact(target: str) -> str:
    """A library location fit for messages: a URL without its password."""
    if not is_url(target):
        return target
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(target)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return target


def record_location(target: str) -> str:
    """A library location fit for a record that may be published (a report, its custody): a file's
    path as it is; a URL as ``scheme://host[:port]/database``, without user, password or query
    parameters (a socket folder, options), so a shared library's credentials never reach a report."""
    if not is_url(target):
        return target
    from urllib.parse import urlsplit

    parts = urlsplit(target)
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}/{parts.path.lstrip('/')}"


class Library:
    """``Library(path)`` opens (and by default creates) a library; ``":memory:"`` for tests;
    ``Library("postgresql://...")`` a shared library on a PostgreSQL server.

    ``index_folder``: where the persistent index lives (default ``<file>.index`` beside an SQLite
    file; for PostgreSQL ``~/.cache/verify/index/<library id>``, one per machine).
    ``index_sample_from``: library samples from which the index is sampled (default
    ``persistent.store.SAMPLE_FROM_SAMPLES``; ``0`` samples any library, for tests)."""

    def __init__(self, path: str | Path, *, create: bool = True, busy_seconds: float = BUSY_SECONDS,
                 index_folder: str | Path | None = None,
                 index_sample_from: int | None = None) -> None:  # fmt: skip
        self.path = str(path)
        self.index_sample_from = index_sample_from
        self.display = redact(self.path)
        self.busy_seconds = busy_seconds
        self._lock = threading.RLock()
        self.dialect = dialect_for(self.path)
        memory = self.path == ":memory:"
        remote = is_url(self.path)
        #: the persistent index (None: in-memory tables, for ``:memory:``)
        self.index_folder: Path | None = (
            Path(index_folder) if index_folder is not None
            else None if memory or remote else Path(os.path.abspath(self.path) + ".index")
        )  # fmt: skip
        self._defer_index = 0
        self._index_dirty: set[str] = set()
        self._index_synced = time.monotonic()
        if not memory and not remote:
            p = Path(self.path)
            if p.is_dir():
                raise LibraryError(
                    "is a folder, not a library file", path=p, hint="Give a file name, e.g. lib.db."
                )
            if not p.exists() and not create:
                raise LibraryNotFoundError("no library here", path=p)
            if not p.parent.exists():
                raise LibraryError("the folder for the library does not exist", path=p,
                                   hint="Create the folder first or choose another path.")  # fmt: skip
            _look(p, busy_seconds)  # read-only: refuses a foreign or read-only file before any write
        try:
            self._conn = self.dialect.connect(self.path, busy_seconds)
        except self.dialect.errors as exc:
            if isinstance(exc, sqlite3.Error):
                raise library_error(exc, self.path, "open") from exc
            raise LibraryError(f"cannot open the library ({exc})", path=self.display,
                               hint="Check the path or the server address and credentials.") from exc  # fmt: skip
        try:
            self._setup(memory)
        except BaseException:
            self._conn.close()
            raise
        if remote and self.index_folder is None:
            self.index_folder = Path.home() / ".cache" / "verify" / "index" / self.library_id

    # -- connection and transactions -----------------------------------------------------

    def _setup(self, memory: bool) -> None:
        try:
            self._retry(lambda: self.dialect.setup(self._conn, memory, self.busy_seconds))
            version = schema.current_version(self._conn, self.dialect)
        except self.dialect.errors as exc:
            if isinstance(exc, sqlite3.Error):
                raise library_error(exc, self.path, "open") from exc
            if self.dialect.is_locked(exc):
                raise LibraryBusyError(f"the library stayed locked ({exc})", path=self.display) from exc
            raise LibraryCorruptError(f"not a verify library or damaged ({exc})", path=self.display) from exc
        if version < 0:
            raise LibraryError(
                f"is an {'SQLite' if self.dialect.name == 'sqlite' else 'PostgreSQL'} database but not a verify library",
                path=self.display,
                hint="Choose another file name (or schema) for the library.",
            )
        if version > schema.LATEST:
            raise LibraryError(
                f"was written by a newer verify (schema {version}, this one knows {schema.LATEST})",
                path=self.display,
                hint="Upgrade verify to use this library.",
            )
        if version < schema.LATEST or schema.pending(self._conn, self.dialect):
            with self._write() as conn:
                schema.migrate(conn, self.dialect)
        self.library_id = self._meta("library_id")

    def _retry(self, fn: Callable[[], Any]) -> Any:
        deadline = time.monotonic() + self.busy_seconds
        delay = 0.05
        while True:
            try:
                return fn()
            except self.dialect.errors as exc:
                if not self.dialect.is_locked(exc) or time.monotonic() > deadline:
                    raise
                if self.dialect.in_transaction(self._conn) and self.dialect.name != "sqlite":
                    raise  # PostgreSQL aborts the transaction: the caller retries it whole
                log.debug("library %s busy, retrying: %s", self.display, exc)
                time.sleep(delay)
                delay = min(delay * 2, 1.0)

    @contextmanager
    def _write(self) -> Iterator[Any]:
        """One write transaction: begin (retried while locked) ... COMMIT, or ROLLBACK.

        Engine errors inside become :class:`LibraryError` with their real cause: when SQLite has
        already rolled the transaction back itself (a full disk during COMMIT), no second
        ROLLBACK hides that cause behind "no transaction is active".
        """
        d = self.dialect
        with self._lock:
            try:
                self._retry(lambda: d.begin_write(self._conn))
            except d.errors as exc:
                if d.in_transaction(self._conn):
                    self._rollback()
                raise self._error(exc, "write to") from exc
            try:
                yield self._conn
                self._retry(lambda: self._conn.execute("COMMIT"))
            except BaseException as exc:
                if d.in_transaction(self._conn):  # an interrupt can land just after COMMIT
                    self._rollback()
                if isinstance(exc, d.errors):
                    raise self._error(exc, "write to") from exc
                raise

    def _rollback(self) -> None:
        try:
            self._conn.execute("ROLLBACK")
        except self.dialect.errors as rollback:  # the first error is the one that matters
            log.warning("library %s: rollback failed too (%s)", self.display, rollback)

    def _error(self, exc: BaseException, doing: str) -> LibraryError:
        """The :class:`LibraryError` that says in plain words what an engine error means."""
        d = self.dialect
        if isinstance(exc, sqlite3.Error):
            return library_error(exc, self.path, doing)
        if d.is_locked(exc):
            return LibraryBusyError(f"the library stayed locked ({exc})", path=self.display)
        if d.is_corrupt(exc):
            return LibraryCorruptError(f"the library is damaged ({exc})", path=self.display)
        return LibraryError(f"cannot {doing} the library ({exc})", path=self.display)

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        d = self.dialect
        with self._lock:
            try:
                return list(self._retry(lambda: self._conn.execute(sql, args).fetchall()))
            except d.errors as exc:
                raise self._error(exc, "read") from exc

    def _meta(self, key: str) -> str:
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else ""

    @staticmethod
    def _bump(conn: Any) -> None:
        conn.execute(
            "UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'generation'"
        )

    @property
    def generation(self) -> int:
        """Changes whenever a reference is added or removed (by any process)."""
        return int(self._meta("generation") or 0)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __len__(self) -> int:
        return int(self._query("SELECT count(*) FROM refs")[0][0])

    # -- adding ----------------------------------------------------------------------------

    def add(
        self,
        media_path: str | Path,
        provenance: Provenance | None = None,
        *,
        settings: FingerprintSettings | None = None,
        progress: Progress | None = None,
        audio: bool = True,
    ) -> AddResult:
        """Fingerprint ``media_path`` and add it; a file already present (same sha256) is left alone.

        The file is read once (the probe's digest pass) and decoded once (the fingerprint; with
        ``audio``, its sound too, from the same decode: :mod:`.audio_store`)."""
        from .. import fingerprint as fpmod
        from ..audio.tap import fingerprint_with_sound
        from ..frames import check_file

        path = check_file(media_path)
        info, sha = probe_once(path)
        existing = self.find_sha256(sha)
        if existing is not None:
            return _exists(existing, path, sha)
        fp, sound = fingerprint_with_sound(
            path, settings or fpmod.REFERENCE, progress, info=info, sound=audio
        )
        if audio and sound is None:
            sound = audio_store.no_audio_row()
        return self.add_fingerprint(fp, path, provenance, sha256=sha, audio=sound)

    def add_fingerprint(
        self,
        fp: Fingerprint,
        media_path: str | Path,
        provenance: Provenance | None = None,
        *,
        sha256: str | None = None,
        audio: AudioFingerprint | None = None,
    ) -> AddResult:
        """Store a fingerprint made elsewhere (e.g. in a worker) as a new reference: one transaction.
        ``audio``: the sound's fingerprint of the same file, stored in the same transaction."""
        prov = provenance or Provenance()
        sha = sha256 or fp.sha256 or file_sha256(media_path)
        hashes = np.ascontiguousarray(np.asarray(fp.hashes, dtype="<u8").reshape(len(fp), -1))
        variants = list(fp.settings.variants)
        if hashes.shape[1] != len(variants):
            raise LibraryError(
                f"fingerprint has {hashes.shape[1]} hash columns for {len(variants)} variants",
                path=media_path,
                hint="Fingerprint the file again.",
            )
        media = serial.to_jsonable(fp.media) if fp.media else {}
        width, height = _size_of(media)
        with self._write() as conn:
            row = conn.execute(f"SELECT {_REF_COLUMNS} FROM refs WHERE sha256 = ?", (sha,)).fetchone()
            if row is not None:  # another process added it meanwhile
                return _exists(self._reference(row), media_path, sha)
            cur = conn.execute(
                "INSERT INTO refs (sha256, path, title, source_url, first_seen, found_at, description, tags,"
                " notes, duration, width, height, media, added_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
                " RETURNING id",
                (sha, _storable(os.path.abspath(media_path)), _storable(prov.title), _storable(prov.source_url),
                 _storable(prov.first_seen), _storable(prov.found_at), _storable(prov.description),
                 json_text([_storable(t) for t in prov.tags]), _storable(prov.notes),
                 float(fp.duration or 0.0), width, height, json_text(media), schema.now_utc()),
            )  # fmt: skip
            ref_id = int(cur.fetchone()[0])
            columns, extra = _encode_fingerprint(fp, hashes, tuple(variants))
            conn.execute(
                "INSERT INTO fingerprints (ref_id, algorithm, settings, variants, format, n, times, ends, hashes,"
                " quality, fine, picture_digest, extra) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (ref_id, fp.algorithm, serial.dumps(fp.settings), json.dumps(variants), columns["format"],
                 columns["n"], columns["times"], columns["ends"], columns["hashes"], columns["quality"],
                 columns["fine"], fp.picture_digest, json.dumps(extra)),
            )  # fmt: skip
            if audio is not None:
                audio_store.insert(conn, ref_id, audio, audio_store.lead(audio, fp))
            self._bump(conn)
        self._index_changed({fp.algorithm})
        ref = self.get(ref_id)
        log.info("library %s: added #%d %s", self.path, ref_id, media_path)
        return AddResult("added", ref, f"added as reference #{ref_id}", str(media_path), sha)

    # -- reading ---------------------------------------------------------------------------

    def _reference(self, row: tuple[Any, ...]) -> Reference:
        (rid, sha, path, title, url, first, found, desc, tags, notes, dur, w, h, media, added, alg, n) = row
        prov = Provenance(title, url, first, found, desc, tuple(json.loads(tags)), notes)
        return Reference(int(rid), sha, path, prov, float(dur), int(w), int(h), json.loads(media), added,
                         alg or "", int(n or 0))  # fmt: skip

    def find_sha256(self, sha256: str) -> Reference | None:
        rows = self._query(f"SELECT {_REF_COLUMNS} FROM refs WHERE sha256 = ?", (sha256.lower(),))
        return self._reference(rows[0]) if rows else None

    def known_sha256(self) -> set[str]:
        return {r[0] for r in self._query("SELECT sha256 FROM refs")}

    def references(self, search: str | None = None) -> list[Reference]:
        """Every reference (oldest first), or those whose text fields contain ``search``."""
        sql = f"SELECT {_REF_COLUMNS} FROM refs"
        args: tuple[str, ...] = ()
        if search:
            like = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            fields = ("title", "source_url", "found_at", "description", "tags", "notes", "path", "sha256")
            like_op = self.dialect.like
            sql += " WHERE " + " OR ".join(f"{f} {like_op} ? ESCAPE '\\'" for f in fields)
            sql += f" OR id IN (SELECT ref_id FROM ref_text WHERE text {like_op} ? ESCAPE '\\')"  # text on screen
            args = (like,) * (len(fields) + 1)
        return [self._reference(r) for r in self._query(sql + " ORDER BY id", args)]

    def get(self, id_or_sha: int | str) -> Reference:
        """A reference by id (``12``, ``"12"``, ``"#12"``) or by sha256 (or a unique prefix of 8+ chars)."""
        key = str(id_or_sha).strip().lstrip("#").lower()
        if key.isdigit() and len(key) < 19:
            rows = self._query(f"SELECT {_REF_COLUMNS} FROM refs WHERE id = ?", (int(key),))
        elif len(key) >= 8 and all(c in "0123456789abcdef" for c in key):
            rows = self._query(f"SELECT {_REF_COLUMNS} FROM refs WHERE sha256 LIKE ?", (key + "%",))
            if len(rows) > 1:
                raise ReferenceNotFoundError(f"sha256 prefix {key} matches {len(rows)} references",
                                             path=self.display, hint="Give more characters of the sha256.")  # fmt: skip
        else:
            rows = []
        if not rows:
            raise ReferenceNotFoundError(f"no reference {id_or_sha!s}", path=self.display)
        return self._reference(rows[0])

    def set_text(self, id_or_sha: int | str, result: Any) -> None:
        """Store the text on screen of a reference (a ``verify.ocr.OcrResult``); replaces an older one."""
        ref = self.get(id_or_sha)
        with self._write() as conn:
            conn.execute(
                "INSERT INTO ref_text (ref_id, engine, text, result, updated_at) VALUES (?,?,?,?,?)"
                " ON CONFLICT (ref_id) DO UPDATE SET engine = excluded.engine, text = excluded.text,"
                " result = excluded.result, updated_at = excluded.updated_at",  # SQLite and PostgreSQL
                (ref.id, result.engine, result.text(), serial.dumps(result), schema.now_utc()),
            )

    def text_of(self, id_or_sha: int | str) -> Any:
        """The stored ``verify.ocr.OcrResult`` of a reference, or None."""
        from ..ocr import OcrResult

        ref = self.get(id_or_sha)
        rows = self._query("SELECT result FROM ref_text WHERE ref_id = ?", (ref.id,))
        return serial.loads(OcrResult, rows[0][0]) if rows else None

    # -- sound (verify.library.audio_store) ------------------------------------------------

    def audio_of(self, id_or_sha: int | str) -> tuple[AudioFingerprint, float] | None:
        """The stored sound of a reference and its lead (audio minus video start), or None."""
        return audio_store.audio_of(self, id_or_sha)

    def add_audio(self, ids: Iterable[int | str] | None = None, **kw: Any) -> list[audio_store.AudioAdded]:
        """Fingerprint the sound of references hashed before (their picture rows are untouched)."""
        return audio_store.add_audio(self, ids, **kw)

    def sound_index(self) -> audio_store.SoundIndex:
        """The library's sound, indexed for lookup (hash -> reference, time), cached."""
        return audio_store.sound_index(self)

    def remove(self, id_or_sha: int | str) -> Reference:
        """Delete a reference and its fingerprints (one transaction); returns what was removed."""
        ref = self.get(id_or_sha)
        algorithms = {
            r[0] for r in self._query("SELECT algorithm FROM fingerprints WHERE ref_id = ?", (ref.id,))
        }
        with self._write() as conn:
            conn.execute("DELETE FROM refs WHERE id = ?", (ref.id,))
            self._bump(conn)
        self._index_changed(algorithms)
        return ref

    def find_picture_digest(self, digest: str) -> Reference | None:
        """The reference whose decoded pictures have this digest (``Fingerprint.picture_digest``)."""
        if not digest:
            return None
        rows = self._query(
            "SELECT ref_id FROM fingerprints WHERE picture_digest = ? ORDER BY ref_id", (digest,)
        )
        return self.get(int(rows[0][0])) if rows else None

    # -- how a fingerprint is written and read (the byte layout lives in rows.py) -------------

    _FP_SELECT = (
        "SELECT ref_id, algorithm, settings, variants, format, n, times, ends, hashes, quality, fine,"
        " picture_digest, extra FROM fingerprints"
    )

    def fingerprint_of(self, ref_id: int | str) -> Fingerprint:
        """The stored fingerprint: its compact rows read back one sample per row start (see
        ``rows.expand``), with its fine series and picture digest."""
        ref = self.get(ref_id)
        rows = self._query(self._FP_SELECT + " WHERE ref_id = ? ORDER BY id", (ref.id,))
        if not rows:
            raise ReferenceNotFoundError(f"reference #{ref.id} has no fingerprint", path=self.display)
        _, algorithm, settings, variants, fmt, n, times, ends, hashes, quality, fine, digest, extra = rows[0]
        names = tuple(json.loads(variants))
        extra_d = json.loads(extra)
        t, h, q = fp_rows.expand(fp_rows.decode_rows(fmt, n, times, ends, hashes, quality, names, extra_d))
        f, ft = fp_rows.decode_fine(fine, extra_d)
        data = {**{k: v for k, v in extra_d.items() if k not in ("fine_shape", "row_counts")}, "algorithm": algorithm,
                "settings": json.loads(settings), "sha256": ref.sha256, "media": ref.media,
                "picture_digest": digest}  # fmt: skip
        return replace(Fingerprint.from_dict(data), times=t, hashes=h, quality=q, fine=f, fine_times=ft)

    def fine_series(self, ref_id: int, algorithm: str) -> tuple[np.ndarray, np.ndarray] | None:
        """``(bin times (K,), block means uint16 (K, cells))`` of a reference, None when it has none."""
        rows = self._query(
            "SELECT fine, extra FROM fingerprints WHERE ref_id = ? AND algorithm = ?",
            (int(ref_id), algorithm),
        )
        if not rows:
            return None
        fine, times = fp_rows.decode_fine(rows[0][0], json.loads(rows[0][1]))
        return None if fine is None or times is None else (times, fine)

    def hash_table(self, algorithm: str, variants: tuple[str, ...] | None = None) -> HashTable:
        """Every usable reference hash row of ``algorithm``, cached until the library changes.

        A library file answers from its persistent index (``<file>.index/``, opened memory-mapped,
        brought up to date first: see :mod:`verify.library.persistent`); ``:memory:`` builds the
        table in memory."""
        where = (
            self.path if self.path == ":memory:" or is_url(self.path) else os.path.realpath(self.path)
        )  # a copied file shares the id
        key = (self.library_id or id(self), where, algorithm, variants)
        generation = self.generation
        if self.index_folder is not None:
            # memory-mapped: shared while someone holds it, closed (maps and files) when nobody does
            from . import persistent

            state = tuple(self.index_state(algorithm))  # one snapshot query: any change shows here
            table = _MAPPED.get((key, state))
            if table is None:
                table = persistent.open_table(
                    self, self.index_folder, algorithm, variants, self.index_sample_from
                )
                table.generation = generation
                _MAPPED[(key, state)] = table
            if isinstance(table, persistent.PersistentTable):
                table.bind(self)  # a table cached by another Library of the same file reads through this one
            return table
        table = CACHE.get(key, generation)
        if table is not None:
            return table
        table = self.table_in_memory(algorithm, variants, generation)
        CACHE.put(key, table)
        return table

    def table_in_memory(
        self, algorithm: str, variants: tuple[str, ...] | None = None, generation: int = 0
    ) -> HashTable:
        """Every stored row of ``algorithm`` decoded into one in-memory table (what a ``:memory:``
        library searches; the persistent index must give the same rows)."""
        rows = self._query(
            "SELECT ref_id, format, n, times, ends, hashes, quality, variants, extra FROM fingerprints"
            " WHERE algorithm = ? ORDER BY ref_id",
            (algorithm,),
        )
        return concatenate_rows(algorithm, _parts(rows), generation, variants)

    # -- the persistent index (what it needs of the library) ---------------------------------

    def index_state(self, algorithm: str) -> list[Any]:
        """[generation, schema, fingerprints, largest reference id, total samples], one snapshot."""
        with self._lock:
            self._retry(lambda: self.dialect.begin_read(self._conn))
            try:
                gen = self._conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
                version = schema.current_version(self._conn, self.dialect)
                count, top, total = self._conn.execute(
                    "SELECT count(*), max(ref_id), sum(n) FROM fingerprints WHERE algorithm = ?", (algorithm,)
                ).fetchone()
            finally:
                if self.dialect.in_transaction(self._conn):
                    self._conn.execute("COMMIT")
        return [int(gen[0] if gen else 0), version, int(count), int(top or 0), int(total or 0)]

    def index_refs(self, algorithm: str) -> dict[int, int]:
        """Reference id -> sample count of every fingerprint of ``algorithm``."""
        rows = self._query("SELECT ref_id, n FROM fingerprints WHERE algorithm = ?", (algorithm,))
        return {int(r): int(n) for r, n in rows}

    def ref_tables(self, algorithm: str, ref_ids: list[int]) -> Iterator[tuple[int, int, HashTable]]:
        """(ref id, samples, that reference's HashTable) for each id (ascending), streamed."""
        ids = sorted(int(r) for r in ref_ids)
        for a in range(0, len(ids), 256):
            batch = ids[a : a + 256]
            rows = self._query(
                "SELECT ref_id, format, n, times, ends, hashes, quality, variants, extra FROM fingerprints"
                f" WHERE algorithm = ? AND ref_id IN ({','.join('?' * len(batch))}) ORDER BY ref_id",
                (algorithm, *batch),
            )
            for row in rows:
                yield int(row[0]), int(row[2]), concatenate_rows(algorithm, _parts([row]), 0)

    def _index_changed(self, algorithms: set[str]) -> None:
        if self.index_folder is None:
            return
        self._index_dirty |= algorithms
        if not self._defer_index or time.monotonic() - self._index_synced > INDEX_SYNC_SECONDS:
            self.sync_index()

    def sync_index(self) -> None:
        """Bring the persistent index of every changed algorithm up to date (after a commit).

        A failure here never undoes the commit: the library is the truth, and the next reader
        finds the index stale and updates it."""
        from . import persistent

        dirty, self._index_dirty = self._index_dirty, set()
        self._index_synced = time.monotonic()
        if self.index_folder is None:
            return
        for algorithm in sorted(dirty):
            try:
                persistent.index_store(self.index_folder, algorithm, self.index_sample_from).update(self)
            except (OSError, TimeoutError, ValueError, persistent.IndexDamaged) as exc:
                log.warning("library %s: index of %s not updated (%s); the next query updates it",
                            self.path, algorithm, exc)  # fmt: skip

    @contextmanager
    def deferred_index(self) -> Iterator[None]:
        """Batch writes: the index is updated every ``INDEX_SYNC_SECONDS`` and at the end. After an
        error or an interrupt it is left as it is: stale, which the next reader sees and repairs."""
        self._defer_index += 1
        try:
            yield
        except BaseException:
            self._defer_index -= 1
            raise
        self._defer_index -= 1
        if not self._defer_index and self._index_dirty:
            self.sync_index()

    def rebuild_index(self, algorithm: str | None = None, *, compact: bool = False) -> list[str]:
        """Rebuild (or, with ``compact``, merge into one segment) the index of each algorithm."""
        from . import persistent

        if self.index_folder is None:
            return []
        algorithms = (
            [algorithm]
            if algorithm
            else [r[0] for r in self._query("SELECT DISTINCT algorithm FROM fingerprints")]
        )
        for alg in algorithms:
            persistent.index_store(self.index_folder, alg, self.index_sample_from).update(
                self, compact=compact, rebuild=not compact
            )
        return algorithms

    def check_index(self, repair: bool = True) -> str:
        """``"ok"``, or what is wrong with the persistent index (every file's checksum is read).
        With ``repair`` a damaged index is rebuilt (and the problems are still reported)."""
        from . import persistent

        if self.index_folder is None or not self.index_folder.exists():
            return "ok"
        problems = []
        for alg in [r[0] for r in self._query("SELECT DISTINCT algorithm FROM fingerprints")]:
            store = persistent.index_store(self.index_folder, alg, self.index_sample_from)
            found = store.verify()
            if found and repair:
                store.update(self, rebuild=True)
            problems += found
        return "ok" if not problems else "; ".join(problems)

    # -- health ----------------------------------------------------------------------------

    def integrity_check(self) -> str:
        """``"ok"``, or what is wrong: the engine's own checks (SQLite integrity and foreign keys;
        on PostgreSQL the server enforces those) and that every fingerprint's arrays have its size."""
        d = self.dialect
        with self._lock:
            try:
                problems = self._retry(lambda: d.integrity(self._conn))
            except d.errors as exc:
                return f"cannot check the library ({exc})"
        bad = self._query(  # format 1: per sample; format 2: compact rows (verify/library/rows.py)
            "SELECT f.ref_id FROM fingerprints f WHERE f.format = 1 AND (length(f.times) != 8 * f.n"
            " OR length(f.quality) != f.n OR length(f.hashes) % (8 * f.n) != 0 AND f.n > 0)"
            " OR f.format = 2 AND (length(f.times) != 4 * f.n OR coalesce(length(f.ends), -1) != 4 * f.n"
            " OR length(f.hashes) != 8 * f.n OR length(f.quality) != (f.n + 7) / 8)"
            " OR f.format NOT IN (1, 2)"
        )
        problems += [f"fingerprint of reference #{r[0]} has arrays of the wrong size" for r in bad]
        return "ok" if not problems else "; ".join(problems)

    def stats(self) -> LibraryStats:
        counts = self._query(
            "SELECT algorithm, count(*), sum(length(hashes)) / 8 FROM fingerprints GROUP BY 1"
        )
        with self._lock:
            size = self.dialect.size_bytes(self._conn, self.path)
        return LibraryStats(
            path=self.display,
            references=len(self),
            fingerprints=sum(int(c[1]) for c in counts),
            hashes={c[0]: int(c[2]) for c in counts},
            schema=schema.current_version(self._conn, self.dialect),
            size_bytes=size,
            generation=self.generation,
        )


def _encode_fingerprint(
    fp: Fingerprint, hashes: np.ndarray, variants: tuple[str, ...]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Column values and the ``extra`` JSON of a fingerprint (format 2: compact rows, see rows.py)."""
    columns, row_meta = fp_rows.encode(fp_rows.compact(fp.times, hashes, fp.quality, variants))
    columns["fine"], fine_meta = fp_rows.encode_fine(fp.fine, fp.fine_times)
    # everything but the big arrays and what the reference row holds (shots, bars, quality scores, ...)
    extra = {k: v for k, v in fp.to_dict().items() if k not in _FP_COLUMNS}
    return columns, {**extra, **row_meta, **fine_meta}


def _parts(rows: list[tuple[Any, ...]]) -> Iterator[tuple[int, fp_rows.Rows]]:
    """Decode fingerprint rows ``(ref_id, format, n, times, ends, hashes, quality, variants, extra)``
    for :func:`concatenate_rows`."""
    for ref_id, fmt, n, times, ends, hashes, quality, names, extra in rows:
        names_t, meta = tuple(json.loads(names)), json.loads(extra)
        yield int(ref_id), fp_rows.decode_rows(fmt, n, times, ends, hashes, quality, names_t, meta)


def probe_once(path: Path) -> tuple[MediaInfo, str]:
    """The probe of a file about to be fingerprinted (its one pass over the bytes) and its sha256."""
    from ..probe import probe

    info = probe(path)
    assert info.file is not None  # probe always fills it
    return info, info.file.sha256


def _exists(ref: Reference, path: str | Path, sha: str) -> AddResult:
    return AddResult(
        "exists", ref, f"already in the library as reference #{ref.id}; nothing changed", str(path), sha
    )


def _size_of(media: dict[str, Any]) -> tuple[int, int]:
    """Width and height from a probe summary, wherever the prober put them."""
    for source in (media, media.get("video") or {}, *(media.get("streams") or [])):
        if isinstance(source, dict) and source.get("width") and source.get("height"):
            try:
                return int(source["width"]), int(source["height"])
            except (TypeError, ValueError):
                continue
    return 0, 0


def _writable(path: Path) -> bool:
    """Whether SQLite can write ``path`` and create its ``-wal``/``-shm`` files beside it."""
    folder = path.parent if str(path.parent) else Path(".")
    return os.access(folder, os.W_OK | os.X_OK) and (not path.exists() or os.access(path, os.W_OK))


def _look(path: Path, busy_seconds: float) -> None:
    """Before anything writes: is ``path`` a verify library (or empty, or new) we may write?

    An existing file is opened read-only (``mode=ro``), so a foreign database is refused
    unmodified (no WAL switch, no journal). Raises the LibraryError that applies.
    """
    if not path.exists():
        if not _writable(path):
            raise LibraryReadOnlyError("cannot create the library: its folder is read-only", path=path)
        return
    writable = _writable(path)
    # read-only; and when we may not write anyway, immutable: SQLite then creates no -wal/-shm beside it
    uri = f"file:{quote(os.path.abspath(path))}?mode=ro" + ("" if writable else "&immutable=1")
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=busy_seconds)
    except sqlite3.Error as exc:
        raise library_error(exc, str(path), "open") from exc
    try:
        version = schema.current_version(conn)
    except sqlite3.Error as exc:
        code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
        if code in (_CANTOPEN, _READONLY) and not writable:
            what = "file" if not os.access(path, os.W_OK) else "folder"
            raise LibraryReadOnlyError(f"the library {what} is read-only (SQLite cannot even read it "
                                       "without its -shm file beside it)", path=path) from exc  # fmt: skip
        raise library_error(exc, str(path), "open") from exc
    finally:
        conn.close()
    if version < 0:
        raise LibraryError(
            "is an SQLite database but not a verify library (left unchanged)",
            path=path,
            hint="Choose another file name for the library.",
        )
    if version > schema.LATEST:
        raise LibraryError(
            f"was written by a newer verify (schema {version}, this one knows {schema.LATEST})",
            path=path,
            hint="Upgrade verify to use this library.",
        )
    if not writable:
        what = "folder" if os.access(path, os.W_OK) else "file"
        raise LibraryReadOnlyError(f"the library {what} is read-only", path=path)


def known_lookup(target: str) -> Callable[[str], bool]:
    """For worker processes: ``sha256 -> already in the library?``, read-only, opened lazily.
    A failure answers False (the writer re-checks inside its transaction)."""
    state: dict[str, Any] = {}

    def known(sha: str) -> bool:
        try:
            if "conn" not in state:
                if is_url(target):
                    state["conn"] = dialect_for(target).connect(target, 60)
                else:
                    uri = f"file:{quote(os.path.abspath(target))}?mode=ro"  # spaces, '?', '#' in names
                    state["conn"] = sqlite3.connect(uri, uri=True, timeout=60)
            row = state["conn"].execute("SELECT 1 FROM refs WHERE sha256 = ?", (sha,)).fetchone()
            return row is not None
        except Exception:  # noqa: BLE001 - any failure: not known, decided again by the writer
            state.pop("conn", None)
            return False

    return known
