"""The index folder of one library and algorithm: manifest, incremental updates, merges, checks.

``<library>.index/<algorithm>/`` holds immutable segments (:mod:`.segment`) and ``manifest.json``,
which names the live segments, the removed references whose rows are still in a segment
(tombstones), and the library state it reflects: library id, schema version, generation (bumped by
every add/remove transaction) and a summary of the fingerprints (count, largest reference id, total
samples). A reader whose library state differs from the manifest's knows the index is stale.

Updates (:meth:`IndexStore.update`) run under an exclusive file lock: compare the library's
references with the indexed ones, tombstone the removed, write one new segment for the added,
merge small segments (each row is rewritten O(log n) times, never more than ``AUTO_MERGE_ROWS`` at
once), then replace the manifest atomically. A kill at any point leaves the previous manifest and
its segments intact; leftovers (``tmp-*``, unlisted ``seg-*``) are removed by the next update.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from .files import IndexDamaged, json_bytes, locked, read_json, write_atomic
from .segment import FORMAT, Segment, SegmentWriter, remove_segment

log = logging.getLogger("verify")

#: Merges that would write more rows than this happen only on request (``compact``).
AUTO_MERGE_ROWS = 8_000_000
#: A segment is merged into its neighbour when the newer one holds at least 1/FANOUT of its rows.
FANOUT = 4
#: A segment whose removed rows reach this share is rewritten (when small enough).
DEAD_SHARE = 0.25
#: A library of at least this many samples (about 37 h of 30 fps footage) is indexed *sampled*:
#: its new and merged segments keep about one row per ``SAMPLE_GRID`` seconds of each reference
#: and variant (``segment.SegmentWriter``), about a tenth of the rows of real footage. Matching
#: searches such an index in two stages (``verify.matching.two_stage``): the sampled rows find the
#: candidate references, their full rows come from the library. A smaller library is indexed
#: whole and searched exactly in one stage.
SAMPLE_FROM_SAMPLES = 4_000_000
SAMPLE_GRID = 1.0


class Source(Protocol):
    """What the index needs of a library (``verify.library.Library`` is one)."""

    library_id: str

    def index_state(self, algorithm: str) -> list[Any]: ...

    def index_refs(self, algorithm: str) -> dict[int, int]: ...

    def ref_tables(self, algorithm: str, ref_ids: list[int]) -> Iterator[tuple[int, int, Any]]: ...


@dataclass
class Manifest:
    library_id: str
    algorithm: str
    state: list[Any]  # [generation, schema, count, max ref id, total samples]
    segments: list[str] = field(default_factory=list)
    tombstones: list[int] = field(default_factory=list)

    def to_json(self) -> bytes:
        return json_bytes({"format": FORMAT, **self.__dict__})

    @classmethod
    def read(cls, path: Path) -> Manifest:
        d = read_json(path)
        if d.get("format") != FORMAT:
            raise IndexDamaged(f"manifest format {d.get('format')}, this verify reads {FORMAT}")
        return cls(
            d["library_id"], d["algorithm"], list(d["state"]), list(d["segments"]), list(d["tombstones"])
        )


def slug(algorithm: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in algorithm)


class _RefRows:
    """One reference's rows read back from a segment, shaped like a HashTable for the writer."""

    def __init__(self, names: list[str], parts: list[tuple[int, np.ndarray, dict[str, np.ndarray]]],
                 source_rows: int | None = None) -> None:  # fmt: skip
        self.source_rows = source_rows  # a sampled segment's: the reference's rows before sampling
        self.variant_names = tuple(names)
        self.hashes = np.concatenate([h for _, h, _ in parts]) if parts else np.zeros(0, np.uint64)
        self.variant_codes = np.concatenate([np.full(h.size, v, np.int16) for v, h, _ in parts]) if parts else (
            np.zeros(0, np.int16))  # fmt: skip
        if parts:
            for k in parts[0][2]:
                setattr(self, k, np.concatenate([c[k] for _, _, c in parts]))


