"""The hash table that matching searches, served from the persistent index.

:class:`PersistentTable` has the interface of :class:`verify.library.HashTable`
(``range_search``/``knn`` returning ``(query_idx, table_idx, dist)``, and ``hashes``,
``ref_ids``, ``times``, ``variant_codes``, every other stored per-row column such as ``ends``,
``variant_names``), but its columns are :class:`RowColumn` views: indexing one with the rows a
search returned (``table.ref_ids[ti]``) reads just those rows from the memory-mapped segments.
``np.asarray(column)`` still works (it reads every row: fine for a small library, and what a
large one must avoid).

Row numbers run over the live segments in manifest order, then over an in-memory *overlay*
(references the library has and the index does not yet, when the index could not be updated,
e.g. on a read-only share). Rows of removed references that a segment still holds (tombstones)
never appear in results; their ``ref_ids`` read as -1.

A table with *sampled* segments (a large library, see ``store.SAMPLE_FROM_SAMPLES``) finds with
:meth:`PersistentTable.range_search` only the sampled rows of those segments; matching searches
it in two stages, and :meth:`PersistentTable.search_within` serves the second from the chosen
references' full rows, read from the library (:meth:`PersistentTable.bind`) into memory and
numbered after every other row (*detail* rows, kept up to ``DETAIL_ROWS`` and then dropped; a
row number is never reused, and reading a dropped one is an error, not another row).
"""

from __future__ import annotations

import logging
import threading
import weakref
from typing import Any

import numpy as np

from ...errors import LibraryError
from ...index import Result, _as_hashes, _check_radius, _sorted
from ..table import HashTable, within_rows
from .segment import FLOAT32_COLUMNS, Segment

log = logging.getLogger("verify")

#: Detail rows (full rows of references of sampled segments) kept in memory between searches.
DETAIL_ROWS = 8_000_000


class RowColumn:
    """One per-row column of a :class:`PersistentTable`, read on indexing."""

    def __init__(self, table: PersistentTable, name: str, dtype: Any) -> None:
        self._ref = weakref.ref(table)  # no cycle: the table (and its maps) go as soon as it is dropped
        self.name = name
        self.dtype = np.dtype(dtype)

    @property
    def _table(self) -> PersistentTable:
        table = self._ref()
        if table is None:
            raise ReferenceError(f"column {self.name} outlived its table; keep the table while using it")
        return table

    def __len__(self) -> int:
        return self._table.size

    @property
    def shape(self) -> tuple[int]:
        return (self._table.size,)

    @property
    def size(self) -> int:
        return self._table.size

    def __getitem__(self, idx: Any) -> Any:
        if isinstance(idx, (int, np.integer)):
            return self._table.column(self.name, np.array([int(idx)]))[0]
        if isinstance(idx, slice):
            return self._table.column(self.name, np.arange(self._table.size)[idx])
        arr = np.asarray(idx)
        if arr.dtype == bool:
            arr = np.flatnonzero(arr)
        return self._table.column(self.name, arr.astype(np.int64).ravel()).reshape(arr.shape)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if self._table.size > 10_000_000:
            log.warning("reading all %d rows of column %s into memory", self._table.size, self.name)
        out = self._table.column(self.name, np.arange(self._table.size))
        return out.astype(dtype) if dtype is not None else out

    def __eq__(self, other: object) -> Any:
        return np.asarray(self) == other

    def __ne__(self, other: object) -> Any:
        return np.asarray(self) != other

    def __contains__(self, value: object) -> bool:
        return bool((np.asarray(self) == value).any())

    def tolist(self) -> list[Any]:
        return np.asarray(self).tolist()

    __hash__ = None  # type: ignore[assignment]


