"""The known-footage library: one SQLite file (WAL, foreign keys, versioned migrations).

Every write is one ``BEGIN IMMEDIATE`` transaction (one per clip): a failure or a kill
leaves the library as it was. Writers wait for each other (``busy_timeout`` plus a
retry loop with back-off for "database is locked"), readers never wait (WAL).
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import serial
from ..digest import sha256_file as file_sha256
from ..errors import (
    LibraryBusyError,
    LibraryCorruptError,
    LibraryError,
    LibraryNotFoundError,
    ReferenceNotFoundError,
)
from ..fingerprint import Fingerprint, FingerprintSettings
from . import schema
from .models import AddResult, LibraryStats, Provenance, Reference
from .table import CACHE, HashTable, concatenate

if TYPE_CHECKING:
    from ..probe import MediaInfo

log = logging.getLogger("verify")

Progress = Callable[[float, float], None]

#: How long a writer waits for another process before giving up (seconds).
BUSY_SECONDS = 120.0

#: Fingerprint fields stored in their own columns (or the reference row), not in ``extra``.
_FP_COLUMNS = {"algorithm", "settings", "times", "hashes", "quality", "media", "sha256"}

_REF_COLUMNS = (
    "id, sha256, path, title, source_url, first_seen, found_at, description, tags, notes, "
    "duration, width, height, media, added_at, "
    "(SELECT algorithm FROM fingerprints f WHERE f.ref_id = refs.id ORDER BY f.id LIMIT 1), "
    "(SELECT length(hashes) / 8 FROM fingerprints f WHERE f.ref_id = refs.id ORDER BY f.id LIMIT 1)"
)


def _is_locked(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


class Library:
    """``Library(path)`` opens (and by default creates) a library; ``":memory:"`` for tests."""

    def __init__(self, path: str | Path, *, create: bool = True, busy_seconds: float = BUSY_SECONDS) -> None:
        self.path = str(path)
        self.busy_seconds = busy_seconds
        self._lock = threading.RLock()
        memory = self.path == ":memory:"
        if not memory:
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
        try:
            self._conn = sqlite3.connect(
                self.path, timeout=busy_seconds, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise LibraryError(f"cannot open the library ({exc})", path=self.path) from exc
        try:
            self._setup(memory)
        except BaseException:
            self._conn.close()
            raise

    # -- connection and transactions -----------------------------------------------------

    def _setup(self, memory: bool) -> None:
        try:
            self._conn.execute(f"PRAGMA busy_timeout = {int(self.busy_seconds * 1000)}")
            self._conn.execute("PRAGMA foreign_keys = ON")
            if not memory:
                self._retry(lambda: self._conn.execute("PRAGMA journal_mode = WAL").fetchone())
                self._conn.execute("PRAGMA synchronous = FULL")
            version = schema.current_version(self._conn)
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and _is_locked(exc):
                raise LibraryBusyError(f"the library stayed locked ({exc})", path=self.path) from exc
            raise LibraryCorruptError(f"not a verify library or damaged ({exc})", path=self.path) from exc
        if version < 0:
            raise LibraryError(
                "is an SQLite database but not a verify library",
                path=self.path,
                hint="Choose another file name for the library.",
            )
        if version > schema.LATEST:
            raise LibraryError(
                f"was written by a newer verify (schema {version}, this one knows {schema.LATEST})",
                path=self.path,
                hint="Upgrade verify to use this library.",
            )
        if version < schema.LATEST:
            with self._write() as conn:
                schema.migrate(conn)
        self.library_id = self._meta("library_id")

    def _retry(self, fn: Callable[[], Any]) -> Any:
        deadline = time.monotonic() + self.busy_seconds
        delay = 0.05
        while True:
            try:
                return fn()
            except sqlite3.OperationalError as exc:
                if not _is_locked(exc) or time.monotonic() > deadline:
                    raise
                log.debug("library %s busy, retrying: %s", self.path, exc)
                time.sleep(delay)
                delay = min(delay * 2, 1.0)

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: BEGIN IMMEDIATE (retried while locked) ... COMMIT, or ROLLBACK."""
        with self._lock:
            try:
                self._retry(lambda: self._conn.execute("BEGIN IMMEDIATE"))
            except sqlite3.OperationalError as exc:
                if _is_locked(exc):
                    raise LibraryBusyError(f"the library stayed locked ({exc})", path=self.path) from exc
                raise LibraryError(f"cannot write to the library ({exc})", path=self.path) from exc
            except sqlite3.DatabaseError as exc:
                raise LibraryCorruptError(f"the library is damaged ({exc})", path=self.path) from exc
            try:
                yield self._conn
                self._retry(lambda: self._conn.execute("COMMIT"))
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._retry(lambda: self._conn.execute(sql, args).fetchall())
            except sqlite3.OperationalError as exc:
                if _is_locked(exc):
                    raise LibraryBusyError(f"the library stayed locked ({exc})", path=self.path) from exc
                raise LibraryError(f"cannot read the library ({exc})", path=self.path) from exc
            except sqlite3.DatabaseError as exc:
                raise LibraryCorruptError(f"the library is damaged ({exc})", path=self.path) from exc

    def _meta(self, key: str) -> str:
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else ""

    @staticmethod
    def _bump(conn: sqlite3.Connection) -> None:
        conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")

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
    ) -> AddResult:
        """Fingerprint ``media_path`` and add it; a file already present (same sha256) is left alone.

        The file is read once (the probe's digest pass) and decoded once (the fingerprint)."""
        from .. import fingerprint as fpmod
        from ..frames import check_file

        path = check_file(media_path)
        info, sha = probe_once(path)
        existing = self.find_sha256(sha)
        if existing is not None:
            return _exists(existing, path, sha)
        fp = fpmod.fingerprint(path, settings or fpmod.REFERENCE, progress, info=info)
        return self.add_fingerprint(fp, path, provenance, sha256=sha)

    def add_fingerprint(
        self,
        fp: Fingerprint,
        media_path: str | Path,
        provenance: Provenance | None = None,
        *,
        sha256: str | None = None,
    ) -> AddResult:
        """Store a fingerprint made elsewhere (e.g. in a worker) as a new reference: one transaction."""
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
        # everything but the big arrays and what the reference row holds (shots, bars, quality scores, ...)
        extra = {k: v for k, v in fp.to_dict().items() if k not in _FP_COLUMNS}
        with self._write() as conn:
            row = conn.execute(f"SELECT {_REF_COLUMNS} FROM refs WHERE sha256 = ?", (sha,)).fetchone()
            if row is not None:  # another process added it meanwhile
                return _exists(self._reference(row), media_path, sha)
            cur = conn.execute(
                "INSERT INTO refs (sha256, path, title, source_url, first_seen, found_at, description, tags,"
                " notes, duration, width, height, media, added_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (sha, os.path.abspath(media_path), prov.title, prov.source_url, prov.first_seen, prov.found_at,
                 prov.description, json.dumps(list(prov.tags), ensure_ascii=False), prov.notes,
                 float(fp.duration or 0.0), width, height, json.dumps(media, ensure_ascii=False),
                 schema.now_utc()),
            )  # fmt: skip
            ref_id = int(cur.lastrowid or 0)
            conn.execute(
                "INSERT INTO fingerprints (ref_id, algorithm, settings, variants, n, times, hashes, quality,"
                " extra) VALUES (?,?,?,?,?,?,?,?,?)",
                (ref_id, fp.algorithm, serial.dumps(fp.settings), json.dumps(variants), len(fp),
                 np.asarray(fp.times, dtype="<f8").tobytes(), hashes.tobytes(),
                 np.asarray(fp.quality, dtype=np.uint8).tobytes(), json.dumps(extra)),
            )  # fmt: skip
            self._bump(conn)
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
            sql += " WHERE " + " OR ".join(f"{f} LIKE ? ESCAPE '\\'" for f in fields)
            sql += " OR id IN (SELECT ref_id FROM ref_text WHERE text LIKE ? ESCAPE '\\')"  # text on screen
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
                                             path=self.path, hint="Give more characters of the sha256.")  # fmt: skip
        else:
            rows = []
        if not rows:
            raise ReferenceNotFoundError(f"no reference {id_or_sha!s}", path=self.path)
        return self._reference(rows[0])

    def set_text(self, id_or_sha: int | str, result: Any) -> None:
        """Store the text on screen of a reference (a ``verify.ocr.OcrResult``); replaces an older one."""
        ref = self.get(id_or_sha)
        with self._write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO ref_text (ref_id, engine, text, result, updated_at) VALUES (?,?,?,?,?)",
                (ref.id, result.engine, result.text(), serial.dumps(result), schema.now_utc()),
            )

    def text_of(self, id_or_sha: int | str) -> Any:
        """The stored ``verify.ocr.OcrResult`` of a reference, or None."""
        from ..ocr import OcrResult

        ref = self.get(id_or_sha)
        rows = self._query("SELECT result FROM ref_text WHERE ref_id = ?", (ref.id,))
        return serial.loads(OcrResult, rows[0][0]) if rows else None

    def remove(self, id_or_sha: int | str) -> Reference:
        """Delete a reference and its fingerprints (one transaction); returns what was removed."""
        ref = self.get(id_or_sha)
        with self._write() as conn:
            conn.execute("DELETE FROM refs WHERE id = ?", (ref.id,))
            self._bump(conn)
        return ref

    def fingerprint_of(self, ref_id: int | str) -> Fingerprint:
        ref = self.get(ref_id)
        rows = self._query(
            "SELECT algorithm, settings, variants, n, times, hashes, quality, extra FROM fingerprints"
            " WHERE ref_id = ? ORDER BY id",
            (ref.id,),
        )
        if not rows:
            raise ReferenceNotFoundError(f"reference #{ref.id} has no fingerprint", path=self.path)
        algorithm, settings, variants, n, times, hashes, quality, extra = rows[0]
        data = {**json.loads(extra), "algorithm": algorithm, "settings": json.loads(settings),
                "sha256": ref.sha256, "media": ref.media}  # fmt: skip
        return replace(
            Fingerprint.from_dict(data),
            times=np.frombuffer(times, dtype="<f8").astype(np.float64),
            hashes=np.frombuffer(hashes, dtype="<u8").astype(np.uint64).reshape(n, len(json.loads(variants))),
            quality=np.frombuffer(quality, dtype=np.uint8).astype(bool),
        )

    def hash_table(self, algorithm: str, variants: tuple[str, ...] | None = None) -> HashTable:
        """Every usable reference hash of ``algorithm``, cached until the library changes."""
        where = (
            self.path if self.path == ":memory:" else os.path.realpath(self.path)
        )  # a copied file shares the id
        key = (self.library_id or id(self), where, algorithm, variants)
        generation = self.generation
        table = CACHE.get(key, generation)
        if table is not None:
            return table
        rows = self._query(
            "SELECT ref_id, n, times, hashes, quality, variants FROM fingerprints WHERE algorithm = ? ORDER BY ref_id",
            (algorithm,),
        )

        def parts() -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray, tuple[str, ...]]]:
            for ref_id, n, times, hashes, quality, names in rows:
                names_t = tuple(json.loads(names))
                yield (int(ref_id), np.frombuffer(times, dtype="<f8"),
                       np.frombuffer(hashes, dtype="<u8").reshape(n, len(names_t)),
                       np.frombuffer(quality, dtype=np.uint8).astype(bool), names_t)  # fmt: skip

        table = concatenate(algorithm, parts(), generation, variants)
        CACHE.put(key, table)
        return table

    # -- health ----------------------------------------------------------------------------

    def integrity_check(self) -> str:
        """``"ok"``, or what SQLite found wrong (integrity and foreign keys)."""
        problems = [r[0] for r in self._query("PRAGMA integrity_check") if r[0] != "ok"]
        problems += [f"dangling row {r[1]}#{r[0]} -> {r[2]}" for r in self._query("PRAGMA foreign_key_check")]
        return "ok" if not problems else "; ".join(problems)

    def stats(self) -> LibraryStats:
        counts = self._query(
            "SELECT algorithm, count(*), sum(length(hashes)) / 8 FROM fingerprints GROUP BY 1"
        )
        size = 0 if self.path == ":memory:" else Path(self.path).stat().st_size
        return LibraryStats(
            path=self.path,
            references=len(self),
            fingerprints=sum(int(c[1]) for c in counts),
            hashes={c[0]: int(c[2]) for c in counts},
            schema=schema.current_version(self._conn),
            size_bytes=size,
            generation=self.generation,
        )


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
