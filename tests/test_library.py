"""The library: records, no-op re-adds, transactions, migrations, errors, cached hash tables.

Tests taking ``lib`` run against both backends (SQLite and PostgreSQL, see ``tests/pg.py``);
``sqlite_lib`` ones test what only SQLite has (WAL, the file, PRAGMAs, damaged pages)."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from verify.errors import LibraryCorruptError, LibraryError, LibraryNotFoundError, ReferenceNotFoundError
from verify.fingerprint import Fingerprint, FingerprintSettings
from verify.library import CACHE, Library, Provenance
from verify.library.schema import LATEST


def make_fp(seed: int, n: int = 50, variants: tuple[str, ...] = ("full", "mirror")) -> Fingerprint:
    rng = np.random.default_rng(seed)
    quality = np.ones(n, dtype=bool)
    quality[::10] = False
    return Fingerprint(
        algorithm="phash-64/v1",
        settings=FingerprintSettings(fps=None, variants=variants),
        times=np.arange(n) / 25.0,
        hashes=rng.integers(0, 2**64, size=(n, len(variants)), dtype=np.uint64, endpoint=False),
        quality=quality,
        shots=(0.0, 1.2),
        bars=(0, 0, 10, 10),
        duration=n / 25.0,
        media={"width": 160, "height": 120, "container": "mov"},
        quality_scores=np.linspace(0, 1, n, dtype=np.float32),
        source_size=(160, 120),
    )


def fake_file(tmp_path: Path, name: str, content: bytes) -> tuple[Path, str]:
    p = tmp_path / name
    p.write_bytes(content)
    return p, hashlib.sha256(content).hexdigest()


@pytest.fixture(params=["sqlite", "postgresql"])
def lib(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Library:
    if request.param == "sqlite":
        with Library(tmp_path / "lib.db") as library:
            yield library  # type: ignore[misc]
        return
    from tests.pg import schema_url

    monkeypatch.setenv("HOME", str(tmp_path))  # a PostgreSQL library keeps its index in ~/.cache
    with schema_url() as url, Library(url) as library:
        yield library  # type: ignore[misc]
    CACHE.clear()


@pytest.fixture
def sqlite_lib(tmp_path: Path) -> Library:
    with Library(tmp_path / "lib.db") as library:
        yield library  # type: ignore[misc]


def test_add_fingerprint_round_trips_every_field(lib: Library, tmp_path: Path) -> None:
    path, sha = fake_file(tmp_path, "a.mp4", b"clip a")
    prov = Provenance("Flood in X", "https://e.org/v", "2021-07-14", "agency", "desc", ("flood", "río"), "n")
    fp = make_fp(1)
    result = lib.add_fingerprint(fp, path, prov)
    assert result.status == "added" and result.reference is not None and result.sha256 == sha
    ref = lib.get(result.reference.id)
    assert ref.provenance == prov and ref.sha256 == sha and ref.path == str(path)
    assert (ref.width, ref.height, ref.duration) == (160, 120, 2.0)
    assert ref.algorithm == "phash-64/v1" and ref.n_hashes == 100 and ref.added_at.endswith("Z")
    back = lib.fingerprint_of(ref.id)
    assert np.array_equal(back.hashes, fp.hashes) and back.hashes.dtype == np.uint64
    assert np.array_equal(back.times, fp.times) and np.array_equal(back.quality, fp.quality)
    assert back.settings == fp.settings and back.shots == fp.shots and back.bars == fp.bars
    assert np.array_equal(back.quality_scores, fp.quality_scores) and back.source_size == (160, 120)
    assert lib.get(sha) == ref and lib.get(sha[:10]) == ref and lib.get(f"#{ref.id}") == ref
    assert lib.integrity_check() == "ok"


def test_same_sha256_is_a_no_op_that_says_so(lib: Library, tmp_path: Path) -> None:
    path, _ = fake_file(tmp_path, "a.mp4", b"same bytes")
    copy, _ = fake_file(tmp_path, "copy.mov", b"same bytes")
    first = lib.add_fingerprint(make_fp(1), path, Provenance("first"))
    gen = lib.generation
    again = lib.add_fingerprint(make_fp(2), copy, Provenance("second"))
    assert again.status == "exists" and again.reference == first.reference
    assert "already in the library" in again.message and f"#{first.reference.id}" in again.message
    assert len(lib) == 1 and lib.generation == gen and lib.get(1).provenance.title == "first"


def test_references_search_remove_and_ids_not_reused(lib: Library, tmp_path: Path) -> None:
    ids = []
    for i, title in enumerate(["Flood 100%", "Fire", "flood_two"]):
        p, _ = fake_file(tmp_path, f"{i}.mp4", f"clip {i}".encode())
        ids.append(lib.add_fingerprint(make_fp(i), p, Provenance(title, tags=("t",))).reference.id)
    assert [r.provenance.title for r in lib.references()] == ["Flood 100%", "Fire", "flood_two"]
    assert [r.id for r in lib.references("flood")] == [ids[0], ids[2]]
    assert [r.id for r in lib.references("100%")] == [ids[0]]  # LIKE wildcards are literal
    assert [r.id for r in lib.references("Fi_e")] == []
    removed = lib.remove(ids[1])
    assert removed.provenance.title == "Fire" and len(lib) == 2
    with pytest.raises(ReferenceNotFoundError, match="no reference"):
        lib.get(ids[1])
    with pytest.raises(KeyError):  # also a builtin KeyError
        lib.remove(999)
    p, _ = fake_file(tmp_path, "new.mp4", b"new")
    assert lib.add_fingerprint(make_fp(9), p).reference.id == ids[-1] + 1  # removed ids stay retired
    assert lib.stats().references == 3 and lib.stats().fingerprints == 3
    assert lib.integrity_check() == "ok"


def test_hash_table_concatenates_usable_hashes_and_is_cached(lib: Library, tmp_path: Path) -> None:
    refs = []
    for i in range(3):
        p, _ = fake_file(tmp_path, f"{i}.mp4", f"c{i}".encode())
        refs.append(lib.add_fingerprint(make_fp(i, n=40), p).reference)
    table = lib.hash_table("phash-64/v1")
    assert len(table) == 3 * 36 * 2 and table.variant_names == ("full", "mirror")
    fp0 = make_fp(0, n=40)
    mine = (table.ref_ids == refs[0].id) & (table.variant_codes == 1)
    assert np.array_equal(table.hashes[mine], fp0.hashes[fp0.quality, 1])
    assert np.array_equal(table.times[mine], fp0.times[fp0.quality])
    # the search finds a stored hash at distance 0, from its reference and time
    _, ti, d = table.range_search(fp0.hashes[5:6, 0], 0)
    assert table.ref_ids[ti].tolist() == [refs[0].id] and d.tolist() == [0]
    assert table.times[ti][0] == pytest.approx(5 / 25)
    # cached: the same object (with its built index) until the library changes
    assert table.index_built and lib.hash_table("phash-64/v1") is table
    with Library(lib.path) as other:  # another handle on the same file shares the cache
        assert other.hash_table("phash-64/v1") is table
        other.remove(refs[1].id)  # ...and sees a change made anywhere
    fresh = lib.hash_table("phash-64/v1")
    assert fresh is not table and len(fresh) == 2 * 36 * 2 and refs[1].id not in fresh.ref_ids
    assert len(lib.hash_table("phash-64/v1", variants=("full",))) == 2 * 36
    assert len(lib.hash_table("dhash-64/v1")) == 0  # other algorithms are never mixed in


def test_failed_transaction_leaves_library_as_it_was(lib: Library, tmp_path: Path) -> None:
    p, _ = fake_file(tmp_path, "a.mp4", b"a")
    lib.add_fingerprint(make_fp(1), p)
    before = (len(lib), lib.generation, lib.stats().fingerprints)
    bad = make_fp(2)
    object.__setattr__(bad, "quality", np.array(["bad"] * 50))  # fails after the reference row is written
    q, _ = fake_file(tmp_path, "b.mp4", b"b")
    with pytest.raises((ValueError, TypeError)):
        lib.add_fingerprint(bad, q)
    assert (len(lib), lib.generation, lib.stats().fingerprints) == before
    assert lib.integrity_check() == "ok"


def test_wal_foreign_keys_and_migrations_table(sqlite_lib: Library) -> None:
    lib = sqlite_lib
    conn = sqlite3.connect(lib.path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT max(version) FROM migrations").fetchone()[0] == LATEST
    conn.close()
    assert lib._conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_open_errors_name_the_file_and_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(LibraryNotFoundError, match="verify hash"):
        Library(tmp_path / "missing.db", create=False)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(LibraryCorruptError, match=r"junk\.db"):
        Library(junk)
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    with pytest.raises(LibraryError, match="not a verify library"):
        Library(other)
    newer = tmp_path / "newer.db"
    Library(newer).close()
    conn = sqlite3.connect(newer)
    conn.execute("INSERT INTO migrations VALUES (999, 'future', '')")
    conn.commit()
    conn.close()
    with pytest.raises(LibraryError, match="newer verify"):
        Library(newer)
    with pytest.raises(LibraryError, match="folder"):
        Library(tmp_path)


def test_in_memory_library_for_tests(tmp_path: Path) -> None:
    a, b = Library(":memory:"), Library(":memory:")
    p, _ = fake_file(tmp_path, "a.mp4", b"a")
    a.add_fingerprint(make_fp(1), p)
    assert len(a) == 1 and len(b) == 0 and len(b.hash_table("phash-64/v1")) == 0
    assert len(a.hash_table("phash-64/v1")) == 90
    a.close()
    b.close()
    CACHE.clear()


@pytest.mark.slow
def test_add_real_clip_then_re_add_skips_decoding(tmp_path: Path, clip: Path) -> None:
    calls: list[float] = []
    with Library(tmp_path / "lib.db") as lib:
        first = lib.add(clip, Provenance("generated"), progress=lambda d, t: calls.append(d))
        assert first.status == "added" and first.reference.n_hashes > 0 and calls
        fp = lib.fingerprint_of(first.reference.id)
        assert len(fp) >= 40  # references hashed densely: 2 s at 25 fps
        calls.clear()
        again = lib.add(clip, progress=lambda d, t: calls.append(d))
        assert again.status == "exists" and not calls  # decided from the sha256, before decoding
        table = lib.hash_table(fp.algorithm)
        _, ti, _ = table.range_search(fp.hashes[fp.quality][:, 0], 4)
        assert set(table.ref_ids[ti].tolist()) == {first.reference.id}
        assert lib.integrity_check() == "ok"


def test_damaged_pages_are_reported_not_ignored(tmp_path: Path) -> None:
    db = tmp_path / "dmg.db"
    with Library(db) as lib:
        for i in range(20):
            p, _ = fake_file(tmp_path, f"{i}.mp4", f"c{i}".encode())
            lib.add_fingerprint(make_fp(i, n=200), p)
    conn = sqlite3.connect(db)  # fold the WAL into the main file, then damage it
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = bytearray(db.read_bytes())
    data[8192:12288] = b"\xde\xad\xbe\xef" * 1024
    db.write_bytes(bytes(data))
    try:
        with Library(db) as lib:
            verdict = lib.integrity_check()
            assert verdict != "ok"
    except LibraryCorruptError as exc:
        assert "dmg.db" in str(exc) and "backup" in str(exc)


def test_table_cache_bounds_count_and_rows() -> None:
    from verify.library.table import HashTable, TableCache

    def table(rows: int, generation: int = 0) -> HashTable:
        z = np.zeros(rows)
        return HashTable(
            "a", z.astype(np.uint64), z.astype(np.int64), z, z.astype(np.int16), ("full",), generation
        )

    cache = TableCache(size=2, max_rows=100)
    cache.put(("x",), table(10))
    cache.put(("y",), table(10))
    assert cache.get(("x",), 0) is not None  # x is now the most recent
    cache.put(("z",), table(10))
    assert cache.get(("y",), 0) is None and cache.get(("x",), 0) is not None  # LRU went
    assert cache.get(("x",), 1) is None  # another generation is a miss
    cache.put(("big",), table(500))  # over the row budget alone: kept (the newest), the others go
    assert (
        cache.get(("big",), 0) is not None and cache.get(("x",), 0) is None and cache.get(("z",), 0) is None
    )


def test_postgresql_open_errors_and_migrations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import psycopg

    from tests.pg import base_url, schema_url

    monkeypatch.setenv("HOME", str(tmp_path))
    with schema_url() as url:
        with Library(url) as lib:
            assert lib.dialect.name == "postgresql" and lib.stats().schema == LATEST
            assert lib.index_folder == tmp_path / ".cache" / "verify" / "index" / lib.library_id
            lid = lib.library_id
        with Library(url) as again:  # opening again applies nothing and keeps the id
            assert again.library_id == lid
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("INSERT INTO migrations VALUES (999, 'future', '')")
        with pytest.raises(LibraryError, match="newer verify"):
            Library(url)
    with schema_url() as url:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE t (x int)")
        with pytest.raises(LibraryError, match="not a verify library"):
            Library(url)
    bad = base_url().replace("verify_test", "no_such_database_here")
    with pytest.raises(LibraryError, match="cannot open the library") as info:
        Library(bad)
    assert "Check the path or the server" in str(info.value)
    with pytest.raises(LibraryError) as info:
        Library("postgresql://someone:s3cret@127.0.0.1:9/x")
    assert "s3cret" not in str(info.value)  # a password never reaches a message
