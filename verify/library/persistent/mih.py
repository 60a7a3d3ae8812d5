"""Multi-index hashing over memory-mapped, disk-built tables (exact Hamming range search).

The same pigeonhole argument as :class:`verify.index.MultiIndexHashing`: split each 64-bit hash
into ``m`` substrings; two hashes within ``r`` bits agree within ``s_i`` bits on some substring
``i`` when ``sum(s_i + 1) = r + 1``. Each substring has one table on disk: ``off`` (bucket
offsets, ``2**w + 1``) and ``ent`` (``n x 2`` uint32: row, then 32 more bits of the hash taken
just after the substring). A probe reads one bucket: a contiguous run of entries. Its substring
distance is the probe mask's popcount, so ``popcount(mask) + popcount(partial ^ entry's partial)``
is a lower bound of the full distance over 53 of the 64 bits; only the few entries within the
radius on that bound are checked against the full hash (one row lookup each). So a query reads
runs of 8-byte entries, not scattered hashes, and the tables take 8 bytes per row per substring.

Tables are built by a sort that never holds more than ``PART_ROWS`` entries in memory (entries
are spilled to per-key-range temporary files first), so a segment of a billion rows builds in
bounded memory.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from functools import lru_cache
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np

from .files import Appender, Mapped

#: Entries sorted in memory at once while building (12 bytes each during the sort).
PART_ROWS = 1 << 24
#: Candidate entries examined per batch of queries (bounds a query's temporary memory).
CHUNK_CANDIDATES = 1 << 22
#: Bucket probes per batch of queries. A batch's hash pages are released after it, and the entry pages
#: after each piece of candidates (a crowded bucket spans several pages), so a query process's peak
#: memory depends on the batch, not on the size of the library.
PROBE_BATCH = 1 << 16
#: Tables larger than this drop their touched pages from the process after each batch (smaller ones
#: stay resident: re-reading them from the page cache would cost more than the memory is worth).
RELEASE_BYTES = 256 << 20
_U32 = np.uint64(0xFFFFFFFF)


def layout(n: int) -> list[tuple[int, int]]:
    """``(shift, width)`` of each substring for a table of ``n`` rows: widths near log2(n),
    16..22 bits (3 or 4 substrings), the same choice as the in-memory index."""
    m = int(np.clip(round(64 / max(np.log2(max(n, 2)), 16)), 3, 4))
    base, extra = divmod(64, m)
    widths = [base + (1 if i < extra else 0) for i in range(m)]
    return [(sum(widths[:i]), w) for i, w in enumerate(widths)]


def substring(values: np.ndarray, shift: int, width: int) -> np.ndarray:
    return ((values >> np.uint64(shift)) & np.uint64((1 << width) - 1)).astype(np.int64)


def partial(values: np.ndarray, shift: int, width: int) -> np.ndarray:
    """The 32 bits that follow the substring (cyclically): disjoint from it since width <= 32."""
    rot = (shift + width) % 64
    v = values.astype(np.uint64, copy=False)
    if rot:
        v = (v >> np.uint64(rot)) | (v << np.uint64(64 - rot))
    return (v & _U32).astype(np.uint32)


def thresholds(r: int, m: int) -> list[int]:
    total = r + 1 - m
    if total < 0:  # small radius: exact probes of r + 1 substrings suffice
        return [0] * (r + 1) + [-1] * (m - r - 1)
    return [total // m + (1 if i < total % m else 0) for i in range(m)]


@lru_cache(maxsize=64)
def masks(width: int, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Every ``width``-bit value with at most ``bits`` bits set, and its popcount."""
    out, pop = [0], [0]
    for k in range(1, min(bits, width) + 1):
        for combo in combinations(range(width), k):
            out.append(sum(1 << b for b in combo))
            pop.append(k)
    return np.array(out, np.int64), np.array(pop, np.uint8)


