"""All reference hashes of one algorithm, concatenated, with a lazily built and cached index.

Matching searches a :class:`HashTable`; building it (reading every fingerprint and
sorting millions of hashes for the index) is the expensive part of a query, so tables
are cached per ``(library id, algorithm, variants)`` and reused while the library's
generation counter is unchanged. Every add/remove bumps the counter in the same
transaction, so another process's change is seen on the next query.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable

import numpy as np

from ..index import HammingIndex, IndexKind, Result, build_index
from .rows import Rows


class HashTable:
    """The rows matching searches: the one place that presents reference hashes to search.

    ROW CONTRACT (shared with the persistent index and the PostgreSQL backend): row ``i`` is one
    hash of one reference that holds from ``times[i]`` to ``ends[i]``:

    * ``hashes`` uint64 (M,): the 64-bit hash (algorithm ``algorithm``; never mix algorithms);
    * ``ref_ids`` int64 (M,): the reference (``refs.id``);
    * ``times`` float64 (M,): seconds in the reference where the row starts (what a player shows);
    * ``ends`` float64 (M,): where it ends; ``== times`` for a single-frame row. A row of a
      compacted run (``verify.library.rows``) stands for every frame of the reference in
      ``[times, ends]``, all within a few bits of ``hashes``;
    * ``variant_codes`` int16 (M,) indexing ``variant_names`` (``"full"``, ``"crop85"``...): which
      region of the reference picture was hashed.

    Only usable samples (``quality`` True) are rows. Rows are ordered by reference; within one,
    by variant then time. Matching reads nothing else of a library but :meth:`range_search` and
    :meth:`search_within` results (indices into these arrays); a subclass serves both, and
    :meth:`rows_of`, over the same rows.
    """

    def __init__(
        self,
        algorithm: str,
        hashes: np.ndarray,
        ref_ids: np.ndarray,
        times: np.ndarray,
        variant_codes: np.ndarray,
        variant_names: tuple[str, ...],
        generation: int = 0,
        index_kind: IndexKind = "auto",
        ends: np.ndarray | None = None,
    ) -> None:
        self.algorithm = algorithm
        self.hashes = hashes
        self.ref_ids = ref_ids
        self.times = times
        self.ends = times if ends is None else ends
        self.variant_codes = variant_codes
        self.variant_names = variant_names
        self.generation = generation
        self.index_kind: IndexKind = index_kind
        self._index: HammingIndex | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return int(self.hashes.shape[0])

    @property
    def index(self) -> HammingIndex:
        """The search index over ``hashes``, built on first use and kept."""
        with self._lock:
            if self._index is None:
                self._index = build_index(self.hashes, self.index_kind)
            return self._index

    @property
    def index_built(self) -> bool:
        return self._index is not None

    @property
    def resident_rows(self) -> int:
        """Rows this table holds in memory (what the cache budgets; a persistent table maps them)."""
        return len(self)

    def range_search(self, queries: np.ndarray, radius: int) -> Result:
        return self.index.range_search(queries, radius)

    def knn(self, queries: np.ndarray, k: int) -> Result:
        return self.index.knn(queries, k)

    def rows_of(self, ref_ids: np.ndarray) -> np.ndarray:
        """The rows (ascending) of the references ``ref_ids``."""
        return np.flatnonzero(np.isin(np.asarray(self.ref_ids), np.asarray(ref_ids, np.int64)))

    def search_within(self, queries: np.ndarray, radius: int, ref_ids: np.ndarray) -> Result:
        """:meth:`range_search` restricted to the rows of ``ref_ids``: the same pairs a full search
        gives for those references, found by an index over their rows only (the second stage of a
        coarse-to-exact search, ``verify.matching.candidates.search_unique``)."""
        return within_rows(self, queries, radius, self.rows_of(ref_ids))


def grid_rows(codes: np.ndarray, times: np.ndarray, ends: np.ndarray, grid: float) -> np.ndarray:
    """Mask of the rows a sampled index keeps: per variant, about one row per ``grid`` seconds.

    The rows are one reference's (or consecutive references'), grouped by ``codes`` (a change of
    code, or of reference folded into it, starts a group) and by time within a group. A row is kept
    when it starts a group or when its span reaches into a ``grid`` cell its predecessor's did not:
    the row that covers (or first follows) each multiple of ``grid``, and every long row of a
    compacted run. ``grid <= 0`` keeps every row."""
    n = len(times)
    if grid <= 0 or n == 0:
        return np.ones(n, bool)
    cell = np.floor(np.maximum(np.asarray(ends, np.float64), np.asarray(times, np.float64)) / grid + 1e-9)
    keep = np.ones(n, bool)
    keep[1:] = (np.asarray(codes)[1:] != np.asarray(codes)[:-1]) | (cell[1:] != cell[:-1])
    return keep


def within_rows(table: HashTable, queries: np.ndarray, radius: int, rows: np.ndarray) -> Result:
    """Range search of ``queries`` over the table rows ``rows`` (ascending) only."""
    if not rows.size or not np.asarray(queries).size:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.uint8)
    hashes = np.ascontiguousarray(table.hashes[rows], np.uint64)
    qi, ti, d = build_index(hashes).range_search(queries, radius)
    return qi, rows[ti], d


def concatenate(
    algorithm: str,
    parts: Iterable[tuple[int, np.ndarray, np.ndarray, np.ndarray, tuple[str, ...]]],
    generation: int,
    variants: tuple[str, ...] | None = None,
) -> HashTable:
    """Build a table from ``(ref_id, times (N,), hashes (N, V), quality (N,), variant names)`` parts."""
    names: list[str] = []
    hs, ids, ts, codes = [], [], [], []
    for ref_id, times, hashes, quality, var_names in parts:
        usable = np.flatnonzero(quality)
        for col, name in enumerate(var_names):
            if variants is not None and name not in variants:
                continue
            if name not in names:
                names.append(name)
            hs.append(hashes[usable, col])
            ts.append(times[usable])
            ids.append(np.full(usable.size, ref_id, dtype=np.int64))
            codes.append(np.full(usable.size, names.index(name), dtype=np.int16))
    if not hs:
        z = np.zeros(0)
        return HashTable(
            algorithm, z.astype(np.uint64), z.astype(np.int64), z, z.astype(np.int16), (), generation
        )
    return HashTable(
        algorithm,
        np.ascontiguousarray(np.concatenate(hs), dtype=np.uint64),
        np.concatenate(ids),
        np.concatenate(ts).astype(np.float64),
        np.concatenate(codes),
        tuple(names),
        generation,
    )


def concatenate_rows(
    algorithm: str,
    parts: Iterable[tuple[int, Rows]],
    generation: int,
    variants: tuple[str, ...] | None = None,
) -> HashTable:
    """Build a table from ``(ref_id, Rows)`` parts (compact rows, see ``verify.library.rows``)."""
    names: list[str] = []
    hs, ids, ts, es, codes = [], [], [], [], []
    for ref_id, r in parts:
        keep = np.asarray(r.quality, bool)
        local = np.full(len(r.names), -1, np.int16)
        for code, name in enumerate(r.names):
            if variants is not None and name not in variants:
                continue
            if name not in names:
                names.append(name)
            local[code] = names.index(name)
        mapped = local[np.asarray(r.codes, np.int64)] if len(r.codes) else np.zeros(0, np.int16)
        keep &= mapped >= 0
        hs.append(r.hashes[keep])
        ts.append(r.times[keep])
        es.append(r.ends[keep])
        codes.append(mapped[keep])
        ids.append(np.full(int(keep.sum()), ref_id, dtype=np.int64))
    if not hs or not sum(len(h) for h in hs):
        z = np.zeros(0)
        return HashTable(
            algorithm,
            z.astype(np.uint64),
            z.astype(np.int64),
            z,
            z.astype(np.int16),
            tuple(names),
            generation,
        )
    return HashTable(
        algorithm,
        np.ascontiguousarray(np.concatenate(hs), dtype=np.uint64),
        np.concatenate(ids),
        np.concatenate(ts).astype(np.float64),
        np.concatenate(codes).astype(np.int16),
        tuple(names),
        generation,
        ends=np.concatenate(es).astype(np.float64),
    )


class TableCache:
    """A small LRU of hash tables shared by every Library object of the process."""

    def __init__(self, size: int = 4, max_rows: int = 30_000_000) -> None:
        self.size = size
        self.max_rows = max_rows  # ~45 bytes per row with its index: bound the memory, not just the count
        self._tables: OrderedDict[tuple[object, ...], HashTable] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple[object, ...], generation: int) -> HashTable | None:
        with self._lock:
            table = self._tables.get(key)
            if table is None or table.generation != generation:
                self.misses += 1
                return None
            self._tables.move_to_end(key)
            self.hits += 1
            return table

    def put(self, key: tuple[object, ...], table: HashTable) -> None:
        with self._lock:
            self._tables[key] = table
            self._tables.move_to_end(key)
            while len(self._tables) > 1 and (
                len(self._tables) > self.size
                or sum(t.resident_rows for t in self._tables.values()) > self.max_rows
            ):
                self._tables.popitem(last=False)  # least recently used; the newest always stays

    def clear(self) -> None:
        with self._lock:
            self._tables.clear()


CACHE = TableCache()
