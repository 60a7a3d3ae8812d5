"""One immutable segment of the persistent index: the rows of a set of whole references.

A segment is a folder ``seg-<id>/`` written once and never changed:

* ``meta.json``: row count, per-row columns and their dtypes, variant names, the file list with
  sizes and crc32s, and one entry per variant partition;
* ``refs`` (int64, K x 2): every reference in the segment with its library sample count;
* the rows (one partition, ``p0``): ``p0.hash`` (uint64 per row), ``p0.col.<name>`` (every other
  per-row column of :class:`verify.library.HashTable`, e.g. ``times`` and ``ends``; exact, in
  their own dtype unless ``COMPACT_TIMES``), ``p0.groups`` (int64, G x 4: ``ref_id, variant, first
  row, end row``; rows in reference order, each reference's rows by variant, so a row's reference
  and variant are a binary search away) and either substring tables over every row (:mod:`.mih`,
  ``p0.t<i>.off/.ent``) or, below ``SCAN_ROWS`` rows, nothing: those rows are scanned.

A *sampled* segment (``meta["grid"] > 0``, what the index of a large library writes: see
``store.SAMPLE_FROM_SAMPLES``) keeps about one row per ``grid`` seconds of each reference and
variant (:func:`verify.library.table.grid_rows`), the rows a first search stage needs to find the
candidate references; the second stage reads those references' full rows from the library.

Rows are fed one reference at a time (:meth:`SegmentWriter.add`), streamed to disk, so a
segment can be far larger than memory.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from ...index import BruteForceIndex
from ..table import grid_rows
from . import mih
from .files import Appender, IndexDamaged, Mapped, file_crc, fsync_dir, json_bytes, read_json, write_atomic
from .mih import MappedTables, build_tables

FORMAT = 1
#: A sampled segment's format: a verify that reads only format 1 finds it "damaged" and rebuilds the
#: index whole, instead of taking the sample for every row.
SAMPLED_FORMAT = 2
#: A variant partition smaller than this is scanned instead of indexed.
SCAN_ROWS = 1 << 16
#: Per-row columns that may be stored as float32 (4 ms resolution 10 h into a reference) when an
#: index is built with ``compact_times``; by default every column keeps its dtype (exact).
FLOAT32_COLUMNS = ("times", "ends")
COMPACT_TIMES = False
#: Columns that are not stored as such: the hash has its own file, reference and variant come from groups.
IMPLICIT = ("hashes", "ref_ids", "variant_codes")


def row_columns(table: Any) -> dict[str, np.ndarray]:
    """Every per-row array of a hash table except the implicit ones (times, ends, future columns)."""
    n = len(table.hashes)
    return {
        k: v
        for k, v in vars(table).items()
        if isinstance(v, np.ndarray) and v.ndim == 1 and v.shape[0] == n and k not in IMPLICIT
    }


def storage_dtype(name: str, dtype: np.dtype[Any]) -> str:
    if COMPACT_TIMES and name in FLOAT32_COLUMNS and dtype.kind == "f":
        return "<f4"
    return np.dtype(dtype).newbyteorder("<").str


class SegmentWriter:
    """Streams whole references into a new segment folder; :meth:`finish` builds the tables.

    All rows go to one partition (``p0``), in reference order, each reference's rows grouped by
    variant: a row's reference and variant are one binary search in the group table away, and
    one set of substring tables serves every variant.
    """

    def __init__(self, parent: Path, variant_names: Iterable[str], grid: float = 0.0) -> None:
        self.grid = float(grid)  # > 0: keep about one row per grid seconds of each variant (grid_rows)
        self.source: dict[int, int] = {}  # ref id -> its full rows (a sampled segment stores them)
        self.name = f"seg-{uuid.uuid4().hex[:16]}"
        self.tmp = parent / f"tmp-{self.name}"
        self.tmp.mkdir(parents=True)
        self.final = parent / self.name
        self.variants = list(variant_names)
        self.rows = 0
        self.refs: dict[int, int] = {}  # ref id -> library sample count (for the consistency check)
        self.groups: list[tuple[int, int, int, int]] = []
        self._hash = Appender(self.tmp / "p0.hash", "<u8")
        self._cols: dict[str, Appender] | None = None
        self._dtypes: dict[str, str] = {}

    def add(self, ref_id: int, table: Any, samples: int) -> None:
        """Append every row of one reference (a HashTable of that reference alone)."""
        if ref_id in self.refs:
            raise ValueError(f"reference {ref_id} added twice to one segment")
        self.refs[int(ref_id)] = int(samples)
        n = len(table.hashes)
        # a reference read back from a sampled segment brings the count of its full rows along
        self.source[int(ref_id)] = int(getattr(table, "source_rows", None) or n)
        if not n:
            return
        names = tuple(table.variant_names)
        for name in names:
            if name not in self.variants:
                self.variants.append(name)
        codes = np.asarray(table.variant_codes, np.int64)
        glob = np.array([self.variants.index(x) for x in names], np.int64)[codes]
        cols = row_columns(table)
        if "times" in cols:
            order = np.lexsort((np.asarray(cols["times"]), glob))
        else:
            order = np.argsort(glob, kind="stable")
        if self.grid > 0:
            t = np.asarray(cols.get("times", np.zeros(n)), np.float64)[order]
            e = np.asarray(cols["ends"], np.float64)[order] if "ends" in cols else t
            order = order[grid_rows(glob[order], t, e, self.grid)]
            n = len(order)
        if self._cols is None:
            self._dtypes = {k: storage_dtype(k, v.dtype) for k, v in cols.items()}
            self._cols = {k: Appender(self.tmp / f"p0.col.{k}", dt) for k, dt in self._dtypes.items()}
        if set(cols) != set(self._cols):
            raise ValueError(
                f"reference {ref_id} has columns {sorted(cols)}, the segment {sorted(self._cols)}"
            )
        self._hash.append(np.asarray(table.hashes, np.uint64)[order])
        for k, app in self._cols.items():
            app.append(np.asarray(cols[k])[order])
        g = glob[order]
        starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
        ends = np.r_[starts[1:], n]
        for a, b in zip(starts, ends):
            self.groups.append((int(ref_id), int(g[a]), self.rows + int(a), self.rows + int(b)))
        self.rows += n

    def _appenders(self) -> list[Appender]:
        return [self._hash, *(self._cols or {}).values()]

    def abort(self) -> None:
        for app in self._appenders():
            if not app._f.closed:
                app._f.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def finish(self) -> dict[str, Any]:
        """Close the row files, build the substring tables, fsync and rename into place."""
        try:
            files: dict[str, list[int]] = {"p0.hash": list(self._hash.close())}
            for k, app in (self._cols or {}).items():
                files[f"p0.col.{k}"] = list(app.close())
            arrays = [
                ("p0.groups", np.array(self.groups, np.int64).reshape(-1, 4)),
                ("refs", np.array(sorted(self.refs.items()), np.int64).reshape(-1, 2)),
            ]
            if self.grid > 0:  # per reference (in the order of refs), its rows before sampling
                arrays.append(("source", np.array([self.source[r] for r in sorted(self.refs)], np.int64)))
            for name, arr in arrays:
                app = Appender(self.tmp / name, "<i8")
                app.append(arr)
                files[name] = list(app.close())
            info: dict[str, Any] = {"n": self.rows, "groups": len(self.groups), "kind": "scan"}
            if self.rows >= SCAN_ROWS:
                hashes = Mapped(self.tmp / "p0.hash", "<u8", (self.rows,), files["p0.hash"][0])
                tables = build_tables(self.tmp, "p0", hashes.array)
                files.update(tables.pop("files"))
                info.update(tables, kind="mih")
            meta = {
                "format": SAMPLED_FORMAT if self.grid > 0 else FORMAT,
                "rows": self.rows,
                "grid": self.grid,
                "refs": len(self.refs),
                "variants": self.variants,
                "columns": self._dtypes,
                "partitions": [info] if self.rows or self.groups else [],
                "files": {k: [int(s), int(c)] for k, (s, c) in files.items()},
            }
            write_atomic(self.tmp / "meta.json", json_bytes(meta))
            fsync_dir(self.tmp)
            self.tmp.rename(self.final)
            fsync_dir(self.final.parent)
            return meta
        except BaseException:
            self.abort()
            raise


class Partition:
    """The rows of a segment: hash, columns, groups, substring tables (or a scan)."""

    def __init__(self, folder: Path, info: dict[str, Any], files: dict[str, list[int]], columns: dict[str, str],
                 base: int) -> None:  # fmt: skip
        self.n = int(info["n"])
        self.base = base  # first segment-local row of this partition
        self.hash = Mapped(folder / "p0.hash", "<u8", (self.n,), files["p0.hash"][0])
        self.columns = {
            k: Mapped(folder / f"p0.col.{k}", dt, (self.n,), files[f"p0.col.{k}"][0])
            for k, dt in columns.items()
        }
        self.groups = Mapped(
            folder / "p0.groups", "<i8", (int(info["groups"]), 4), files["p0.groups"][0]
        ).array
        self._starts = np.ascontiguousarray(self.groups[:, 2])
        self.tables: MappedTables | None = None
        if info["kind"] == "mih":
            self.tables = MappedTables(folder, "p0", {**info, "files": files})
            self.tables.check_ends()

    def _group(self, rows: np.ndarray) -> np.ndarray:
        return np.searchsorted(self._starts, rows, side="right") - 1

    def ref_of(self, rows: np.ndarray) -> np.ndarray:
        """Reference id of partition-local rows."""
        return self.groups[self._group(rows), 0]

    def variant_of(self, rows: np.ndarray) -> np.ndarray:
        """Segment variant code of partition-local rows."""
        return self.groups[self._group(rows), 1]

    def release(self) -> None:
        if self.tables is not None:
            self.tables.release()
        self.release_hash()

    def release_hash(self) -> None:
        """Drop the hash column's pages from the process when it is large (see ``mih.RELEASE_BYTES``)."""
        if self.n * 8 >= mih.RELEASE_BYTES:
            self.hash.release()

    def range_search(self, q: np.ndarray, r: int) -> tuple[np.ndarray, ...]:
        """(query index, partition-local row, distance) of the rows within ``r`` bits."""
        if self.tables is not None:
            out = self.tables.range_search(q, r, self.hash.array, self.release_hash)
        else:
            out = BruteForceIndex(np.asarray(self.hash.array)).range_search(q, r)
        self.release()
        return out