class MappedTables:
    """The ``m`` substring tables of one partition, memory-mapped."""

    def __init__(self, folder: Path, prefix: str, meta: dict[str, Any]) -> None:
        self.layout = [(int(s), int(w)) for s, w in meta["layout"]]
        self.n = int(meta["n"])
        files = meta["files"]
        self.off: list[Mapped] = []
        self.ent: list[Mapped] = []
        for i, (_, w) in enumerate(self.layout):
            name = f"{prefix}.t{i}"
            self.off.append(Mapped(folder / f"{name}.off", meta["off_dtype"], ((1 << w) + 1,),
                                   files[f"{name}.off"][0]))  # fmt: skip
            self.ent.append(Mapped(folder / f"{name}.ent", "<u4", (self.n, 2), files[f"{name}.ent"][0]))
            self.ent[-1].random_access()

    def check_ends(self) -> None:
        """Cheap structural check: every table's last offset is its entry count."""
        from .files import IndexDamaged

        for off in self.off:
            if int(off.array[-1]) != self.n:
                raise IndexDamaged(f"{off.path.name}: offsets end at {int(off.array[-1])}, not {self.n}")

    @property
    def large(self) -> bool:
        """Whether the entry tables are large enough to release their pages while searching."""
        return self.n * 8 * len(self.ent) >= RELEASE_BYTES

    def release(self) -> None:
        if self.large:
            for mp in self.ent:
                mp.release()

    def range_search(
        self, q: np.ndarray, r: int, hashes: np.ndarray, release: Callable[[], None] | None = None
    ) -> tuple[np.ndarray, ...]:
        """(query index, row, distance) of every row within ``r`` bits; rows unsorted, no duplicates.

        ``release`` (if given) is called after each batch with the entry tables' own release: the
        pages of ``hashes`` a batch's candidates were checked against go too."""
        m = len(self.layout)
        th = thresholds(r, m)
        probes = sum(masks(w, s)[0].size for (_, w), s in zip(self.layout, th) if s >= 0)
        # queries per batch: bounded probe arrays; candidates are bounded again inside (crowded buckets)
        step = int(max(1, min(CHUNK_CANDIDATES // 2, PROBE_BATCH) // max(1, probes)))
        parts = []
        for a in range(0, q.size, step):
            parts.append(self._chunk(q[a : a + step], a, r, th, hashes))
            self.release()
            if release is not None:
                release()
        if not parts:
            return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.uint8)
        return tuple(np.concatenate(p) for p in zip(*parts))

    def _chunk(
        self, q: np.ndarray, start: int, r: int, th: list[int], hashes: np.ndarray
    ) -> tuple[np.ndarray, ...]:
        fq, frows = [], []
        for i, ((shift, w), s) in enumerate(zip(self.layout, th)):
            if s < 0:
                continue
            mk, mpop = masks(w, s)
            keys = substring(q, shift, w)[:, None] ^ mk[None, :]
            off = self.off[i].array
            first = off[keys].astype(np.int64).ravel()
            length = off[keys + 1].astype(np.int64).ravel() - first
            total = int(length.sum())
            if not total:
                continue
            nz = np.flatnonzero(length)  # only probes that hit a non-empty bucket
            first, length = first[nz], length[nz]
            probe_q = (nz // mk.size).astype(np.int64)
            probe_pop = mpop[nz % mk.size]
            part_q = partial(q, shift, w)
            ends = np.cumsum(length)
            # pieces of consecutive probes with at most CHUNK_CANDIDATES entries (one bucket may exceed it)
            cuts = np.unique(
                np.searchsorted(ends, np.arange(CHUNK_CANDIDATES, total, CHUNK_CANDIDATES), side="left")
            )
            a = 0
            for b in [*(int(c) + 1 for c in cuts), nz.size]:
                if b <= a:
                    continue
                ln, fs = length[a:b], first[a:b]
                n_cand = int(ln.sum())
                qrep = np.repeat(probe_q[a:b], ln)
                sub = np.repeat(probe_pop[a:b], ln)
                pos = np.arange(n_cand, dtype=np.int64) - np.repeat(np.cumsum(ln) - ln - fs, ln)
                ent = self.ent[i].array[pos]
                lb = sub + np.bitwise_count(ent[:, 1] ^ part_q[qrep])
                ok = np.flatnonzero(lb <= r)
                fq.append(qrep[ok])
                frows.append(ent[ok, 0].astype(np.int64))
                if self.large:
                    # crowded buckets span pages: release after each piece, not only each batch
                    self.ent[i].release()
                a = b
        if not fq:
            return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.uint8)
        qi, rows = np.concatenate(fq), np.concatenate(frows)
        d = np.bitwise_count(np.asarray(hashes[rows]) ^ q[qi]).astype(np.uint8)
        keep = d <= r
        qi, rows, d = qi[keep], rows[keep], d[keep]
        _, first_seen = np.unique(qi * (1 << 32) + rows, return_index=True)  # found via several tables
        return qi[first_seen] + start, rows[first_seen], d[first_seen]


def build_tables(folder: Path, prefix: str, hashes: np.ndarray) -> dict[str, Any]:
    """Write the substring tables of a partition whose rows are ``hashes`` (a memory map).

    Per table: sort ``key << 32 | row`` (one uint64 sort; rows within a bucket stay in order),
    then read each entry's partial bits from its row. Above ``PART_ROWS`` rows the packed
    entries are first spilled to files by the top bits of their key and sorted file by file.
    Returns the partition's meta (with its files)."""
    n = int(hashes.shape[0])
    lay = layout(n)
    off_dtype = "<u4" if n < 2**32 else "<u8"
    files: dict[str, list[int]] = {}
    for i, (shift, w) in enumerate(lay):
        name = f"{prefix}.t{i}"
        counts = np.zeros(1 << w, np.int64)
        pbits = 0
        while (n >> pbits) > PART_ROWS and pbits < w:
            pbits += 1
        spill = _Spill(folder / f".{name}.spill", pbits, w) if pbits else None
        held: list[np.ndarray] = []
        for a in range(0, n, PART_ROWS):
            h = np.asarray(hashes[a : a + PART_ROWS])
            key = (h >> np.uint64(shift)) & np.uint64((1 << w) - 1)
            counts += np.bincount(key.astype(np.intp), minlength=1 << w)
            packed = (key << np.uint64(32)) | np.arange(a, a + h.size, dtype=np.uint64)
            if spill is not None:
                spill.add(packed)
            else:
                held.append(packed)
        ent = Appender(folder / f"{name}.ent", "<u4")
        for packed in spill.parts() if spill is not None else ([np.concatenate(held)] if held else []):
            packed.sort()
            rows = (packed & _U32).astype(np.int64)
            del packed
            block = np.empty((rows.size, 2), np.uint32)
            block[:, 0] = rows
            block[:, 1] = partial(np.asarray(hashes[rows]), shift, w)
            ent.append(block)
        files[f"{name}.ent"] = list(ent.close())
        offsets = np.zeros((1 << w) + 1, np.uint64)
        np.cumsum(counts, out=offsets[1:].view(np.int64))
        off = Appender(folder / f"{name}.off", off_dtype)
        off.append(offsets)
        files[f"{name}.off"] = list(off.close())
    return {"n": n, "layout": [list(x) for x in lay], "off_dtype": off_dtype, "files": files}


class _Spill:
    """Packed entries spilled to ``2**bits`` files by the top bits of their key (ranges in order)."""

    def __init__(self, base: Path, bits: int, width: int) -> None:
        self.bits, self.shift = bits, np.uint64(32 + width - bits)
        self.paths = [base.with_name(f"{base.name}.{p}") for p in range(1 << bits)]
        self._files = [open(p, "wb", buffering=1 << 20) for p in self.paths]  # noqa: SIM115

    def add(self, packed: np.ndarray) -> None:
        part = (packed >> self.shift).astype(np.int64)
        order = np.argsort(part, kind="stable")
        bounds = np.searchsorted(part[order], np.arange((1 << self.bits) + 1))
        packed = packed[order]
        for p in range(1 << self.bits):
            if bounds[p + 1] > bounds[p]:
                self._files[p].write(packed[bounds[p] : bounds[p + 1]].tobytes())

    def parts(self) -> Iterator[np.ndarray]:
        for f in self._files:
            f.close()
        try:
            for p in self.paths:
                yield np.fromfile(p, dtype=np.uint64)
                os.unlink(p)
        finally:
            for p in self.paths:
                if p.exists():
                    os.unlink(p)
