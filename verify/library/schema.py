"""Versioned migrations of the library database (SQLite and PostgreSQL).

Each migration is applied once, inside the same write transaction that records it in the
``migrations`` table (SQLite ``BEGIN IMMEDIATE``, PostgreSQL a lock), so two processes opening a
new library at the same moment cannot both apply it. A library written by a newer verify (a
version this code does not know) is refused rather than guessed at. Migrations are written in
SQLite's SQL; :meth:`verify.library.dialect.Dialect.migration_sql` turns them into another
dialect's (a migration may also give its PostgreSQL text explicitly).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from . import rows
from .dialect import Dialect, SQLiteDialect

#: (version, name, SQL). Append only; never edit a released migration.
MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "references and fingerprints",
        """
        CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE refs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,      -- never reused, so a cited id stays unique
            sha256 TEXT NOT NULL UNIQUE CHECK (length(sha256) = 64),
            path TEXT NOT NULL,
            title TEXT NOT NULL DEFAULT '',
            source_url TEXT NOT NULL DEFAULT '',
            first_seen TEXT NOT NULL DEFAULT '',
            found_at TEXT NOT NULL DEFAULT '',
            description TEXT NOT NULL DEFAULT '',
            tags TEXT NOT NULL DEFAULT '[]',            -- JSON array of strings
            notes TEXT NOT NULL DEFAULT '',
            duration REAL NOT NULL DEFAULT 0,
            width INTEGER NOT NULL DEFAULT 0,
            height INTEGER NOT NULL DEFAULT 0,
            media TEXT NOT NULL DEFAULT '{}',           -- JSON probe summary
            added_at TEXT NOT NULL                      -- UTC ISO 8601
        );
        CREATE TABLE fingerprints (
            id INTEGER PRIMARY KEY,
            ref_id INTEGER NOT NULL REFERENCES refs(id) ON DELETE CASCADE,
            algorithm TEXT NOT NULL,                    -- e.g. phash-64/v1: never compared across ids
            settings TEXT NOT NULL,                     -- JSON FingerprintSettings
            variants TEXT NOT NULL,                     -- JSON array: column names of hashes
            n INTEGER NOT NULL,                         -- samples
            times BLOB NOT NULL,                        -- float64 little-endian (n,)
            hashes BLOB NOT NULL,                       -- uint64 little-endian (n, len(variants))
            quality BLOB NOT NULL,                      -- uint8 0/1 (n,)
            extra TEXT NOT NULL DEFAULT '{}',           -- JSON: shots, bars, duration, schema_version
            UNIQUE (ref_id, algorithm)
        );
        CREATE INDEX fingerprints_algorithm ON fingerprints(algorithm);
        """,
    ),
    (
        2,
        "text on screen per reference",
        """
        CREATE TABLE ref_text (
            ref_id INTEGER PRIMARY KEY REFERENCES refs(id) ON DELETE CASCADE,
            engine TEXT NOT NULL,                       -- OCR engine and model ids
            text TEXT NOT NULL,                         -- distinct texts, one per line (searched)
            result TEXT NOT NULL,                       -- JSON verify.ocr.OcrResult
            updated_at TEXT NOT NULL                    -- UTC ISO 8601
        );
        """,
    ),
    (
        3,
        "compact rows, fine series and picture digest",
        """
        ALTER TABLE fingerprints ADD COLUMN format INTEGER NOT NULL DEFAULT 1;  -- 1 per sample, 2 rows
        ALTER TABLE fingerprints ADD COLUMN ends BLOB;          -- format 2: int32 ms (n,) run ends
        ALTER TABLE fingerprints ADD COLUMN fine BLOB;          -- zlib: fine block-mean series (rows.py)
        ALTER TABLE fingerprints ADD COLUMN picture_digest TEXT NOT NULL DEFAULT '';
        CREATE INDEX fingerprints_picture_digest ON fingerprints(picture_digest);
        """,
    ),
]

#: Python steps run right after a migration's SQL, in the same transaction (data conversions).
CONVERSIONS: dict[int, Callable[[Any], object]] = {3: rows.convert_legacy}

# 4: the sound's fingerprints (verify.library.audio_store). Number 3 belongs to another change
# (compact reference rows); the migrations are independent, and :func:`migrate` applies every one a
# library lacks, so a library that has 4 but not 3 still gets 3 when this code knows it.
from .audio_store import MIGRATION as _AUDIO_MIGRATION  # noqa: E402

MIGRATIONS.append(_AUDIO_MIGRATION)
MIGRATIONS.sort(key=lambda m: m[0])

LATEST = max(m[0] for m in MIGRATIONS)


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def current_version(conn: Any, dialect: Dialect | None = None) -> int:
    """Highest applied migration; 0 for an empty database; -1 for a database that is not a library."""
    tables = (dialect or SQLiteDialect()).tables(conn)
    if "migrations" not in tables:
        return 0 if not tables else -1
    row = conn.execute("SELECT max(version) FROM migrations").fetchone()
    return int(row[0] or 0)


def applied(conn: Any, dialect: Dialect | None = None) -> set[int]:
    """The migration numbers a library has (empty for an empty database)."""
    if "migrations" not in (dialect or SQLiteDialect()).tables(conn):
        return set()
    return {int(r[0]) for r in conn.execute("SELECT version FROM migrations").fetchall()}


def pending(conn: Any, dialect: Dialect | None = None) -> list[int]:
    """Known migrations a library lacks (also one below its highest: numbers may land out of order)."""
    have = applied(conn, dialect)
    return [m[0] for m in MIGRATIONS if m[0] not in have]


def migrate(conn: Any, dialect: Dialect | None = None) -> int:
    """Apply pending migrations (caller holds a write transaction). Returns the schema version.

    Every known migration the library lacks is applied in number order, including one numbered
    below the library's highest (two changes may add migrations in either order)."""
    d = dialect or SQLiteDialect()
    version = current_version(conn, d)
    if version == 0:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS migrations ("
            "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
    have = applied(conn, d)
    for number, name, sql in MIGRATIONS:
        if number in have:
            continue
        for statement in d.migration_sql(sql).split(";"):
            if statement.strip():
                conn.execute(statement)
        if number in CONVERSIONS:
            CONVERSIONS[number](conn)
        conn.execute("INSERT INTO migrations VALUES (?, ?, ?)", (number, name, now_utc()))
        if number == 1:
            conn.execute("INSERT INTO meta VALUES ('library_id', ?)", (uuid.uuid4().hex,))
            conn.execute("INSERT INTO meta VALUES ('generation', '0')")
        version = max(version, number)
    return version
