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


class HashTable:
    """Row ``i`` is one usable sample hash of one reference.

    ``hashes`` uint64 (M,), ``ref_ids`` int64 (M,), ``times`` float64 (M,) seconds in the
    reference, ``variant_codes`` int16 (M,) indexing ``variant_names``. Only samples with
    ``quality`` True are included.
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
    ) -> None:
        self.algorithm = algorithm
        self.hashes = hashes
        self.ref_ids = ref_ids
        self.times = times
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
