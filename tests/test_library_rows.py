"""Compact reference rows (format 2), the HashTable row contract and migration 3 of old libraries."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from verify.library import Library, schema
from verify.library import rows as fp_rows
from verify.library.dialect import dialect_for
from verify.library.table import CACHE


def _runs_of(n_runs: int, length: int, seed: int = 0) -> np.ndarray:
    """(n_runs * length, 2) hashes: runs of one value with a stray bit or two, per variant."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 2**63, (n_runs, 2), dtype=np.uint64)
    h = np.repeat(base, length, axis=0)
    flips = rng.integers(0, 64, h.shape).astype(np.uint64)
    noisy = rng.random(h.shape) < 0.3
    h[noisy] ^= np.uint64(1) << flips[noisy]
    return h


def test_runs_collapse_to_one_row_each_within_the_bits() -> None:
    h = _runs_of(5, 30)
    t = np.arange(len(h)) / 30.0
    q = np.ones(len(h), bool)
    q[70] = False  # an unusable sample is a row of its own
    r = fp_rows.compact(t, h, q, ("full", "crop85"), max_bits=2)
    assert len(r) <= 2 * (5 + 2) and r.names == ("full", "crop85")
    for code in (0, 1):
        mine = np.flatnonzero(r.codes == code)
        assert np.all(np.diff(r.times[mine]) > 0) and np.all(r.ends[mine] >= r.times[mine])
        # every sample is covered by exactly one row, whose hash is within 2 bits of it
        at = np.searchsorted(r.times[mine], t, "right") - 1
        assert np.all(t <= r.ends[mine][at] + 1e-9)
        d = np.bitwise_count(h[:, code] ^ r.hashes[mine][at])
        assert d.max() <= 2
    assert not r.quality[(r.codes == 0) & np.isclose(r.times, t[70])].any()
    # nothing to collapse (random hashes): the rows read back as the samples, exactly
    rnd = np.random.default_rng(1).integers(0, 2**64, (40, 2), dtype=np.uint64, endpoint=False)
    tt = np.arange(40) / 25.0
    back_t, back_h, back_q = fp_rows.expand(fp_rows.compact(tt, rnd, np.ones(40, bool), ("a", "b")))
    assert np.array_equal(back_t, tt) and np.array_equal(back_h, rnd) and back_q.all()