class Segment:
    """A segment opened read-only (memory maps; nothing is read until a query touches it)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.name = folder.name
        try:
            self.meta = read_json(folder / "meta.json")
        except FileNotFoundError as exc:
            raise IndexDamaged(f"{folder.name}: meta.json missing") from exc
        m = self.meta
        if m.get("format") not in (FORMAT, SAMPLED_FORMAT):
            raise IndexDamaged(
                f"{folder.name}: format {m.get('format')}, this verify reads {FORMAT} and {SAMPLED_FORMAT}"
            )
        files = m["files"]
        self.rows = int(m["rows"])
        #: > 0: a sampled segment (about one row per ``grid`` s of each reference and variant)
        self.grid = float(m.get("grid", 0.0))
        self.variants: list[str] = list(m["variants"])
        self.refs = Mapped(folder / "refs", "<i8", (int(m["refs"]), 2), files["refs"][0]).array
        #: a sampled segment: each reference's rows before sampling (in the order of ``refs``)
        self.source = (
            Mapped(folder / "source", "<i8", (int(m["refs"]),), files["source"][0]).array
            if "source" in files
            else None
        )
        self.partitions: list[Partition] = []
        base = 0
        for info in m["partitions"]:
            self.partitions.append(Partition(folder, info, files, m["columns"], base))
            base += int(info["n"])
        if base != self.rows:
            raise IndexDamaged(f"{folder.name}: partitions hold {base} rows, meta says {self.rows}")
        self.bases = np.array([p.base for p in self.partitions] + [self.rows], np.int64)

    def verify(self) -> list[str]:
        """Full check: every file's crc32 (reads the whole segment)."""
        problems = []
        for name, (size, crc) in self.meta["files"].items():
            path = self.folder / name
            if not path.exists() or path.stat().st_size != size:
                problems.append(f"{self.name}/{name}: missing or wrong size")
            elif file_crc(path) != crc:
                problems.append(f"{self.name}/{name}: checksum mismatch")
        return problems

    def range_search(self, q: np.ndarray, r: int, variants: set[str] | None) -> tuple[np.ndarray, ...]:
        """(query index, segment-local row, distance) within ``r`` bits, in rows of ``variants``."""
        parts = []
        wanted = (
            None if variants is None else np.array([v in variants for v in self.variants], dtype=np.bool_)
        )
        for p in self.partitions:
            qi, rows, d = p.range_search(q, r)
            if wanted is not None and rows.size:
                keep = wanted[p.variant_of(rows)]
                qi, rows, d = qi[keep], rows[keep], d[keep]
            parts.append((qi, rows + p.base, d))
        if not parts:
            return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.uint8)
        return tuple(np.concatenate(x) for x in zip(*parts))


def remove_segment(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
