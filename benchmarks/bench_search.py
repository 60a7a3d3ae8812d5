"""Hamming search at library scale, on ONE core: brute force vs faiss vs multi-index hashing.

10 million random 64-bit table hashes plus planted near neighbours (k bits away, k = 0..radius+2).
Reports per-query-hash latency (a batch of queries divided by its size, as matching sends them),
index build time, the time to load a library's hash table from SQLite, and the cache effect
(second ``Library.hash_table`` call). Goal: <= 10 ms per query hash at radius 8-12.

    .venv/bin/python benchmarks/bench_search.py [--size 10000000] [--queries 256]
"""

from __future__ import annotations

import os

os.environ["OMP_NUM_THREADS"] = "1"  # before numpy/faiss load their thread pools
os.environ["OPENBLAS_NUM_THREADS"] = "1"

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from verify.fingerprint import Fingerprint, FingerprintSettings
from verify.index import BruteForceIndex, MultiIndexHashing
from verify.library import CACHE, Library

RESULTS = Path(__file__).resolve().parent / "results" / "bench_search.md"


def planted_queries(table: np.ndarray, n: int, max_k: int, rng: np.random.Generator) -> np.ndarray:
    q = rng.integers(0, 2**64, size=n, dtype=np.uint64, endpoint=False)  # half unrelated
    for i in range(0, n, 2):  # half planted at exactly k bits from a table hash
        k = (i // 2) % (max_k + 1)
        h = table[rng.integers(table.size)]
        for b in rng.choice(64, size=k, replace=False):
            h ^= np.uint64(1) << np.uint64(int(b))
        q[i] = h
    return q


def clustered_table(size: int, rng: np.random.Generator, shot: int = 100) -> np.ndarray:
    """Video-like: shots of ``shot`` frames; consecutive frames differ by 0 or 1 bit (a drifting scene)."""
    shots = size // shot
    flips = np.where(rng.random((shots, shot)) < 0.5, np.uint64(1) << rng.integers(0, 64, (shots, shot), dtype=np.uint64),
                     np.uint64(0))  # fmt: skip
    flips[:, 0] = rng.integers(0, 2**64, size=shots, dtype=np.uint64, endpoint=False)
    return np.bitwise_xor.accumulate(flips, axis=1).ravel()


#: CPU time of this (single-threaded) process by default: a shared machine disturbs it far less than
#: wall time, and on an idle machine the two are the same. ``--wall`` switches to wall time.
CLOCK = time.process_time


def timed(fn, *args):  # type: ignore[no-untyped-def]
    t = CLOCK()
    out = fn(*args)
    return out, CLOCK() - t


def as_set(res) -> set[tuple[int, int]]:  # type: ignore[no-untyped-def]
    return set(zip(res[0].tolist(), res[1].tolist()))


def library_load(size: int, rng: np.random.Generator) -> list[str]:
    """A library file of ``size`` hashes (refs of 10,000 samples, 1 variant): load + cache timings."""
    lines = []
    per_ref = 10_000
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "big.db"
        t = time.perf_counter()
        with Library(db) as lib:
            for i in range(size // per_ref):
                fp = Fingerprint("phash-64/v1", FingerprintSettings(variants=("full",)), np.arange(per_ref) / 30.0,
                                 rng.integers(0, 2**64, size=(per_ref, 1), dtype=np.uint64, endpoint=False),
                                 np.ones(per_ref, bool), duration=per_ref / 30.0)  # fmt: skip
                lib.add_fingerprint(fp, f"/clips/{i}.mp4", sha256=f"{i:064x}")
        fill = time.perf_counter() - t
        CACHE.clear()
        with Library(db) as lib:
            table, load = timed(lib.hash_table, "phash-64/v1")
            _, build = timed(lambda: table.index)
            q = planted_queries(table.hashes, 64, 12, rng)
            _, first = timed(table.range_search, q, 10)
        with Library(db) as lib:  # a new handle, as a UI rerun or a second `match` in one process would
            again, cached = timed(lib.hash_table, "phash-64/v1")
            _, second = timed(again.range_search, q, 10)
        lines += [
            f"| library of {size:,} hashes ({size // per_ref} refs): fill | {fill:.1f} s |",
            f"| `hash_table` load from SQLite (first call) | {load:.2f} s |",
            f"| index build (first search) | {build:.2f} s |",
            f"| 64 query hashes, first search after load | {first * 1e3:.0f} ms |",
            f"| `hash_table` again, new Library handle (cached) | {cached * 1e3:.2f} ms (same object: {again is table}) |",
            f"| 64 query hashes, cached | {second * 1e3:.0f} ms |",
        ]
    return lines


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=10_000_000)
    ap.add_argument("--queries", type=int, default=256)
    ap.add_argument("--brute-queries", type=int, default=16)
    ap.add_argument("--library-size", type=int, default=2_000_000)
    ap.add_argument("--wall", action="store_true", help="time with the wall clock instead of CPU time")
    args = ap.parse_args()
    global CLOCK
    if args.wall:
        CLOCK = time.perf_counter
    started = time.perf_counter()
    rng = np.random.default_rng(0)
    table = rng.integers(0, 2**64, size=args.size, dtype=np.uint64, endpoint=False)
    try:
        import faiss

        faiss.omp_set_num_threads(1)
    except ImportError:
        faiss = None

    brute = BruteForceIndex(table)
    mih, mih_build = timed(MultiIndexHashing, table)
    rows = []
    flat = None
    if faiss is not None:
        flat = faiss.IndexBinaryFlat(64)
        _, flat_build = timed(flat.add, table.view(np.uint8).reshape(-1, 8))
    for radius in (8, 10, 12):
        q = planted_queries(table, args.queries, radius + 2, rng)
        qb = q[: args.brute_queries]
        b_res, b_t = timed(brute.range_search, qb, radius)
        m_res, m_t = timed(mih.range_search, q, radius)
        m_small = mih.range_search(qb, radius)
        assert as_set(m_small) == as_set(b_res), "MIH disagrees with the brute-force oracle"
        b_ms, m_ms = b_t / qb.size * 1e3, m_t / q.size * 1e3
        row = {"radius": radius, "brute": b_ms, "mih": m_ms, "found": m_res[0].size}
        if flat is not None:
            _, f_t = timed(flat.range_search, qb.view(np.uint8).reshape(-1, 8), radius)
            row["faiss"] = f_t / qb.size * 1e3
        rows.append(row)
        print(row, flush=True)
    lines = [
        "# Hamming search benchmark (one core)",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores (shared with other jobs), "
        f"Python {platform.python_version()}, numpy {np.__version__}"
        + (f", faiss {faiss.__version__}" if faiss else "")
        + ". OMP_NUM_THREADS=1, faiss 1 thread. Times: "
        + (
            "wall clock."
            if args.wall
            else "CPU time of this single-threaded process (`time.process_time`): the "
            "machine is shared, and CPU time is far less disturbed by other jobs than wall time."
        ),
        f"Table: {args.size:,} random 64-bit hashes. Queries: {args.queries} per radius for MIH "
        f"({args.brute_queries} for brute force and faiss), half planted at k = 0..radius+2 bits from a table "
        "hash, half unrelated. MIH results checked identical to brute force on the shared queries.",
        "",
        "| radius | brute force (numpy bitwise_count) ms/query | faiss IndexBinaryFlat range_search ms/query "
        "| multi-index hashing ms/query | speed-up MIH vs brute | hits (MIH queries) |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        f = f"{r['faiss']:.2f}" if "faiss" in r else "-"
        lines.append(f"| {r['radius']} | {r['brute']:.2f} | {f} | {r['mih']:.3f} | {r['brute'] / r['mih']:.0f}x "
                     f"| {r['found']} |")  # fmt: skip
    lines += [
        "",
        "| build | time |",
        "|---|---|",
        f"| MIH index over {args.size:,} hashes ({mih.m} substrings of {mih.widths} bits) | {mih_build:.2f} s |",
    ]
    if flat is not None:
        lines.append(f"| faiss IndexBinaryFlat add | {flat_build:.2f} s |")
    del mih, flat, brute
    # video-like table: clusters of near-identical hashes (every frame of a shot)
    ctable = clustered_table(args.size, rng)
    cmih, c_build = timed(MultiIndexHashing, ctable)
    cbrute = BruteForceIndex(ctable)
    lines += ["", "## Video-like table (shots of 100 frames, consecutive frames 0-1 bit apart)", "",
              "| radius | brute force ms/query | MIH ms/query | speed-up | hits per query |", "|---|---|---|---|---|"]  # fmt: skip
    for radius in (8, 10, 12):
        q = planted_queries(ctable, args.queries, radius + 2, rng)
        qb = q[: args.brute_queries]
        b_res, b_t = timed(cbrute.range_search, qb, radius)
        m_res, m_t = timed(cmih.range_search, q, radius)
        assert as_set(cmih.range_search(qb, radius)) == as_set(b_res), "MIH disagrees with brute force"
        b_ms, m_ms = b_t / qb.size * 1e3, m_t / q.size * 1e3
        print({"clustered radius": radius, "brute": b_ms, "mih": m_ms}, flush=True)
        lines.append(
            f"| {radius} | {b_ms:.2f} | {m_ms:.3f} | {b_ms / m_ms:.0f}x | {m_res[0].size / q.size:.0f} |"
        )
    lines.append(f"\nMIH build on the video-like table: {c_build:.2f} s.")
    del cmih, cbrute, ctable
    lines += ["", "## Library load and the cache", "", "| step | time |", "|---|---|"]
    lines += library_load(args.library_size, rng)
    lines.append(
        f"\nWhole run: {time.perf_counter() - started:.0f} s wall, load average {os.getloadavg()[0]:.1f} at the end."
    )
    text = "\n".join(lines) + "\n"
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
