"""Hamming indexes: multi-index hashing against the brute-force oracle."""

from __future__ import annotations

import numpy as np
import pytest

from verify.index import BruteForceIndex, FaissFlatIndex, MultiIndexHashing, build_index


def flip(h: np.uint64, bits: np.ndarray) -> np.uint64:
    for b in bits:
        h ^= np.uint64(1) << np.uint64(int(b))
    return h


def planted(rng: np.random.Generator, m: int, n_queries: int, max_k: int) -> tuple[np.ndarray, np.ndarray]:
    """Random table; queries at exactly k bits from a hash of its first half, k = 0..max_k (cycled)."""
    table = rng.integers(0, np.iinfo(np.uint64).max, size=m, dtype=np.uint64, endpoint=True)
    queries = np.empty(n_queries, dtype=np.uint64)
    for i in range(n_queries):
        k = i % (max_k + 1)
        queries[i] = flip(table[rng.integers(m // 2)], rng.choice(64, size=k, replace=False))
    return table, queries


def as_set(result: tuple[np.ndarray, np.ndarray, np.ndarray]) -> set[tuple[int, int, int]]:
    return set(zip(*(a.tolist() for a in result)))


@pytest.mark.parametrize("radius", [0, 1, 2, 3, 5, 8, 10, 12])
@pytest.mark.parametrize("substrings", [3, 4, 6])
def test_mih_range_search_equals_brute_force(radius: int, substrings: int) -> None:
    rng = np.random.default_rng(radius * 10 + substrings)
    table, queries = planted(rng, 3000, 60, radius + 2)  # planted at 0..radius and just beyond
    # clusters: many near-identical hashes, like consecutive video frames
    table[-200:] = np.array(
        [flip(table[0], rng.choice(64, size=rng.integers(0, 4), replace=False)) for _ in range(200)],
        dtype=np.uint64,
    )
    oracle = BruteForceIndex(table).range_search(queries, radius)
    fast = MultiIndexHashing(table, substrings=substrings, scan_fallback=False).range_search(queries, radius)
    assert as_set(fast) == as_set(oracle)
    assert as_set(MultiIndexHashing(table, substrings=substrings).range_search(queries, radius)) == as_set(
        oracle
    )
    for a, b in zip(fast, oracle):  # same order too
        assert np.array_equal(a, b)
    # every planted query within the radius found its source
    within = np.arange(queries.size) % (radius + 3) <= radius
    assert set(np.nonzero(within)[0]) <= set(oracle[0].tolist())


def test_brute_force_is_right_on_hand_made_cases() -> None:
    table = np.array([0, 1, 3, 0xFFFFFFFFFFFFFFFF, 0xF0], dtype=np.uint64)
    qi, ti, d = BruteForceIndex(table).range_search(np.array([0], dtype=np.uint64), 2)
    assert ti.tolist() == [0, 1, 2] and d.tolist() == [0, 1, 2] and qi.tolist() == [0, 0, 0]
    qi, ti, d = BruteForceIndex(table).range_search(np.array([0xFFFFFFFFFFFFFFFF], dtype=np.uint64), 64)
    assert d.tolist() == [0, 60, 62, 63, 64] and ti.tolist() == [3, 4, 2, 1, 0]


@pytest.mark.parametrize("k", [1, 3, 10])
def test_knn_equals_brute_force(k: int) -> None:
    rng = np.random.default_rng(k)
    table, queries = planted(rng, 2000, 40, 20)
    table[100:110] = table[5]  # ties at the same distance
    queries[0] = table[5]
    oracle = BruteForceIndex(table).knn(queries, k)
    fast = MultiIndexHashing(table, scan_fallback=False).knn(queries, k)
    for a, b in zip(fast, oracle):
        assert np.array_equal(a, b)
    assert np.bincount(oracle[0], minlength=queries.size).tolist() == [k] * queries.size
    first = oracle[1][oracle[0] == 0]
    assert first.tolist()[: min(k, 11)] == ([5, *range(100, 110)])[: min(k, 11)]


@pytest.mark.parametrize("make", [BruteForceIndex, MultiIndexHashing, FaissFlatIndex])
def test_empty_table_and_empty_queries(make) -> None:  # type: ignore[no-untyped-def]
    empty = make(np.empty(0, dtype=np.uint64))
    assert all(a.size == 0 for a in empty.range_search(np.array([1, 2], dtype=np.uint64), 8))
    assert all(a.size == 0 for a in empty.knn(np.array([1], dtype=np.uint64), 3))
    full = make(np.arange(10, dtype=np.uint64))
    assert all(a.size == 0 for a in full.range_search(np.empty(0, dtype=np.uint64), 8))
    assert full.knn(np.array([0], dtype=np.uint64), 50)[1].size == 10  # k larger than the table


def test_build_index_picks_by_size_and_rejects_bad_input() -> None:
    assert build_index(np.arange(100, dtype=np.uint64)).kind == "brute"
    assert build_index(np.arange(100, dtype=np.uint64), kind="mih").kind == "mih"
    with pytest.raises(ValueError, match="unknown index kind"):
        build_index(np.arange(3, dtype=np.uint64), kind="lsh")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="1-d"):
        BruteForceIndex(np.zeros((2, 2), dtype=np.uint64))
    with pytest.raises(ValueError, match="radius"):
        BruteForceIndex(np.arange(3, dtype=np.uint64)).range_search(np.arange(1, dtype=np.uint64), -1)


def test_skewed_table_falls_back_and_stays_exact() -> None:
    # one bucket holds almost everything: the fallback must still give the oracle's answer
    rng = np.random.default_rng(7)
    table = np.full(5000, 0xABCD, dtype=np.uint64) ^ rng.integers(0, 16, size=5000).astype(np.uint64)
    queries = np.array([0xABCD, 0x1234, 0xABCC], dtype=np.uint64)
    oracle = as_set(BruteForceIndex(table).range_search(queries, 3))
    for fallback in (True, False):
        mih = MultiIndexHashing(table, substrings=4, scan_fallback=fallback)
        assert as_set(mih.range_search(queries, 3)) == oracle


@pytest.mark.parametrize("radius", [0, 4, 12])
def test_faiss_flat_equals_brute_force(radius: int) -> None:
    rng = np.random.default_rng(100 + radius)
    table, queries = planted(rng, 2000, 30, radius + 2)
    table[1000:1010] = table[3]
    queries[0] = table[3]
    faiss_index, oracle = FaissFlatIndex(table), BruteForceIndex(table)
    for a, b in zip(faiss_index.range_search(queries, radius), oracle.range_search(queries, radius)):
        assert np.array_equal(a, b)
    for a, b in zip(faiss_index.knn(queries, 5), oracle.knn(queries, 5)):
        assert np.array_equal(a, b)
