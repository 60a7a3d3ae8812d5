"""The persistent index: built at ingest, updated incrementally, opened memory-mapped by each process.

``<library>.index/<algorithm>/`` (see :mod:`.store`) holds immutable segments of rows
(:mod:`.segment`), each with on-disk multi-index-hashing tables (:mod:`.mih`), and a manifest
tying them to the library state. :func:`open_table` is what ``Library.hash_table`` returns for a
library file: it opens the index (milliseconds: a manifest and memory maps), checks it against
the library (id, schema, generation, fingerprint summary), and when the library moved on, updates
it (or, when the index cannot be written, serves the missing references from memory). A damaged
index (a missing, truncated or inconsistent file) is rebuilt, never used.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from .files import IndexDamaged
from .store import AUTO_MERGE_ROWS, SAMPLE_FROM_SAMPLES, IndexStore, Manifest, Source, slug
from .table import PersistentTable, RowColumn

__all__ = [
    "AUTO_MERGE_ROWS",
    "IndexDamaged",
    "IndexStore",
    "Manifest",
    "PersistentTable",
    "RowColumn",
    "Source",
    "index_store",
    "open_table",
]

log = logging.getLogger("verify")


def index_store(folder: str | Path, algorithm: str, sample_from: int | None = None) -> IndexStore:
    """The index of ``algorithm`` under an index folder (``<library>.index``); ``sample_from``:
    library samples from which the index is sampled (default ``SAMPLE_FROM_SAMPLES``)."""
    return IndexStore(Path(folder) / slug(algorithm), algorithm,
                      SAMPLE_FROM_SAMPLES if sample_from is None else sample_from)  # fmt: skip


def open_table(
    source: Source,
    folder: str | Path,
    algorithm: str,
    variants: tuple[str, ...] | None = None,
    sample_from: int | None = None,
) -> PersistentTable:
    """The library's hash table from its persistent index, brought up to date first (bound to
    ``source``, where the full rows of a sampled index's references come from)."""
    table = _open(source, index_store(folder, algorithm, sample_from), algorithm, variants)
    table.bind(source)
    return table


def _open(
    source: Source, store: IndexStore, algorithm: str, variants: tuple[str, ...] | None
) -> PersistentTable:
    """The table from ``store``, brought up to date first."""
    state = source.index_state(algorithm)
    current = None
    try:
        current = store.read()
    except IndexDamaged as exc:
        log.warning("index %s is damaged (%s)", store.folder, exc)
    fresh = (
        current is not None
        and current[0].state == state
        and current[0].library_id == source.library_id
        and current[0].algorithm == algorithm
    )
    if not fresh:
        if store.writable():
            store.update(source)
            current = store.read()
        else:
            return _overlaid(source, store, current, algorithm, state, variants)
    assert current is not None
    manifest, segments = current
    return PersistentTable(
        algorithm, segments, manifest.tombstones, int(manifest.state[0]), variants=variants
    )


def _overlaid(
    source: Source,
    store: IndexStore,
    current: tuple[Manifest, list[Any]] | None,
    algorithm: str,
    state: list[Any],
    variants: tuple[str, ...] | None,
) -> PersistentTable:
    """A read-only index that lags the library: missing references come from memory."""
    usable = (
        current is not None and current[0].library_id == source.library_id and current[0].state[1] == state[1]
    )
    segments = current[1] if usable and current is not None else []
    tomb = set(current[0].tombstones) if usable and current is not None else set()
    library = source.index_refs(algorithm)
    indexed = {int(r): int(n) for s in segments for r, n in np.asarray(s.refs) if int(r) not in tomb}
    gone = {r for r, n in indexed.items() if library.get(r) != n}
    missing = sorted(r for r in library if r not in indexed or r in gone)
    log.info("index %s is read-only and lags the library: %d references served from memory", store.folder,
             len(missing))  # fmt: skip
    tables = [t for _, _, t in source.ref_tables(algorithm, missing)]
    overlay = _stack(algorithm, tables) if tables else None
    return PersistentTable(algorithm, segments, sorted(tomb | gone), int(state[0]), overlay, variants)


def _stack(algorithm: str, tables: list[Any]) -> Any:
    """One in-memory HashTable from per-reference tables (variant codes re-mapped)."""
    from ..table import HashTable
    from .segment import row_columns

    names: list[str] = []
    for t in tables:
        names += [v for v in t.variant_names if v not in names]
    codes = [np.array([names.index(v) for v in t.variant_names], np.int16)[np.asarray(t.variant_codes, np.int64)]
             if len(t.hashes) else np.zeros(0, np.int16) for t in tables]  # fmt: skip
    out = HashTable(
        algorithm,
        np.concatenate([np.asarray(t.hashes, np.uint64) for t in tables]),
        np.concatenate([np.asarray(t.ref_ids, np.int64) for t in tables]),
        np.concatenate([np.asarray(t.times, np.float64) for t in tables]),
        np.concatenate(codes),
        tuple(names),
    )
    extra = set(row_columns(tables[0])) - {"times"}
    for k in extra:
        setattr(out, k, np.concatenate([np.asarray(getattr(t, k)) for t in tables]))
    return out