def test_run_starts_follow_the_definition_sample_by_sample() -> None:
    """_runs against the rule written out: a run opens at an unusable sample, after one, or at the
    first sample more than max_bits from the open run's first hash (hashes up to 2**64 - 1)."""
    rng = np.random.default_rng(4)
    for _ in range(50):
        n = int(rng.integers(0, 400))
        base = rng.integers(0, 2**64, max(1, n // 7 + 1), dtype=np.uint64, endpoint=False)
        base[0] = np.uint64(2**64 - 1)
        h = base[np.sort(rng.integers(0, base.size, n))]
        flips = rng.integers(0, 64, n).astype(np.uint64)
        h = np.where(rng.random(n) < 0.4, h ^ (np.uint64(1) << flips), h).astype(np.uint64)
        ok = rng.random(n) > 0.1
        want, first = [], None
        for j in range(n):
            if not ok[j] or first is None or int(np.bitwise_count(h[j] ^ first)) > 2:
                want.append(j)
                first = h[j] if ok[j] else None
        assert fp_rows._runs(h, ok, 2).tolist() == want


def _legacy_library(target: str, hashes: np.ndarray, times: np.ndarray, version: int) -> None:
    """A library as schema ``version`` (1: references and fingerprints; 2: and intake's text on
    screen) wrote it: hashes per sample, no format column. Written through the engine's dialect."""
    d = dialect_for(target)
    conn = d.connect(target, 10.0)
    try:
        conn.execute(
            "CREATE TABLE migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        for number, name, sql in schema.MIGRATIONS[:version]:
            for statement in d.migration_sql(sql).split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute("INSERT INTO migrations VALUES (?, ?, '2026-01-01T00:00:00Z')", (number, name))
        conn.execute("INSERT INTO meta VALUES ('library_id', 'old'), ('generation', '1')")
        conn.execute(
            "INSERT INTO refs (sha256, path, title, added_at, duration) VALUES (?, '/x.mp4', 'old one', 'z', ?)",
            ("a" * 64, float(times[-1])),
        )
        conn.execute(
            "INSERT INTO fingerprints (ref_id, algorithm, settings, variants, n, times, hashes, quality, extra)"
            " VALUES (1, 'phash-64/v1', ?, ?, ?, ?, ?, ?, ?)",
            (json.dumps({"fps": None, "variants": ["full", "crop85"]}), json.dumps(["full", "crop85"]),
             len(times), times.astype("<f8").tobytes(), hashes.astype("<u8").tobytes(),
             np.ones(len(times), np.uint8).tobytes(), json.dumps({"duration": float(times[-1]), "schema_version": 1})),
        )  # fmt: skip
        if version >= 2:
            conn.execute(
                "INSERT INTO ref_text (ref_id, engine, text, result, updated_at) VALUES (1, 'e', 'HELLO', '{}', 'z')"
            )
        if hasattr(conn, "commit"):
            conn.commit()
    finally:
        conn.close()


@contextmanager
def _target(engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if engine == "sqlite":
        yield str(tmp_path / "old.db")
        return
    from tests.pg import schema_url

    monkeypatch.setenv("HOME", str(tmp_path))  # a PostgreSQL library keeps its index in ~/.cache
    with schema_url() as url:
        yield url


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
@pytest.mark.parametrize("version", [1, 2])
def test_migration_3_compacts_an_old_library(
    engine: str, version: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = _runs_of(4, 50, seed=3)
    t = np.arange(len(h)) / 25.0
    with _target(engine, tmp_path, monkeypatch) as target:
        _legacy_library(target, h, t, version)
        CACHE.clear()
        with Library(target) as lib:
            assert schema.current_version(lib._conn, lib.dialect) == schema.LATEST >= 3
            applied = [int(r[0]) for r in lib._query("SELECT version FROM migrations ORDER BY version")]
            assert applied == list(range(1, schema.LATEST + 1))
            fmt, n = lib._query("SELECT format, n FROM fingerprints")[0]
            assert fmt == fp_rows.FORMAT_ROWS and n < len(h) * 2 / 5
            if version >= 2:  # what intake stored is still there
                assert lib._query("SELECT text FROM ref_text WHERE ref_id = 1")[0][0] == "HELLO"
            table = lib.hash_table("phash-64/v1")
            ends, times = (
                np.asarray(table.ends[np.arange(len(table))]),
                np.asarray(table.times[np.arange(len(table))]),
            )
            assert len(table) == n and tuple(table.variant_names) == ("full", "crop85")
            assert ends.dtype == np.float64 and np.all(ends >= times)
            assert (ends > times).any()  # runs span time
            memory = lib.table_in_memory("phash-64/v1")  # the persistent index holds the same rows
            assert np.array_equal(memory.ends, ends) and np.array_equal(memory.times, times)
            # the run rows still find every old sample, from its time span
            _, ti, d = table.range_search(h[:, 0], 2)
            assert d.max() <= 2 and set(np.unique(np.asarray(table.ref_ids[ti]))) == {1}
            fp = lib.fingerprint_of(1)
            assert fp.hashes.shape[1] == 2 and len(fp) <= n
            assert lib.integrity_check() == "ok"
            del table
        CACHE.clear()


def test_a_single_frame_row_ends_where_it_starts(tmp_path: Path) -> None:
    from verify.library.table import HashTable

    z = np.zeros(3)
    table = HashTable(
        "a", z.astype(np.uint64), z.astype(np.int64), np.array([0.0, 1.0, 2.0]), z.astype(np.int16), ("full",)
    )
    assert np.array_equal(table.ends, table.times)


@pytest.mark.slow
def test_real_clip_is_stored_compact_and_matches_itself(tmp_path: Path, corpus: Path) -> None:
    clip = corpus / "files" / "mdn-friday.mp4"
    with Library(tmp_path / "lib.db") as lib:
        ref = lib.add(clip).reference
        assert ref is not None
        fp = lib.fingerprint_of(ref.id)
        stored = lib._query("SELECT n, length(fine) FROM fingerprints")[0]
        assert stored[0] < 3 * 185 and stored[1] > 0  # fewer rows than samples x variants, a fine series
        assert fp.fine is not None and fp.fine.shape[1] == 36 and len(fp.fine_times) >= 25