def segment_refs(seg: Segment) -> Iterator[tuple[int, int, _RefRows]]:
    """Every reference of a segment with its rows (ascending ids), for merges."""
    spans: dict[int, list[tuple[Any, int, int, int]]] = {}
    for p in seg.partitions:
        for ref_id, v, a, b in np.asarray(p.groups):
            spans.setdefault(int(ref_id), []).append((p, int(v), int(a), int(b)))
    source = np.asarray(seg.source) if seg.source is not None else None
    for k, (ref_id, samples) in enumerate(np.asarray(seg.refs)):
        parts = []
        for p, v, a, b in spans.get(int(ref_id), []):
            cols = {k: np.asarray(m.array[a:b]) for k, m in p.columns.items()}
            parts.append((v, np.asarray(p.hash.array[a:b]), cols))
        yield (
            int(ref_id),
            int(samples),
            _RefRows(seg.variants, parts, None if source is None else int(source[k])),
        )


class IndexStore:
    """The index folder of one (library, algorithm)."""

    def __init__(
        self, folder: Path, algorithm: str, sample_from: int = SAMPLE_FROM_SAMPLES, grid: float = SAMPLE_GRID
    ) -> None:
        self.folder = folder
        self.algorithm = algorithm
        self.sample_from = int(sample_from)  # library samples from which segments are sampled
        self.grid = float(grid)
        self.manifest_path = folder / "manifest.json"
        self.lock_path = folder / "lock"

    # -- reading -----------------------------------------------------------------------------

    def read(self) -> tuple[Manifest, list[Segment]] | None:
        """The manifest and its opened segments, or None when there is no index yet.

        Raises IndexDamaged when a listed file is missing, truncated or inconsistent. A segment
        deleted by a concurrent merge between reading the manifest and opening it is retried."""
        for attempt in range(5):
            try:
                manifest = Manifest.read(self.manifest_path)
            except FileNotFoundError:
                return None
            try:
                return manifest, [Segment(self.folder / name) for name in manifest.segments]
            except IndexDamaged:
                try:
                    if Manifest.read(self.manifest_path).segments == manifest.segments or attempt == 4:
                        raise
                except FileNotFoundError:
                    raise IndexDamaged("manifest vanished while opening") from None
                time.sleep(0.01)  # replaced under us: read the new one
        raise IndexDamaged("the index kept changing while opening")  # pragma: no cover

    def writable(self) -> bool:
        probe = self.folder if self.folder.exists() else self.folder.parent
        while not probe.exists():
            probe = probe.parent
        return os.access(probe, os.W_OK)

    # -- writing -----------------------------------------------------------------------------

    def update(self, source: Source, *, compact: bool = False, rebuild: bool = False) -> Manifest:
        """Bring the index up to date with ``source`` (under the lock); returns the new manifest."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with locked(self.lock_path):
            state = source.index_state(self.algorithm)
            current: tuple[Manifest, list[Segment]] | None = None
            if not rebuild:
                try:
                    current = self.read()
                except IndexDamaged as exc:
                    log.warning("index %s is damaged (%s): rebuilding it", self.folder, exc)
            if current is not None:
                old, segs = current
                if (
                    old.library_id != source.library_id
                    or old.algorithm != self.algorithm
                    or old.state[1] != state[1]
                ):
                    log.info("index %s belongs to another library or schema: rebuilding", self.folder)
                    current = None
            if current is None:
                manifest, segs = Manifest(source.library_id, self.algorithm, state), []
            else:
                manifest, segs = current
                if manifest.state == state and not compact:
                    self._collect(manifest)
                    return manifest
            manifest = self._apply(source, manifest, segs, state, compact)
            write_atomic(self.manifest_path, manifest.to_json())
            self._collect(manifest)
            return manifest

    def _apply(self, source: Source, manifest: Manifest, segs: list[Segment], state: list[Any],
               compact: bool) -> Manifest:  # fmt: skip
        library = source.index_refs(self.algorithm)
        tomb = set(manifest.tombstones)
        indexed: dict[int, int] = {}
        for seg in segs:
            for ref_id, samples in np.asarray(seg.refs):
                if int(ref_id) not in tomb:
                    indexed[int(ref_id)] = int(samples)
        # removed, or changed under the same id (a migration rewrote it): tombstone and re-add
        gone = {r for r, n in indexed.items() if library.get(r) != n}
        tomb |= gone
        added = sorted(r for r in library if r not in indexed or r in gone)
        names: list[str] = []
        for seg in segs:
            names += [v for v in seg.variants if v not in names]
        big = sum(library.values()) >= self.sample_from and self.grid > 0
        if added:
            writer = SegmentWriter(self.folder, names, self.grid if big else 0.0)
            try:
                for ref_id, samples, table in source.ref_tables(self.algorithm, added):
                    writer.add(ref_id, table, samples)
                writer.finish()
            except BaseException:
                writer.abort()
                raise
            segs = [*segs, Segment(writer.final)]
            log.info("index %s: +%d references (%d rows)", self.folder, len(added), writer.rows)
        segs = self._merge(segs, tomb, compact, big)
        live_refs = {int(r) for s in segs for r in np.asarray(s.refs)[:, 0]}
        return Manifest(
            source.library_id, self.algorithm, state, [s.name for s in segs], sorted(tomb & live_refs)
        )

    def _merge(self, segs: list[Segment], tomb: set[int], compact: bool, big: bool = False) -> list[Segment]:
        def live(s: Segment) -> int:
            dead = 0
            for p in s.partitions:
                g = np.asarray(p.groups)
                if len(g) and tomb:
                    sel = np.isin(g[:, 0], list(tomb))
                    dead += int((g[sel, 3] - g[sel, 2]).sum())
            return s.rows - dead

        sizes = [live(s) for s in segs]
        if compact:
            group = list(range(len(segs))) if len(segs) > 1 or (segs and sizes[0] < segs[0].rows) else []
        else:
            k = len(segs) - 1
            acc = sizes[k] if segs else 0
            while k > 0 and acc * FANOUT >= sizes[k - 1] and acc + sizes[k - 1] <= AUTO_MERGE_ROWS:
                acc += sizes[k - 1]
                k -= 1
            group = list(range(k, len(segs))) if len(segs) - k >= 2 else []
            # a segment with many removed rows is rewritten (alone or with the group)
            for i, s in enumerate(segs):
                if (
                    i not in group
                    and s.rows
                    and sizes[i] <= AUTO_MERGE_ROWS
                    and s.rows - sizes[i] >= DEAD_SHARE * s.rows
                ):
                    group = sorted({*group, i})
        if not group:
            return segs
        names: list[str] = []
        for s in segs:
            names += [v for v in s.variants if v not in names]
        # rows a sampled input dropped cannot come back: a merge with one is sampled too
        grids = [segs[i].grid for i in group if segs[i].grid > 0]
        writer = SegmentWriter(self.folder, names, max(grids) if grids else self.grid if big else 0.0)
        try:
            for i in group:
                for ref_id, samples, rows in segment_refs(segs[i]):
                    if ref_id not in tomb:
                        writer.add(ref_id, rows, samples)
            writer.finish()
        except BaseException:
            writer.abort()
            raise
        log.info(
            "index %s: merged %d segments into %s (%d rows)",
            self.folder,
            len(group),
            writer.name,
            writer.rows,
        )
        merged = Segment(writer.final)
        keep = [s for i, s in enumerate(segs) if i not in group]
        out = [*keep[: group[0]], merged, *keep[group[0] :]] if merged.rows or merged.refs.size else keep
        return out

    def _collect(self, manifest: Manifest) -> None:
        """Remove what no manifest names: crashed writers' tmp folders, merged-away segments."""
        listed = set(manifest.segments)
        for entry in self.folder.iterdir():
            if entry.is_dir() and (
                entry.name.startswith("tmp-") or (entry.name.startswith("seg-") and entry.name not in listed)
            ):
                remove_segment(entry)
            elif entry.name.startswith(".") and entry.name.endswith(".tmp"):
                entry.unlink(missing_ok=True)

    def destroy(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def verify(self) -> list[str]:
        """Every file's checksum (reads the whole index); [] when all is well."""
        try:
            current = self.read()
        except IndexDamaged as exc:
            return [str(exc)]
        if current is None:
            return []
        return [p for seg in current[1] for p in seg.verify()]

    def size_bytes(self) -> int:
        return (
            sum(f.stat().st_size for f in self.folder.rglob("*") if f.is_file())
            if self.folder.exists()
            else 0
        )
