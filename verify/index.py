"""Hamming search over 64-bit hashes.

Two indexes with one API, both over a ``uint64`` array of table hashes:

* :class:`BruteForceIndex` compares every query with every table hash using
  ``np.bitwise_count``: obviously right, the oracle the other is tested against,
  and the fastest choice for small tables.
* :class:`MultiIndexHashing` splits each hash into ``m`` disjoint substrings and
  keeps, per substring, the table sorted by that substring (Norouzi et al.,
  "Fast search in Hamming space with multi-index hashing", CVPR 2012). If two
  hashes are within ``r`` bits, then for thresholds ``s_i`` with
  ``sum(s_i + 1) = r + 1`` at least one substring ``i`` differs in at most
  ``s_i`` bits (pigeonhole), so probing every bucket within ``s_i`` bits of the
  query's substrings finds every neighbour; candidates are then checked with
  the full distance. Results are exact (the oracle tests check identity).

``range_search(queries, radius)`` and ``knn(queries, k)`` both return three flat
arrays ``(query_idx int64, table_idx int64, dist uint8)`` sorted by query, then
distance, then table index. Measured in ``benchmarks/bench_search.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from itertools import combinations
from typing import Literal, Protocol

import numpy as np

log = logging.getLogger("verify")

Result = tuple[np.ndarray, np.ndarray, np.ndarray]
IndexKind = Literal["auto", "brute", "mih", "faiss"]

#: Below this many table hashes "auto" uses brute force (measured crossover, see benchmarks).
AUTO_MIN_MIH = 100_000
#: Work per chunk: query x table-hash comparisons (brute) or candidates (MIH) held at once.
_CHUNK_WORK = 1 << 23
#: Table hashes per brute-force block (fits in L2 cache with its temporaries).
_BLOCK = 1 << 15


class HammingIndex(Protocol):
    size: int

    def range_search(self, queries: np.ndarray, radius: int) -> Result: ...

    def knn(self, queries: np.ndarray, k: int) -> Result: ...


def _as_hashes(values: np.ndarray | list[int], what: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{what} must be a 1-d array of uint64 hashes, got shape {arr.shape}")
    if arr.size and arr.dtype != np.uint64:
        if not np.issubdtype(arr.dtype, np.integer):
            raise ValueError(f"{what} must hold integers (uint64 hashes), got {arr.dtype}")
        arr = arr.astype(np.uint64)
    return np.ascontiguousarray(arr, dtype=np.uint64)


def _empty() -> Result:
    return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.uint8)


def _sorted(qi: np.ndarray, ti: np.ndarray, d: np.ndarray) -> Result:
    order = np.lexsort((ti, d, qi))
    return qi[order].astype(np.int64), ti[order].astype(np.int64), d[order].astype(np.uint8)


def _check_radius(radius: int) -> int:
    r = int(radius)
    if r < 0:
        raise ValueError(f"radius must be >= 0, got {radius}")
    return min(r, 64)


class BruteForceIndex:
    """Every query against every table hash. Exact by construction."""

    kind = "brute"

    def __init__(self, hashes: np.ndarray) -> None:
        self.hashes = _as_hashes(hashes, "table hashes")
        self.size = int(self.hashes.shape[0])

    def _blocks(self, queries: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
        """Yield ``(first query, distances (chunk, M))`` for chunks of queries (for knn)."""
        q = _as_hashes(queries, "queries")
        if not q.size or not self.size:
            return
        step = max(1, _CHUNK_WORK // max(1, self.size))
        for start in range(0, q.size, step):
            qs = q[start : start + step]
            yield start, np.bitwise_count(qs[:, None] ^ self.hashes[None, :])

    def range_search(self, queries: np.ndarray, radius: int) -> Result:
        q = _as_hashes(queries, "queries")
        r = _check_radius(radius)
        if not q.size or not self.size:
            return _empty()
        # table blocks small enough to stay in cache while every query chunk passes over them
        block = min(self.size, _BLOCK)
        step = max(1, _BLOCK // block)
        parts = []
        for t0 in range(0, self.size, block):
            table = self.hashes[t0 : t0 + block]
            for q0 in range(0, q.size, step):
                dist = np.bitwise_count(q[q0 : q0 + step, None] ^ table[None, :])
                near = dist <= r
                if near.any():
                    qi, ti = np.nonzero(near)
                    parts.append((qi + q0, ti + t0, dist[qi, ti]))
        if not parts:
            return _empty()
        return _sorted(*(np.concatenate(p) for p in zip(*parts)))

    def knn(self, queries: np.ndarray, k: int) -> Result:
        k = min(int(k), self.size)
        if k <= 0:
            return _empty()
        parts = []
        for start, dist in self._blocks(queries):
            for row, drow in enumerate(dist):
                # the k smallest distances; ties at the k-th distance go to the smaller table index
                kth = np.partition(drow, k - 1)[k - 1]
                less = np.nonzero(drow < kth)[0]
                equal = np.nonzero(drow == kth)[0][: k - less.size]
                ti = np.concatenate([less, equal])
                parts.append((np.full(ti.size, start + row), ti, drow[ti]))
        if not parts:
            return _empty()
        return _sorted(*(np.concatenate(p) for p in zip(*parts)))


def _masks(width: int, bits: int) -> np.ndarray:
    """Every ``width``-bit value with at most ``bits`` bits set."""
    out = [0]
    for n in range(1, min(bits, width) + 1):
        for combo in combinations(range(width), n):
            out.append(sum(1 << b for b in combo))
    return np.array(out, dtype=np.int64)


def _order_by(key: np.ndarray, size: int) -> np.ndarray:
    """Stable argsort of small non-negative keys: sort ``key << bits | position`` (one uint64 sort,
    about twice as fast as ``np.argsort``), then keep the position bits."""
    bits = max(1, int(size - 1).bit_length())
    packed = (key.astype(np.uint64) << np.uint64(bits)) | np.arange(size, dtype=np.uint64)
    packed.sort()
    return (packed & np.uint64((1 << bits) - 1)).astype(np.int32 if size < 2**31 else np.int64)


class MultiIndexHashing:
    """Exact Hamming range search by multi-index hashing (see the module docstring)."""

    kind = "mih"

    def __init__(
        self, hashes: np.ndarray, substrings: int | None = None, *, scan_fallback: bool = True
    ) -> None:
        """``scan_fallback``: scan instead when probing would cost more (small tables, large radii,
        crowded buckets). Off only to test the probing path itself."""
        self.hashes = _as_hashes(hashes, "table hashes")
        self.scan_fallback = scan_fallback
        self.size = int(self.hashes.shape[0])
        if substrings is None:  # bucket bits ~ log2(size): about one entry per bucket
            substrings = int(np.clip(round(64 / max(np.log2(max(self.size, 2)), 16)), 3, 4))
        if not 3 <= substrings <= 16:  # wider than 22 bits, the bucket offsets would not fit in memory
            raise ValueError(f"substrings must be between 3 and 16, got {substrings}")
        self.m = int(substrings)
        base, extra = divmod(64, self.m)
        self.widths = [base + (1 if i < extra else 0) for i in range(self.m)]
        self.shifts = [sum(self.widths[:i]) for i in range(self.m)]
        self._perm: list[np.ndarray] = []
        self._offsets: list[np.ndarray] = []
        for w, sh in zip(self.widths, self.shifts):
            key = self._substring(self.hashes, sh, w)
            self._perm.append(_order_by(key, self.size))
            offsets = np.zeros((1 << w) + 1, dtype=np.int32 if self.size < 2**31 else np.int64)
            np.cumsum(np.bincount(key, minlength=1 << w), out=offsets[1:])
            self._offsets.append(offsets)
        self._brute = BruteForceIndex(self.hashes)
        self._mask_cache: dict[tuple[int, int], np.ndarray] = {}

    @staticmethod
    def _substring(values: np.ndarray, shift: int, width: int) -> np.ndarray:
        return ((values >> np.uint64(shift)) & np.uint64((1 << width) - 1)).astype(np.int64)

    def _thresholds(self, r: int) -> list[int]:
        total = r + 1 - self.m  # sum of s_i with sum(s_i + 1) = r + 1
        if total < 0:  # radius smaller than m - 1: exact probes of a few substrings suffice
            return [0] * (r + 1) + [-1] * (self.m - r - 1)
        return [total // self.m + (1 if i < total % self.m else 0) for i in range(self.m)]

    def _mask(self, width: int, bits: int) -> np.ndarray:
        key = (width, bits)
        if key not in self._mask_cache:
            self._mask_cache[key] = _masks(width, bits)
        return self._mask_cache[key]

    def range_search(self, queries: np.ndarray, radius: int) -> Result:
        q = _as_hashes(queries, "queries")
        r = _check_radius(radius)
        if not q.size or not self.size:
            return _empty()
        thresholds = self._thresholds(r)
        probes = sum(len(self._mask(w, s)) for w, s in zip(self.widths, thresholds) if s >= 0)
        if self.scan_fallback and probes * 4 > self.size:  # radius too large for buckets to pay: scan
            return self._brute.range_search(q, r)
        step = max(1, _CHUNK_WORK // max(1, probes * 8))
        parts = [self._range_chunk(q[i : i + step], i, r, thresholds) for i in range(0, q.size, step)]
        return _sorted(*(np.concatenate(p) for p in zip(*parts)))

    def _range_chunk(self, q: np.ndarray, start: int, r: int, thresholds: list[int]) -> Result:
        found_q, found_t, found_d = [], [], []
        for perm, offsets, w, sh, s in zip(self._perm, self._offsets, self.widths, self.shifts, thresholds):
            if s < 0:
                continue
            masks = self._mask(w, s)
            keys = self._substring(q, sh, w)[:, None] ^ masks[None, :]
            first = offsets[keys].ravel().astype(np.int64)
            length = (offsets[keys + 1].ravel() - first).astype(np.int64)
            total = int(length.sum())
            if self.scan_fallback and total > self.size * q.size // 4:  # crowded buckets: scan this chunk
                qi, ti, d = self._brute.range_search(q, r)
                return qi + start, ti, d
            if not total:
                continue
            qrep = np.repeat(np.repeat(np.arange(q.size), masks.size), length)
            ends = np.cumsum(length)
            pos = np.arange(total) - np.repeat(ends - length - first, length)
            ti = perm[pos].astype(np.int64)
            d = np.bitwise_count(self.hashes[ti] ^ q[qrep])
            ok = d <= r
            found_q.append(qrep[ok])
            found_t.append(ti[ok])
            found_d.append(d[ok])
        if not found_q:
            return _empty()
        qi, ti, d = np.concatenate(found_q), np.concatenate(found_t), np.concatenate(found_d)
        _, first_seen = np.unique(qi * self.size + ti, return_index=True)  # found via several substrings
        return qi[first_seen] + start, ti[first_seen], d[first_seen]

    def knn(self, queries: np.ndarray, k: int) -> Result:
        q = _as_hashes(queries, "queries")
        k = min(int(k), self.size)
        if k <= 0 or not q.size:
            return _empty()
        done = np.zeros(q.size, dtype=bool)
        parts = []
        for radius in (4, 8, 12):
            todo = np.nonzero(~done)[0]
            if not todo.size:
                break
            qi, ti, d = self.range_search(q[todo], radius)
            counts = np.bincount(qi, minlength=todo.size)
            enough = counts >= k
            keep = enough[qi]
            qi, ti, d = qi[keep], ti[keep], d[keep]
            rank = np.arange(qi.size) - np.repeat(np.cumsum(counts[enough]) - counts[enough], counts[enough])
            top = rank < k  # results are sorted by (query, dist, table index)
            parts.append((todo[qi[top]], ti[top], d[top]))
            done[todo[enough]] = True
        todo = np.nonzero(~done)[0]
        if todo.size:  # far from everything: scan
            qi, ti, d = self._brute.knn(q[todo], k)
            parts.append((todo[qi], ti, d))
        return _sorted(*(np.concatenate(p) for p in zip(*parts)))


class FaissFlatIndex:
    """faiss ``IndexBinaryFlat`` (exhaustive, multi-threaded with OpenMP) behind the same API.

    Kept for comparison and for many-core machines; on one core it is slower than the blocked
    numpy scan (see ``benchmarks/results/bench_search.md``).
    """

    kind = "faiss"

    def __init__(self, hashes: np.ndarray) -> None:
        import faiss

        self.hashes = _as_hashes(hashes, "table hashes")
        self.size = int(self.hashes.shape[0])
        self._index = faiss.IndexBinaryFlat(64)
        if self.size:
            self._index.add(self.hashes.view(np.uint8).reshape(-1, 8))

    @staticmethod
    def _codes(q: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(q).view(np.uint8).reshape(-1, 8)

    def range_search(self, queries: np.ndarray, radius: int) -> Result:
        q = _as_hashes(queries, "queries")
        r = _check_radius(radius)
        if not q.size or not self.size:
            return _empty()
        # faiss keeps distances strictly below the threshold
        lims, dist, idx = self._index.range_search(self._codes(q), r + 1)
        qi = np.repeat(np.arange(q.size), np.diff(lims.astype(np.int64)))
        return _sorted(qi, idx.astype(np.int64), dist)

    def knn(self, queries: np.ndarray, k: int) -> Result:
        q = _as_hashes(queries, "queries")
        k = min(int(k), self.size)
        if k <= 0 or not q.size:
            return _empty()
        # faiss breaks ties its own way; resolve them by table index like the oracle
        _, kth = self._index.search(self._codes(q), k)
        worst = np.bitwise_count(self.hashes[kth[:, -1]] ^ q)
        qi, ti, d = self.range_search(q, int(worst.max()))
        keep = d <= worst[qi]
        qi, ti, d = qi[keep], ti[keep], d[keep]
        counts = np.bincount(qi, minlength=q.size)
        rank = np.arange(qi.size) - np.repeat(np.cumsum(counts) - counts, counts)
        top = rank < k
        return qi[top], ti[top], d[top]


def build_index(
    hashes: np.ndarray, kind: IndexKind = "auto"
) -> BruteForceIndex | MultiIndexHashing | FaissFlatIndex:
    """The index for ``hashes``: ``"auto"`` picks brute force for small tables, MIH for large."""
    arr = _as_hashes(hashes, "table hashes")
    if kind == "brute" or (kind == "auto" and arr.size < AUTO_MIN_MIH):
        return BruteForceIndex(arr)
    if kind in ("mih", "auto"):
        return MultiIndexHashing(arr)
    if kind == "faiss":
        return FaissFlatIndex(arr)
    raise ValueError(f"unknown index kind {kind!r}; use 'auto', 'brute', 'mih' or 'faiss'")
