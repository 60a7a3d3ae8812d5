"""The persistent index: exact against the brute-force oracle, incremental, consistent, crash-safe."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from verify.fingerprint import Fingerprint, FingerprintSettings
from verify.index import BruteForceIndex
from verify.library import CACHE, Library
from verify.library.persistent import PersistentTable, index_store, mih, segment
from verify.library.table import HashTable

ROOT = Path(__file__).resolve().parent.parent
ALG = "phash-64/v1"
VARIANTS = ("full", "crop85", "crop60")


@pytest.fixture(autouse=True)
def small_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small thresholds so that tiny test tables take every path: substring tables, spills, merges."""
    monkeypatch.setattr(segment, "SCAN_ROWS", 900)
    monkeypatch.setattr(mih, "PART_ROWS", 700)
    CACHE.clear()


def flip(h: int, rng: np.random.Generator, k: int) -> int:
    for b in rng.choice(64, size=k, replace=False):
        h ^= 1 << int(b)
    return h


def video_like(rng: np.random.Generator, n: int) -> np.ndarray:
    """Realistic-ish hashes: 32 ones (like pHash), shots of near-identical consecutive frames."""
    out = np.empty(n, np.uint64)
    i = 0
    while i < n:
        bits = np.zeros(64, bool)
        bits[rng.choice(64, 32, replace=False)] = True
        for _ in range(min(n - i, int(rng.integers(5, 60)))):
            if rng.random() < 0.5:  # swap a one and a zero: consecutive frames 0 or 2 bits apart
                a, b = rng.choice(np.flatnonzero(bits)), rng.choice(np.flatnonzero(~bits))
                bits[a], bits[b] = False, True
            out[i] = int(np.packbits(bits, bitorder="little").view(np.uint64)[0])
            i += 1
    return out


def make_fp(rng: np.random.Generator, n: int, realistic: bool) -> Fingerprint:
    cols = [video_like(rng, n) if realistic else rng.integers(0, 2**64, n, np.uint64, endpoint=False)
            for _ in VARIANTS]  # fmt: skip
    quality = rng.random(n) > 0.1
    return Fingerprint(ALG, FingerprintSettings(variants=VARIANTS), np.arange(n) / 30.0, np.stack(cols, 1),
                       quality, duration=n / 30.0)  # fmt: skip


def add(lib: Library, tmp: Path, fp: Fingerprint, tag: str) -> int:
    p = tmp / f"{tag}.bin"
    p.write_bytes(tag.encode())
    r = lib.add_fingerprint(fp, p, sha256=hashlib.sha256(tag.encode()).hexdigest())
    return r.reference.id


def oracle_table(lib: Library) -> HashTable:
    """The same rows built in memory, the way a ``:memory:`` library does (compact rows with
    their ends, decoded from the library, no index involved)."""
    return lib.table_in_memory(ALG)


def rows_of(table, result) -> set[tuple]:  # type: ignore[no-untyped-def]
    """A search result as a set of (query, reference, time, end, variant name, hash, distance)."""
    qi, ti, d = result
    names = table.variant_names
    refs, times, ends = np.asarray(table.ref_ids[ti]), np.asarray(table.times[ti]), np.asarray(table.ends[ti])
    codes, hashes = np.asarray(table.variant_codes[ti]), np.asarray(table.hashes[ti])
    return {(int(a), int(r), float(t), float(e), names[int(c)], int(h), int(x))
            for a, r, t, e, c, h, x in zip(qi, refs, times, ends, codes, hashes, d)}  # fmt: skip