class PersistentTable(HashTable):
    """A read-only view of the index (one algorithm), optionally restricted to some variants.

    A :class:`HashTable` to its users; its columns are :class:`RowColumn` views, not arrays."""

    def __init__(
        self,
        algorithm: str,
        segments: list[Segment],
        tombstones: list[int],
        generation: int,
        overlay: Any = None,
        variants: tuple[str, ...] | None = None,
    ) -> None:
        self.algorithm = algorithm
        self.index_kind = "persistent"  # type: ignore[assignment]
        self.segments = segments
        self.generation = generation
        self.tombstones = np.array(sorted(tombstones), np.int64)
        self.overlay = overlay if overlay is not None and len(overlay.hashes) else None
        names: list[str] = []
        for seg in segments:
            names += [v for v in seg.variants if v not in names]
        if self.overlay is not None:
            names += [v for v in self.overlay.variant_names if v not in names]
        self.variant_names = tuple(names)
        self.variants = None if variants is None else set(variants)
        self._seg_codes = [np.array([names.index(v) for v in seg.variants], np.int16) for seg in segments]
        self.bases = np.cumsum([0] + [s.rows for s in segments]).astype(np.int64)
        self.size = int(self.bases[-1]) + (len(self.overlay.hashes) if self.overlay is not None else 0)
        dtypes: dict[str, Any] = {"hashes": np.uint64, "ref_ids": np.int64, "variant_codes": np.int16}
        for seg in segments:
            for k, dt in seg.meta["columns"].items():
                dtypes.setdefault(k, np.float64 if k in FLOAT32_COLUMNS else np.dtype(dt))
        if self.overlay is not None:
            from .segment import row_columns

            for k, v in row_columns(self.overlay).items():
                dtypes.setdefault(k, v.dtype)
        self.column_names = tuple(dtypes)
        for k, dt in dtypes.items():
            setattr(self, k, RowColumn(self, k, dt))
        self._live = self._count_live()
        # detail rows (sampled segments): [first row, that chunk's HashTable], ref -> its rows
        self.sampled = any(seg.grid > 0 for seg in segments)
        self._source: Any = None
        self._detail: list[tuple[int, Any]] = []
        self._detail_of: dict[int, np.ndarray] = {}
        self._next = self.size
        self._detail_lock = threading.Lock()
        self._sampled_refs: np.ndarray | None = None

    def _count_live(self) -> int:
        n = 0
        for seg in self.segments:
            for p in seg.partitions:
                g = np.asarray(p.groups)
                keep = ~np.isin(g[:, 0], self.tombstones) if self.tombstones.size else np.ones(len(g), bool)
                if self.variants is not None:
                    wanted = np.array([v in self.variants for v in seg.variants], dtype=np.bool_)
                    keep &= wanted[g[:, 1]]
                n += int((g[keep, 3] - g[keep, 2]).sum())
        if self.overlay is not None:
            n += int(self._overlay_rows().size)
        return n

    def __len__(self) -> int:
        """Live rows (in the selected variants)."""
        return self._live

    @property
    def index(self) -> PersistentTable:
        return self

    @property
    def index_built(self) -> bool:
        return True

    @property
    def resident_rows(self) -> int:
        return len(self.overlay.hashes) if self.overlay is not None else 0

    def _overlay_rows(self) -> np.ndarray:
        ov: Any = self.overlay
        codes = np.asarray(ov.variant_codes)
        if self.variants is None:
            return np.arange(codes.size)
        keep = np.array([n in self.variants for n in ov.variant_names], dtype=np.bool_)
        return np.flatnonzero(keep[codes]) if keep.size else np.zeros(0, np.int64)

    # -- reading rows ------------------------------------------------------------------------

    def column(self, name: str, rows: np.ndarray) -> np.ndarray:
        """Values of column ``name`` at global ``rows`` (any order, repeats allowed)."""
        col: RowColumn = getattr(self, name)
        out = np.zeros(rows.size, col.dtype)
        if not rows.size:
            return out
        if rows.min() < 0 or rows.max() >= self._next:
            raise IndexError(f"row out of range 0..{self._next - 1}")
        seg_of = np.searchsorted(self.bases, rows, side="right") - 1
        seg_of[rows >= self.size] = len(self.segments) + 1  # detail rows
        for s in np.unique(seg_of):
            sel = np.flatnonzero(seg_of == s)
            if s > len(self.segments):
                out[sel] = self._detail_column(name, rows[sel])
                continue
            if s == len(self.segments):  # overlay
                ov = self.overlay
                local = rows[sel] - self.bases[-1]
                out[sel] = np.asarray(getattr(ov, name))[local]
                continue
            seg = self.segments[s]
            local = rows[sel] - self.bases[s]
            part_of = np.searchsorted(seg.bases, local, side="right") - 1
            for pi in np.unique(part_of):
                psel = np.flatnonzero(part_of == pi)
                p = seg.partitions[pi]
                prow = local[psel] - p.base
                if name == "hashes":
                    vals: Any = p.hash.array[prow]
                elif name == "ref_ids":
                    vals = p.ref_of(prow)
                    if self.tombstones.size:
                        vals = np.where(np.isin(vals, self.tombstones), -1, vals)
                elif name == "variant_codes":
                    vals = self._seg_codes[s][p.variant_of(prow)]
                elif name in p.columns:
                    vals = p.columns[name].array[prow]
                else:
                    vals = 0
                out[sel[psel]] = vals
        return out

    # -- search ------------------------------------------------------------------------------

    def range_search(self, queries: np.ndarray, radius: int) -> Result:
        q = _as_hashes(queries, "queries")
        r = _check_radius(radius)
        empty = np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.uint8)
        if not q.size or not self.size:
            return empty
        parts = []
        for s, seg in enumerate(self.segments):
            qi, local, d = seg.range_search(q, r, self.variants)
            if self.tombstones.size and local.size:
                refs = self._refs_of_local(seg, local)
                keep = ~np.isin(refs, self.tombstones)
                qi, local, d = qi[keep], local[keep], d[keep]
            parts.append((qi, local + self.bases[s], d))
        if self.overlay is not None:
            rows = self._overlay_rows()
            if rows.size:
                from ...index import build_index

                qi, ti, d = build_index(np.asarray(self.overlay.hashes)[rows]).range_search(q, r)
                parts.append((qi, rows[ti] + self.bases[-1], d))
        parts = [p for p in parts if p[0].size]
        if not parts:
            return empty
        return _sorted(*(np.concatenate(x) for x in zip(*parts)))

    def rows_of(self, ref_ids: np.ndarray) -> np.ndarray:
        """Live rows (ascending, in the selected variants) of the references ``ref_ids``, found from
        the segments' group tables (nothing else is read) and the overlay: the rows
        :meth:`range_search` can return for them."""
        ids = np.setdiff1d(np.asarray(ref_ids, np.int64), self.tombstones)
        out: list[np.ndarray] = []
        for s, seg in enumerate(self.segments):
            wanted = (
                None
                if self.variants is None
                else np.array([v in self.variants for v in seg.variants], dtype=np.bool_)
            )
            for p in seg.partitions:
                g = np.asarray(p.groups)
                keep = np.isin(g[:, 0], ids)
                if wanted is not None:
                    keep &= wanted[g[:, 1]]
                for first, end in g[keep, 2:4]:
                    out.append(np.arange(first, end, dtype=np.int64) + p.base + self.bases[s])
        if self.overlay is not None:
            # not filtered by tombstones: a reference changed under its id lives here
            rows = self._overlay_rows()
            refs = np.asarray(self.overlay.ref_ids)[rows]
            out.append(rows[np.isin(refs, np.asarray(ref_ids, np.int64))].astype(np.int64) + self.bases[-1])
        return np.sort(np.concatenate(out)) if out else np.zeros(0, np.int64)

    # -- sampled segments: the second stage's rows, from the library -------------------------

    @property
    def library_rows(self) -> int:
        """Rows of the library this table stands for: its live rows, with a sampled segment's
        references counted with the full rows they were sampled from."""
        if not self.sampled:
            return len(self)
        total = self.resident_rows
        for seg in self.segments:
            if seg.source is not None:
                refs = np.asarray(seg.refs)[:, 0]
                total += int(np.asarray(seg.source)[~np.isin(refs, self.tombstones)].sum())
                continue
            for p in seg.partitions:
                g = np.asarray(p.groups)
                keep = ~np.isin(g[:, 0], self.tombstones) if self.tombstones.size else np.ones(len(g), bool)
                total += int((g[keep, 3] - g[keep, 2]).sum())
        return total

    def bind(self, source: Any) -> None:
        """The library (``ref_tables(algorithm, ids)``) the full rows of sampled segments come from;
        held weakly (a cached table never keeps a library open)."""
        self._source = weakref.ref(source)

    def search_within(self, queries: np.ndarray, radius: int, ref_ids: np.ndarray) -> Result:
        """:meth:`range_search` over every row of ``ref_ids`` (for references of sampled segments:
        their full rows from the library, not just the sampled ones)."""
        ids = np.unique(np.asarray(ref_ids, np.int64))
        if not self.sampled:
            return super().search_within(queries, radius, ids)
        need = ids[np.isin(ids, self._refs_sampled())]
        rows = [self.rows_of(ids[~np.isin(ids, need)])]
        if need.size:
            rows.append(self._detail_rows(need))
        return within_rows(self, queries, radius, np.sort(np.concatenate(rows)))

    def _refs_sampled(self) -> np.ndarray:
        """Live references whose rows are in a sampled segment."""
        if self._sampled_refs is None:
            refs = [np.asarray(s.refs)[:, 0] for s in self.segments if s.grid > 0]
            all_refs = np.unique(np.concatenate(refs)) if refs else np.zeros(0, np.int64)
            self._sampled_refs = np.setdiff1d(all_refs, self.tombstones)
        return self._sampled_refs

    def _detail_rows(self, ids: np.ndarray) -> np.ndarray:
        """Row numbers of the full rows of ``ids`` (references of sampled segments), loading the
        ones not in memory yet."""
        with self._detail_lock:
            missing = [int(r) for r in ids if int(r) not in self._detail_of]
            if missing:
                held = sum(len(t.hashes) for _, t in self._detail)
                if held > DETAIL_ROWS:  # start afresh; the numbers of dropped rows are never reused
                    self._detail, self._detail_of = [], {}
                    missing = [int(r) for r in ids]
                self._load(missing)
            parts = [self._detail_of[int(r)] for r in ids]
        return np.concatenate(parts) if parts else np.zeros(0, np.int64)

    def _load(self, ids: list[int]) -> None:
        from . import _stack

        source = self._source() if self._source is not None else None
        if source is None:
            raise LibraryError(
                "this index is sampled and no library is attached to read the full rows from",
                hint="Open the table through Library.hash_table (or call bind(library)).",
            )
        tables = [t for _, _, t in source.ref_tables(self.algorithm, ids)]
        found: set[int] = set()
        if tables:
            chunk = _stack(self.algorithm, tables)
            names = list(self.variant_names)
            names += [v for v in chunk.variant_names if v not in names]
            self.variant_names = tuple(names)
            chunk.global_codes = np.array([names.index(v) for v in chunk.variant_names], np.int16)[
                np.asarray(chunk.variant_codes, np.int64)
            ]
            base = self._next
            self._detail.append((base, chunk))
            self._next += len(chunk.hashes)
            refs = np.asarray(chunk.ref_ids)
            codes = chunk.global_codes
            wanted = np.ones(len(refs), bool)
            if self.variants is not None:
                wanted = np.isin(codes, [names.index(v) for v in self.variants if v in names])
            order = np.argsort(refs, kind="stable")
            bounds = np.flatnonzero(np.diff(refs[order])) + 1
            for grp in np.split(order, bounds):
                rid = int(refs[grp[0]])
                found.add(rid)
                self._detail_of[rid] = np.sort(grp[wanted[grp]]).astype(np.int64) + base
        for r in ids:  # a reference the library no longer has: no rows
            if r not in found:
                self._detail_of[r] = np.zeros(0, np.int64)

    def _detail_column(self, name: str, rows: np.ndarray) -> np.ndarray:
        col: RowColumn = getattr(self, name)
        out = np.zeros(rows.size, col.dtype)
        firsts = np.array([b for b, _ in self._detail], np.int64)
        which = np.searchsorted(firsts, rows, side="right") - 1
        for w in np.unique(which):
            sel = np.flatnonzero(which == w)
            base, chunk = self._detail[w] if w >= 0 else (0, None)
            local = rows[sel] - base
            if chunk is None or local.max() >= len(chunk.hashes):
                raise IndexError("detail rows of an earlier search were dropped; search again")
            if name == "variant_codes":
                out[sel] = chunk.global_codes[local]
            elif hasattr(chunk, name):
                out[sel] = np.asarray(getattr(chunk, name))[local]
        return out

    @staticmethod
    def _refs_of_local(seg: Segment, local: np.ndarray) -> np.ndarray:
        out = np.empty(local.size, np.int64)
        part_of = np.searchsorted(seg.bases, local, side="right") - 1
        for pi in np.unique(part_of):
            sel = np.flatnonzero(part_of == pi)
            p = seg.partitions[pi]
            out[sel] = p.ref_of(local[sel] - p.base)
        return out

    def knn(self, queries: np.ndarray, k: int) -> Result:
        """The ``k`` nearest live rows per query (ties by row number), by growing radius."""
        q = _as_hashes(queries, "queries")
        k = min(int(k), len(self))
        if k <= 0 or not q.size:
            return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.uint8)
        done = np.zeros(q.size, bool)
        parts = []
        for radius in (4, 8, 12, 16, 24, 32, 64):
            todo = np.flatnonzero(~done)
            if not todo.size:
                break
            qi, ti, d = self.range_search(q[todo], radius)
            counts = np.bincount(qi, minlength=todo.size)
            enough = counts >= k if radius < 64 else np.ones(todo.size, bool)
            keep = enough[qi]
            qi, ti, d = qi[keep], ti[keep], d[keep]
            c = counts[enough]
            rank = np.arange(qi.size) - np.repeat(np.cumsum(c) - c, c)
            top = rank < k
            parts.append((todo[qi[top]], ti[top], d[top]))
            done[todo[enough]] = True
        return _sorted(*(np.concatenate(x) for x in zip(*parts)))
