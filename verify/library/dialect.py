"""The SQL backends of the library: SQLite (the embedded default) and PostgreSQL (a shared library).

:class:`verify.library.Library` is written once against a small connection interface; everything
that differs between the engines lives here: connecting, how a write transaction starts (SQLite:
``BEGIN IMMEDIATE``; PostgreSQL: ``BEGIN`` and a row lock on the generation counter, so writers
queue exactly as they do on SQLite), placeholders (SQL is written with ``?``), which errors mean
"busy" or "damaged", schema introspection, case-insensitive search, integrity checks and size.

A PostgreSQL library is given as a URL (``postgresql://user@host:5432/dbname``, libpq parameters
allowed, e.g. ``?options=-csearch_path%3Ddesk``); its tables live in the connection's current
schema, one library per schema. psycopg 3 is imported only when such a URL is opened.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

URL_PREFIXES = ("postgresql://", "postgres://")


def is_url(target: str) -> bool:
    return target.startswith(URL_PREFIXES)


class Dialect:
    name = ""
    like = "LIKE"  # case-insensitive for ASCII on SQLite
    #: errors of this engine (DatabaseError family) for the Library's error mapping
    errors: tuple[type[BaseException], ...] = ()

    def connect(self, target: str, busy_seconds: float) -> Any:
        raise NotImplementedError

    def setup(self, conn: Any, memory: bool, busy_seconds: float) -> None:
        """Per-connection settings (before anything else)."""

    def begin_write(self, conn: Any) -> None:
        raise NotImplementedError

    def begin_read(self, conn: Any) -> None:
        conn.execute("BEGIN")

    def in_transaction(self, conn: Any) -> bool:
        raise NotImplementedError

    def is_locked(self, exc: BaseException) -> bool:
        raise NotImplementedError

    def is_corrupt(self, exc: BaseException) -> bool:
        raise NotImplementedError

    def tables(self, conn: Any) -> set[str]:
        raise NotImplementedError

    def integrity(self, conn: Any) -> list[str]:
        raise NotImplementedError

    def size_bytes(self, conn: Any, target: str) -> int:
        raise NotImplementedError

    def migration_sql(self, sql: str) -> str:
        """A migration written for SQLite, in this dialect."""
        return sql


class SQLiteDialect(Dialect):
    name = "sqlite"
    errors = (sqlite3.Error,)

    def connect(self, target: str, busy_seconds: float) -> Any:
        return sqlite3.connect(target, timeout=busy_seconds, isolation_level=None, check_same_thread=False)

    def setup(self, conn: Any, memory: bool, busy_seconds: float) -> None:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_seconds * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        if not memory:
            conn.execute("PRAGMA journal_mode = WAL").fetchone()
            conn.execute("PRAGMA synchronous = FULL")

    def begin_write(self, conn: Any) -> None:
        conn.execute("BEGIN IMMEDIATE")

    def in_transaction(self, conn: Any) -> bool:
        return bool(conn.in_transaction)

    def is_locked(self, exc: BaseException) -> bool:
        text = str(exc).lower()
        return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)

    def is_corrupt(self, exc: BaseException) -> bool:
        return isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError)

    def tables(self, conn: Any) -> set[str]:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")} - {
            "sqlite_sequence"
        }

    def integrity(self, conn: Any) -> list[str]:
        problems = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall() if r[0] != "ok"]
        problems += [
            f"dangling row {r[1]}#{r[0]} -> {r[2]}" for r in conn.execute("PRAGMA foreign_key_check")
        ]
        return problems

    def size_bytes(self, conn: Any, target: str) -> int:
        if target == ":memory:":
            return 0
        return sum(p.stat().st_size for p in (Path(target), Path(target + "-wal")) if p.exists())


class _PgConnection:
    """psycopg connection with the sqlite3-like surface the Library uses (``?`` placeholders)."""

    def __init__(self, conn: Any) -> None:
        self.raw = conn

    def execute(self, sql: str, args: tuple[Any, ...] | list[Any] = ()) -> Any:
        return self.raw.execute(sql.replace("%", "%%").replace("?", "%s"), tuple(args), prepare=False)

    def close(self) -> None:
        self.raw.close()


class PostgresDialect(Dialect):
    name = "postgresql"
    like = "ILIKE"

    def __init__(self) -> None:
        import psycopg

        self.psycopg = psycopg
        self.errors = (psycopg.Error,)

    def connect(self, target: str, busy_seconds: float) -> Any:
        conn = self.psycopg.connect(
            target, autocommit=True, connect_timeout=max(1, int(min(busy_seconds, 30)))
        )
        return _PgConnection(conn)

    def setup(self, conn: Any, memory: bool, busy_seconds: float) -> None:
        conn.execute(f"SET lock_timeout = {int(busy_seconds * 1000)}")
        conn.execute("SET client_min_messages = warning")

    def begin_write(self, conn: Any) -> None:
        conn.execute("BEGIN")
        # writers queue on the generation row (SQLite's BEGIN IMMEDIATE); a new library has none yet
        if "meta" in self.tables(conn):
            conn.execute("SELECT value FROM meta WHERE key = 'generation' FOR UPDATE")
        else:
            conn.execute("SELECT pg_advisory_xact_lock(4242)")

    def begin_read(self, conn: Any) -> None:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")

    def in_transaction(self, conn: Any) -> bool:
        from psycopg.pq import TransactionStatus

        return bool(conn.raw.info.transaction_status != TransactionStatus.IDLE)

    def is_locked(self, exc: BaseException) -> bool:
        e = self.psycopg.errors
        return isinstance(
            exc, (e.LockNotAvailable, e.DeadlockDetected, e.SerializationFailure, e.QueryCanceled)
        )

    def is_corrupt(self, exc: BaseException) -> bool:
        e = self.psycopg.errors
        return isinstance(exc, (e.DataCorrupted, e.IndexCorrupted))

    def tables(self, conn: Any) -> set[str]:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        ).fetchall()
        return {r[0] for r in rows}

    def integrity(self, conn: Any) -> list[str]:
        # foreign keys and uniqueness are enforced by the server; check what it cannot know
        rows = conn.execute(
            "SELECT f.id FROM fingerprints f LEFT JOIN refs r ON r.id = f.ref_id WHERE r.id IS NULL"
        ).fetchall()
        return [f"dangling row fingerprints#{r[0]}" for r in rows]

    def size_bytes(self, conn: Any, target: str) -> int:
        row = conn.execute(
            "SELECT coalesce(sum(pg_total_relation_size(quote_ident(table_name))), 0) FROM "
            "information_schema.tables WHERE table_schema = current_schema()"
        ).fetchone()
        return int(row[0])

    def migration_sql(self, sql: str) -> str:
        return (
            sql.replace(
                "INTEGER PRIMARY KEY AUTOINCREMENT", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
            )
            .replace("id INTEGER PRIMARY KEY,", "id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,")
            .replace("BLOB", "BYTEA")
            .replace("REAL", "DOUBLE PRECISION")
            .replace("INTEGER", "BIGINT")
        )


def dialect_for(target: str) -> Dialect:
    return PostgresDialect() if is_url(target) else SQLiteDialect()