def queries_near(table: HashTable, rng: np.random.Generator, n: int, max_k: int) -> np.ndarray:
    src = np.asarray(table.hashes)[rng.integers(0, len(table.hashes), n)]
    q = [flip(int(h), rng, i % (max_k + 1)) for i, h in enumerate(src)]
    q += rng.integers(0, 2**64, n // 4, np.uint64, endpoint=False).tolist()  # and unrelated ones
    return np.array(q, np.uint64)


@pytest.mark.parametrize("realistic", [False, True])
def test_range_search_equals_brute_force_at_every_radius(tmp_path: Path, realistic: bool) -> None:
    rng = np.random.default_rng(7 + realistic)
    with Library(tmp_path / "lib.db") as lib:
        ids = [
            add(lib, tmp_path, make_fp(rng, int(rng.integers(200, 900)), realistic), f"r{i}")
            for i in range(7)
        ]
        lib.remove(ids[2])  # a tombstone or a rewrite
        table = lib.hash_table(ALG)
        assert isinstance(table, PersistentTable)
        segs = index_store(lib.index_folder, ALG).read()[1]  # type: ignore[arg-type,index]
        assert any(p.tables is not None for s in segs for p in s.partitions)  # substring tables used
        oracle = oracle_table(lib)
        assert len(table) == len(oracle) and ids[2] not in set(np.asarray(oracle.ref_ids).tolist())
        brute = BruteForceIndex(oracle.hashes)
        for radius in range(13):
            q = queries_near(oracle, rng, 40, radius + 2)
            got, want = table.range_search(q, radius), brute.range_search(q, radius)
            assert rows_of(table, got) == rows_of(oracle, want), radius
            assert np.all(np.diff(got[0]) >= 0)  # sorted by query
        k = table.knn(q[:10], 5)
        kw = brute.knn(q[:10], 5)
        assert np.array_equal(k[0], kw[0]) and np.array_equal(k[2], kw[2])


def test_variant_subset_searches_only_those_rows(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    with Library(tmp_path / "lib.db") as lib:
        for i in range(3):
            add(lib, tmp_path, make_fp(rng, 500, True), f"v{i}")
        full = lib.hash_table(ALG)
        sub = lib.hash_table(ALG, variants=("crop85",))
        q = queries_near(full, rng, 50, 6)
        res = sub.range_search(q, 8)
        names = {sub.variant_names[c] for c in np.asarray(sub.variant_codes[res[1]]).tolist()}
        assert names == {"crop85"}
        want = {r for r in rows_of(full, full.range_search(q, 8)) if r[4] == "crop85"}
        assert rows_of(sub, res) == want
        assert len(sub) == int((np.asarray(full.variant_codes) == full.variant_names.index("crop85")).sum())


def test_releasing_pages_per_batch_and_piece_keeps_results_exact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a large index does (release the entry and hash pages after every batch of probes and
    every piece of a crowded bucket), forced on a small one: the same rows as brute force."""
    monkeypatch.setattr(mih, "RELEASE_BYTES", 0)
    monkeypatch.setattr(mih, "PROBE_BATCH", 97)
    monkeypatch.setattr(mih, "CHUNK_CANDIDATES", 50)
    rng = np.random.default_rng(17)
    with Library(tmp_path / "lib.db") as lib:
        for i in range(4):
            add(lib, tmp_path, make_fp(rng, 800, True), f"rel{i}")
        table, oracle = lib.hash_table(ALG), oracle_table(lib)
        brute = BruteForceIndex(oracle.hashes)
        for radius in (3, 8, 10):
            q = queries_near(oracle, rng, 50, radius + 2)
            assert rows_of(table, table.range_search(q, radius)) == rows_of(
                oracle, brute.range_search(q, radius)
            )


def test_search_within_references_equals_brute_force_over_their_rows(tmp_path: Path) -> None:
    """The second stage of a coarse-to-exact search: the rows of some references only, across
    segments, a tombstone, a variant subset, and the in-memory table, all against brute force."""
    rng = np.random.default_rng(5)
    with Library(tmp_path / "lib.db") as lib:
        ids = [add(lib, tmp_path, make_fp(rng, int(rng.integers(300, 900)), True), f"w{i}") for i in range(4)]
        ids += [add(lib, tmp_path, make_fp(rng, 400, True), f"x{i}") for i in range(3)]  # more segments
        lib.remove(ids[1])
        oracle = oracle_table(lib)
        want_refs = np.array([ids[0], ids[1], ids[4], 999_999], np.int64)  # a removed and an unknown one
        for variants in (None, ("crop85", "full")):
            table = lib.hash_table(ALG) if variants is None else lib.hash_table(ALG, variants=variants)
            assert isinstance(table, PersistentTable)
            q = queries_near(oracle, rng, 60, 12)
            for radius in (0, 4, 10, 12):
                got = table.search_within(q, radius, want_refs)
                full = rows_of(table, table.range_search(q, radius))
                want = {r for r in full if r[1] in {ids[0], ids[4]}}
                assert rows_of(table, got) == want and want, (variants, radius)
                assert np.all(np.diff(got[0]) >= 0)
                if variants is None:
                    mem = oracle.search_within(q, radius, want_refs)
                    assert rows_of(oracle, mem) == want
        rows = lib.hash_table(ALG).rows_of(np.array([ids[1]]))
        assert rows.size == 0  # a removed reference has no live rows
        # a read-only index that lags behind: a reference changed under its id is tombstoned in the
        # segments and served from the overlay; its overlay rows are its rows
        x = ids[4]
        sel = np.flatnonzero(np.asarray(oracle.ref_ids) == x)
        overlay = HashTable(ALG, np.asarray(oracle.hashes)[sel], np.asarray(oracle.ref_ids)[sel],
                            np.asarray(oracle.times)[sel], np.asarray(oracle.variant_codes)[sel],
                            oracle.variant_names, ends=np.asarray(oracle.ends)[sel])  # fmt: skip
        t = lib.hash_table(ALG)
        lagging = PersistentTable(ALG, t.segments, [x], t.generation, overlay=overlay)
        q = np.asarray(oracle.hashes)[sel][:40]
        full = {r for r in rows_of(lagging, lagging.range_search(q, 6)) if r[1] == x}
        assert full and rows_of(lagging, lagging.search_within(q, 6, np.array([x]))) == full


def test_incremental_updates_merge_and_stay_exact(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    with Library(tmp_path / "lib.db") as lib:
        with lib.deferred_index():
            for i in range(5):
                add(lib, tmp_path, make_fp(rng, 400, True), f"a{i}")
        store = index_store(lib.index_folder, ALG)  # type: ignore[arg-type]
        first = store.read()
        assert first is not None and len(first[1]) == 1  # one segment for the batch
        for i in range(6):  # one by one: small segments appear and merge
            add(lib, tmp_path, make_fp(rng, 100, True), f"b{i}")
        manifest, segs = store.read()  # type: ignore[misc]
        assert len(segs) <= 4 and manifest.state[0] == lib.generation
        rows = sorted(s.rows for s in segs)
        assert sum(rows) == len(oracle_table(lib))
        table, oracle = lib.hash_table(ALG), oracle_table(lib)
        q = queries_near(oracle, rng, 60, 10)
        assert rows_of(table, table.range_search(q, 10)) == rows_of(
            oracle, BruteForceIndex(oracle.hashes).range_search(q, 10)
        )
        before = {p.name for p in store.folder.iterdir()}
        lib.rebuild_index(ALG, compact=True)
        after = store.read()
        assert after is not None and len(after[1]) == 1
        assert not any(n.startswith("tmp-") for n in before | {p.name for p in store.folder.iterdir()})


def test_stale_index_is_detected_after_changes_behind_its_back(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    db = tmp_path / "lib.db"
    with Library(db) as lib:
        ids = [add(lib, tmp_path, make_fp(rng, 300, False), f"s{i}") for i in range(3)]
        lib.hash_table(ALG)
    conn = sqlite3.connect(db)  # another program removes a reference and does not bump the generation
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("DELETE FROM refs WHERE id = ?", (ids[0],))
    conn.commit()
    conn.close()
    CACHE.clear()
    with Library(db) as lib:
        table = lib.hash_table(ALG)
        assert ids[0] not in set(np.asarray(table.ref_ids).tolist())
        assert len(table) == len(oracle_table(lib)) == table.library_rows
    # a copy of the library file without its index builds one of its own
    copy = tmp_path / "copy.db"
    copy.write_bytes(db.read_bytes())
    CACHE.clear()
    with Library(copy) as lib:
        assert len(lib.hash_table(ALG)) == len(oracle_table(lib))
        assert (tmp_path / "copy.db.index").is_dir()


def test_damaged_index_is_rebuilt_never_used(tmp_path: Path) -> None:
    rng = np.random.default_rng(9)
    with Library(tmp_path / "lib.db") as lib:
        for i in range(3):
            add(lib, tmp_path, make_fp(rng, 600, True), f"d{i}")
        oracle = oracle_table(lib)
        q = queries_near(oracle, rng, 30, 8)
        want = rows_of(oracle, BruteForceIndex(oracle.hashes).range_search(q, 8))
        store = index_store(lib.index_folder, ALG)  # type: ignore[arg-type]
        seg = next(p for p in store.folder.iterdir() if p.name.startswith("seg-"))
        ent = next(seg.glob("p*.t0.ent"))
        with open(ent, "r+b") as f:  # truncated: seen at open
            f.truncate(ent.stat().st_size - 8)
        CACHE.clear()
        table = lib.hash_table(ALG)
        assert rows_of(table, table.range_search(q, 8)) == want
        assert lib.check_index() == "ok"
        # flipped bits inside a file: the size is right, the checksum is not
        seg = next(p for p in store.folder.iterdir() if p.name.startswith("seg-"))
        h = next(seg.glob("p*.hash"))
        data = bytearray(h.read_bytes())
        data[100] ^= 0xFF
        h.write_bytes(bytes(data))
        verdict = lib.check_index()
        assert "checksum mismatch" in verdict
        assert lib.check_index() == "ok"  # repaired
        (store.folder / "manifest.json").write_bytes(b'{"crc32": 1, "body": "{}"}')  # torn manifest
        CACHE.clear()
        table = lib.hash_table(ALG)
        assert rows_of(table, table.range_search(q, 8)) == want


def test_read_only_index_serves_missing_references_from_memory(tmp_path: Path) -> None:
    rng = np.random.default_rng(13)
    db = tmp_path / "lib.db"
    with Library(db) as lib:
        ids = [add(lib, tmp_path, make_fp(rng, 400, True), f"o{i}") for i in range(3)]
        with lib.deferred_index():
            add(lib, tmp_path, make_fp(rng, 400, True), "late")
            lib._index_dirty.clear()  # as if the writer died before updating the index
            lib.remove(ids[1])
            lib._index_dirty.clear()
        folder = index_store(lib.index_folder, ALG).folder  # type: ignore[arg-type]
        modes = {p: p.stat().st_mode for p in [folder, folder.parent]}
        os.chmod(folder, 0o555)
        os.chmod(folder.parent, 0o555)
        try:
            if os.access(folder, os.W_OK):
                pytest.skip("running as a user who can write anyway (root)")
            CACHE.clear()
            table = lib.hash_table(ALG)
            assert table.overlay is not None
            oracle = oracle_table(lib)
            q = queries_near(oracle, rng, 40, 8)
            assert rows_of(table, table.range_search(q, 8)) == rows_of(
                oracle, BruteForceIndex(oracle.hashes).range_search(q, 8)
            )
        finally:
            for p, mode in modes.items():
                os.chmod(p, mode)


def test_overlay_when_index_cannot_be_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same lagging-index path, forced (root can write anywhere)."""
    from verify.library.persistent.store import IndexStore

    rng = np.random.default_rng(17)
    with Library(tmp_path / "lib.db") as lib:
        ids = [add(lib, tmp_path, make_fp(rng, 400, True), f"w{i}") for i in range(3)]
        with lib.deferred_index():
            add(lib, tmp_path, make_fp(rng, 300, True), "late")
            lib.remove(ids[0])
            lib._index_dirty.clear()
        monkeypatch.setattr(IndexStore, "writable", lambda self: False)
        CACHE.clear()
        table = lib.hash_table(ALG)
        assert table.overlay is not None and ids[0] in table.tombstones.tolist()
        oracle = oracle_table(lib)
        q = queries_near(oracle, rng, 40, 10)
        assert rows_of(table, table.range_search(q, 10)) == rows_of(
            oracle, BruteForceIndex(oracle.hashes).range_search(q, 10)
        )
        assert len(table) == len(oracle)


KILLED = r"""
import sys, hashlib, numpy as np
from pathlib import Path
from verify.fingerprint import Fingerprint, FingerprintSettings
from verify.library import Library
from verify.library.persistent import mih, segment
segment.SCAN_ROWS = 300
mih.PART_ROWS = 5000
db, folder = sys.argv[1], Path(sys.argv[2])
lib = Library(db)
rng = np.random.default_rng(int(sys.argv[3]))
for i in range(100000):
    n = 3000
    fp = Fingerprint("phash-64/v1", FingerprintSettings(variants=("full", "crop85")), np.arange(n) / 30.0,
                     rng.integers(0, 2**64, (n, 2), np.uint64, endpoint=False), np.ones(n, bool), duration=n / 30)
    p = folder / f"k{i}.bin"
    p.write_bytes(str(i).encode())
    r = lib.add_fingerprint(fp, p, sha256=hashlib.sha256(f"k{i}".encode()).hexdigest())
    print("added", r.reference.id, flush=True)
"""


@pytest.mark.slow
def test_kill_during_index_updates_leaves_a_usable_index(tmp_path: Path) -> None:
    db = tmp_path / "k.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", KILLED, str(db), str(tmp_path), "1"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)  # fmt: skip
    assert proc.stdout is not None
    seen = 0
    deadline = time.monotonic() + 120
    while seen < 6 and time.monotonic() < deadline:
        if proc.stdout.readline().startswith("added"):
            seen += 1
    time.sleep(0.05 * (seen % 7))  # somewhere inside the next add or its index update
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    with Library(db) as lib:
        assert lib.integrity_check() == "ok"
        table = lib.hash_table(ALG)  # the index is opened (or repaired) and caught up
        oracle = oracle_table(lib)
        rng = np.random.default_rng(0)
        q = queries_near(oracle, rng, 40, 10)
        assert rows_of(table, table.range_search(q, 10)) == rows_of(
            oracle, BruteForceIndex(oracle.hashes).range_search(q, 10)
        )
        folder = index_store(lib.index_folder, ALG).folder  # type: ignore[arg-type]
        assert not any(p.name.startswith("tmp-") for p in folder.iterdir())  # leftovers cleaned
        assert lib.check_index(repair=False) == "ok"


def test_cli_library_index_reports_checks_and_compacts(tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner

    from verify.cli import cli

    rng = np.random.default_rng(23)
    db = tmp_path / "cli.db"
    with Library(db) as lib:
        for i in range(4):
            add(lib, tmp_path, make_fp(rng, 300, True), f"c{i}")
        rows = len(lib.hash_table(ALG))
    runner = CliRunner()
    res = runner.invoke(cli, ["library", "index", "--library", str(db), "--check", "--compact", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["check"] == "ok" and out["indexes"][0]["rows"] == rows and out["indexes"][0]["segments"] == 1
    seg = next(p for p in (tmp_path / "cli.db.index" / "phash-64_v1").iterdir() if p.name.startswith("seg-"))
    victim = next(seg.glob("p0.hash"))
    victim.write_bytes(victim.read_bytes()[::-1])  # same size, other bytes
    res = runner.invoke(cli, ["library", "index", "--library", str(db), "--check"])
    assert res.exit_code == 1 and "checksum mismatch" in res.output and "rebuilt" in res.output
    res = runner.invoke(cli, ["library", "index", "--library", str(db), "--check"])
    assert res.exit_code == 0 and "check: ok" in res.output


def test_sampled_index_keeps_a_grid_of_rows_and_serves_the_chosen_references_in_full(
    tmp_path: Path,
) -> None:
    """A large library's index (forced here with ``index_sample_from=0``) holds about one row per
    second of each reference and variant, exactly the rows ``grid_rows`` picks, and its second
    stage (``search_within``) gives every row of the chosen references, read from the library:
    the same pairs as brute force over the whole library, across a tombstone, a variant subset,
    an added reference, and the cache of loaded rows being dropped."""
    from verify.errors import LibraryError
    from verify.library.persistent import table as ptable
    from verify.library.table import grid_rows

    rng = np.random.default_rng(23)
    with Library(tmp_path / "lib.db", index_sample_from=0) as lib:
        ids = [
            add(lib, tmp_path, make_fp(rng, int(rng.integers(600, 1200)), True), f"g{i}") for i in range(5)
        ]
        lib.remove(ids[3])
        table, oracle = lib.hash_table(ALG), oracle_table(lib)
        assert isinstance(table, PersistentTable) and table.sampled
        assert {s.meta["format"] for s in table.segments} == {
            segment.SAMPLED_FORMAT
        }  # format 1 readers rebuild
        group = np.asarray(oracle.ref_ids) * 64 + np.asarray(oracle.variant_codes)
        keep = grid_rows(group, np.asarray(oracle.times), np.asarray(oracle.ends), 1.0)
        assert len(table) == int(keep.sum()) < len(oracle) / 2
        cells = {(r, c, int(np.floor(max(e, t)))) for r, c, t, e in
                 zip(np.asarray(oracle.ref_ids), np.asarray(oracle.variant_codes), np.asarray(oracle.times),
                     np.asarray(oracle.ends))}  # fmt: skip
        assert len(table) <= len(cells)  # at most one row per (reference, variant, second)
        assert table.library_rows == len(oracle)  # what a report says it searched
        kept = HashTable(ALG, np.asarray(oracle.hashes)[keep], np.asarray(oracle.ref_ids)[keep],
                         np.asarray(oracle.times)[keep], np.asarray(oracle.variant_codes)[keep],
                         oracle.variant_names, ends=np.asarray(oracle.ends)[keep])  # fmt: skip
        brute_kept = BruteForceIndex(kept.hashes)
        chosen = np.array([ids[0], ids[2], ids[3]], np.int64)  # ids[3] was removed
        for radius in (0, 4, 8, 10):
            q = queries_near(oracle, rng, 60, radius + 2)
            assert rows_of(table, table.range_search(q, radius)) == rows_of(
                kept, brute_kept.range_search(q, radius)
            )
            got = rows_of(table, table.search_within(q, radius, chosen))
            want = rows_of(oracle, oracle.search_within(q, radius, chosen))
            assert got == want and want, radius
        sub = lib.hash_table(ALG, variants=("crop85",))
        got = rows_of(sub, sub.search_within(q, 10, chosen))
        assert got == {r for r in want if r[4] == "crop85"} and got
        # the loaded rows are dropped when over budget; row numbers are never reused
        old = table.search_within(q, 10, chosen)
        before = np.asarray(table.ref_ids[old[1]])
        ptable.DETAIL_ROWS, budget = 0, ptable.DETAIL_ROWS
        try:
            again = table.search_within(q, 10, np.array([ids[1], ids[4]]))
            again = table.search_within(q, 10, chosen)  # over budget: reloaded under new numbers
            assert rows_of(table, again) == want and again[1].min() > old[1].max()
            with pytest.raises(IndexError):
                table.ref_ids[old[1]]
        finally:
            ptable.DETAIL_ROWS = budget
        assert before.size and set(before.tolist()) <= {ids[0], ids[2]}
        # an added reference goes into a sampled segment too; all stays exact
        ids.append(add(lib, tmp_path, make_fp(rng, 900, True), "g-late"))
        table, oracle = lib.hash_table(ALG), oracle_table(lib)
        assert all(s.grid > 0 for s in table.segments)
        chosen = np.array([ids[-1], ids[1]], np.int64)
        got = rows_of(table, table.search_within(q, 10, chosen))
        assert got == rows_of(oracle, oracle.search_within(q, 10, chosen)) and got
        # a table that has no library to read from says so
        bare = PersistentTable(ALG, table.segments, list(table.tombstones), table.generation)
        with pytest.raises(LibraryError, match="sampled"):
            bare.search_within(q, 10, chosen)


def test_small_library_index_is_not_sampled(tmp_path: Path) -> None:
    rng = np.random.default_rng(29)
    with Library(tmp_path / "lib.db") as lib:
        add(lib, tmp_path, make_fp(rng, 600, True), "s0")
        table = lib.hash_table(ALG)
        assert isinstance(table, PersistentTable) and not table.sampled
        assert len(table) == len(oracle_table(lib)) == table.library_rows


def test_matching_through_a_sampled_index_finds_what_the_whole_library_search_finds(tmp_path: Path) -> None:
    """A copy of 20 s of one reference (hashes a few bits off) among others: matched through a
    sampled index (two stages: its rows, then the chosen references' full rows from the library)
    it gives the same matches as the exhaustive search of the same library held in memory."""
    from dataclasses import replace

    from verify.matching import MatchSettings, match_fingerprint

    rng = np.random.default_rng(31)
    fps = [make_fp(rng, 1500, True) for _ in range(6)]
    src = fps[4]
    a, b = 300, 900
    noisy = np.array([[flip(int(h), rng, int(rng.integers(0, 3))) for h in row] for row in np.asarray(src.hashes)[a:b]],
                     np.uint64)  # fmt: skip
    query = replace(src, times=np.asarray(src.times)[a:b] - a / 30.0, hashes=noisy,
                    quality=np.ones(b - a, bool), duration=(b - a) / 30.0)  # fmt: skip
    results = []
    for path, sample_from in ((tmp_path / "big.db", 0), (":memory:", None)):
        with Library(path, index_sample_from=sample_from) as lib:
            for i, fp in enumerate(fps):
                add(lib, tmp_path, fp, f"m{i}")
            assert getattr(lib.hash_table(ALG), "sampled", False) == (sample_from == 0)
            res = match_fingerprint(query, lib, MatchSettings())
            results.append([(m.reference.sha256, round(m.query_start, 1), round(m.reference_start, 1),
                             round(m.speed, 2), round(m.score, 3)) for m in res.matches])  # fmt: skip
            assert res.query.two_stage == (sample_from == 0)
    sampled, exhaustive = results
    assert exhaustive and exhaustive[0][2] == pytest.approx(a / 30.0, abs=0.5)
    assert sampled == exhaustive


def test_a_sampled_index_of_a_postgresql_library_reads_full_rows_from_the_server(tmp_path: Path) -> None:
    """A shared library on PostgreSQL: its per-machine index is sampled the same way and the second
    stage reads the chosen references' rows from the server (the same pairs as brute force)."""
    from tests.pg import schema_url

    rng = np.random.default_rng(37)
    with schema_url() as url, Library(url, index_folder=tmp_path / "idx", index_sample_from=0) as lib:
        ids = [add(lib, tmp_path, make_fp(rng, 900, True), f"p{i}") for i in range(3)]
        table, oracle = lib.hash_table(ALG), oracle_table(lib)
        assert isinstance(table, PersistentTable) and table.sampled and table.library_rows == len(oracle)
        q = queries_near(oracle, rng, 60, 10)
        chosen = np.array(ids[:2], np.int64)
        got = rows_of(table, table.search_within(q, 10, chosen))
        assert got == rows_of(oracle, oracle.search_within(q, 10, chosen)) and got
