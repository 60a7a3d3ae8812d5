"""Hashing and search sharded over a Dask cluster, for when one machine is outgrown.

``dask.distributed`` is the engine (scheduling, data transfer, worker loss); verify adds two things:

* :func:`ingest_on_cluster`: the batch behind ``verify hash ... --cluster SCHEDULER``. Workers
  fingerprint files (largest first) and send the fingerprints back; only this client writes to
  the library, one transaction per clip, as with local workers. Files must be reachable by the
  workers under the same path (shared storage); a file a worker cannot read fails alone.
* :class:`ClusterTable`: the library's persistent index split into shards (references by
  ``id % shards``, each an ordinary index folder under ``<library>.index/shards-N/``) that worker
  actors open memory-mapped and keep; a query is fanned out to every shard and the hits merged.
  It is a :class:`verify.library.HashTable` to matching, so ``verify match --cluster`` gives the
  same matches as one machine (the shards hold the same rows, and every search is exact).

Workers need verify installed and the index folder (and, for hashing, the media) on storage they
share with the client; the README says how to start a scheduler and workers.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Generator, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .errors import LibraryError
from .fingerprint import FingerprintSettings
from .library import AddResult, HashTable, Library, Provenance, Reference
from .library.ingest import _commit, _hash_one, _Outcome, _size, find_media

log = logging.getLogger("verify")

Progress = Any


#: How long ``connect`` waits for a scheduler (seconds).
CONNECT_SECONDS = 20.0


def connect(scheduler: str, timeout: float | None = None) -> Any:
    """A ``dask.distributed.Client`` for a scheduler address (``tcp://host:8786``) or scheduler file."""
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - it is a dependency
        raise LibraryError(
            "the cluster needs dask[distributed]", hint="pip install 'dask[distributed]'"
        ) from exc
    wait = CONNECT_SECONDS if timeout is None else timeout
    try:
        if os.path.isfile(scheduler):
            return Client(scheduler_file=scheduler, timeout=wait)
        return Client(scheduler, timeout=wait)
    except (OSError, TimeoutError) as exc:
        raise LibraryError(f"cannot reach the Dask scheduler {scheduler} ({exc})",
                           hint="Start it with `dask scheduler` and check the address.") from exc  # fmt: skip


# -- hashing ---------------------------------------------------------------------------------


def _remote_hash(path: str, settings: FingerprintSettings | None, known: frozenset[str]) -> _Outcome:
    """Runs on a worker: sha256, skip if known, else fingerprint (never raises for a bad file)."""
    return _hash_one(path, settings, known.__contains__, None)


def ingest_on_cluster(
    paths: Iterable[str | Path],
    library: Library,
    client: Any,
    provenance: Provenance | None = None,
    *,
    settings: FingerprintSettings | None = None,
    progress: Progress | None = None,
) -> Generator[AddResult, None, None]:
    """Like :func:`verify.library.ingest`, with the fingerprinting done by the cluster's workers."""
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    prov = provenance or Provenance()
    files = sorted((str(f) for f in find_media(paths)), key=_size, reverse=True)
    total = float(len(files))
    if progress:
        progress(0.0, total)
    known = client.scatter([frozenset(library.known_sha256())], broadcast=True)[
        0
    ]  # one object, not its items
    futures = [
        client.submit(
            _remote_hash,
            f,
            settings,
            known,
            key=f"verify-hash-{i}-{os.path.basename(f)}",
            priority=len(files) - i,
            pure=False,
        )
        for i, f in enumerate(files)
    ]
    by_key = {fut.key: path for fut, path in zip(futures, files)}
    try:
        with library.deferred_index():
            for done, fut in enumerate(as_completed(futures), start=1):
                try:
                    out = fut.result()
                except (
                    KilledWorker,
                    OSError,
                    RuntimeError,
                    ValueError,
                ) as exc:  # a worker died: that file fails alone
                    path = by_key[fut.key]
                    out = _Outcome(
                        path, error="WorkerCrashed", message=f"{path}: the cluster could not hash it ({exc})"
                    )
                yield _commit(library, out, prov)
                if progress:
                    progress(float(done), total)
    finally:
        client.cancel(futures)


# -- sharded search --------------------------------------------------------------------------


class ShardSource:
    """The references of one shard (``id % count == number``) of a library, for its index."""

    def __init__(self, library: Library, number: int, count: int) -> None:
        self.library, self.number, self.count = library, number, count
        self.library_id = f"{library.library_id}/shard-{number}-of-{count}"

    def _mine(self, ref_id: int) -> bool:
        return ref_id % self.count == self.number

    def index_refs(self, algorithm: str) -> dict[int, int]:
        return {r: n for r, n in self.library.index_refs(algorithm).items() if self._mine(r)}

    def index_state(self, algorithm: str) -> list[Any]:
        refs = self.index_refs(algorithm)
        gen, schema = self.library.index_state(algorithm)[:2]
        return [gen, schema, len(refs), max(refs, default=0), sum(refs.values())]

    def ref_tables(self, algorithm: str, ref_ids: list[int]) -> Iterator[tuple[int, int, HashTable]]:
        return self.library.ref_tables(algorithm, [r for r in ref_ids if self._mine(r)])


def shard_folder(library: Library, count: int) -> Path:
    if library.index_folder is None:
        raise LibraryError("an in-memory library has no index to shard", path=library.path)
    return library.index_folder / f"shards-{count}"


def update_shards(library: Library, algorithm: str, count: int) -> list[Path]:
    """Bring every shard's index up to date; returns the shard index folders (one per shard)."""
    from .library.persistent import index_store

    folders = []
    for s in range(count):
        store = index_store(shard_folder(library, count) / str(s), algorithm, library.index_sample_from)
        store.update(ShardSource(library, s, count))
        folders.append(store.folder.parent)
    return folders


class ShardActor:
    """Lives on a worker: one shard's index, opened memory-mapped, searched on request."""

    def __init__(self, folder: str, algorithm: str, library: str | None = None) -> None:
        self.folder, self.algorithm = folder, algorithm
        self.library_path = library  # where a sampled shard's full rows come from (opened on demand)
        self._library: Any = None
        self.table: Any = None
        self.state: list[Any] = []
        self.open()

    def _bind(self, table: Any) -> Any:
        if table.sampled:
            if self.library_path is None:
                raise LibraryError("this shard's index is sampled and the shard has no library to read rows from",
                                   path=self.folder)  # fmt: skip
            if self._library is None:
                self._library = Library(self.library_path, create=False)
            table.bind(self._library)
        return table

    def open(self) -> int:
        from .library.persistent import PersistentTable, index_store

        current = index_store(self.folder, self.algorithm).read()
        if current is None:
            raise LibraryError("no shard index here", path=self.folder)
        manifest, segments = current
        self.state = manifest.state
        self.table = self._bind(
            PersistentTable(self.algorithm, segments, manifest.tombstones, int(manifest.state[0]))
        )
        return int(self.table.size)

    def ensure(self, state: list[Any]) -> tuple[int, int, bool]:
        """Reopen when the client's shard state differs from the one held; (rows, live rows, sampled)."""
        if self.state != state:
            self.open()
        return int(self.table.size), len(self.table), bool(self.table.sampled)

    def search(
        self,
        queries: np.ndarray,
        radius: int,
        variants: tuple[str, ...] | None,
        ref_ids: np.ndarray | None = None,
    ) -> dict[str, Any]:
        """Hits of ``queries`` (in the rows of ``ref_ids`` when given) with every column of the hit
        rows (so the client needs no index)."""
        table = self.table
        if variants is not None:
            from .library.persistent import PersistentTable

            table = self._bind(PersistentTable(self.algorithm, table.segments, list(table.tombstones),
                                               table.generation, variants=variants))  # fmt: skip
        if ref_ids is None:
            qi, ti, d = table.range_search(queries, radius)
        else:
            qi, ti, d = table.search_within(queries, radius, ref_ids)
        cols = {name: np.asarray(getattr(table, name)[ti]) for name in table.column_names}
        names = table.variant_names
        cols["variant_names"] = np.array([names[c] for c in cols["variant_codes"]], dtype=object)
        return {"qi": qi, "ti": ti, "d": d, "cols": cols, "size": int(table.size), "live": len(table)}


class _HitColumn:
    def __init__(self, table: ClusterTable, name: str) -> None:
        self._t, self.name = table, name

    def __getitem__(self, idx: Any) -> np.ndarray:
        return self._t.column(self.name, np.asarray(idx, np.int64))

    def __len__(self) -> int:
        return self._t.size


class ClusterTable(HashTable):
    """The library's table served by shard actors on a Dask cluster (same results as one machine).

    Row numbers are ``row in the shard * shards + shard``; the columns of rows returned by a search
    are kept by the client, so ``table.ref_ids[ti]`` of a result needs no further round trip."""

    def __init__(self, client: Any, library: Library, algorithm: str, shards: int | None = None,
                 variants: tuple[str, ...] | None = None) -> None:  # fmt: skip
        workers = sorted(client.scheduler_info()["workers"])
        if not workers:
            raise LibraryError("the Dask cluster has no workers", hint="Start at least one `dask worker`.")
        count = shards or len(workers)
        self.client = client
        self.algorithm = algorithm
        self.variants = variants
        self.generation = library.generation
        self.index_kind = "cluster"  # type: ignore[assignment]
        folders = update_shards(library, algorithm, count)
        from .library.persistent import index_store

        states = [index_store(f, algorithm).read()[0].state for f in folders]  # type: ignore[index]
        self.actors = []
        for s, folder in enumerate(folders):
            fut = client.submit(ShardActor, str(folder), algorithm, library.path, actor=True,
                                workers=[workers[s % len(workers)]],
                                key=f"verify-shard-{s}-{os.getpid()}-{id(self)}")  # fmt: skip
            self.actors.append(fut.result())
        counts = [a.ensure(st).result() for a, st in zip(self.actors, states)]
        self.size = sum(int(c[0]) for c in counts)
        self.variant_names: tuple[str, ...] = ()
        self._rows = np.zeros(0, np.int64)
        self._cols: dict[str, np.ndarray] = {}
        self._live = sum(c[1] for c in counts)
        #: some shard's index is sampled: matching searches in two stages (``verify.matching.two_stage``)
        self.sampled = any(c[2] for c in counts)
        for name in ("hashes", "ref_ids", "times", "ends", "variant_codes"):
            setattr(self, name, _HitColumn(self, name))

    def __len__(self) -> int:
        return self._live

    @property
    def resident_rows(self) -> int:
        return 0

    @property
    def index_built(self) -> bool:
        return True

    def column(self, name: str, rows: np.ndarray) -> np.ndarray:
        pos = np.searchsorted(self._rows, rows)
        if rows.size and (pos.max() >= self._rows.size or not np.array_equal(self._rows[pos], rows)):
            raise KeyError("rows not returned by a search of this table")
        return self._cols[name][pos]

    def range_search(self, queries: np.ndarray, radius: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self._fan_out(queries, radius, None)

    def search_within(
        self, queries: np.ndarray, radius: int, ref_ids: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each shard searches the rows of the references it holds (references by ``id % shards``)."""
        return self._fan_out(queries, radius, np.asarray(ref_ids, np.int64))

    def _fan_out(
        self, queries: np.ndarray, radius: int, ref_ids: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        from .index import _as_hashes, _sorted

        q = _as_hashes(queries, "queries")
        futures = [a.search(q, int(radius), self.variants, ref_ids) for a in self.actors]
        parts = [f.result() for f in futures]
        names: list[str] = list(self.variant_names)
        qi, ti, d, cols = [], [], [], []
        for s, p in enumerate(parts):
            qi.append(p["qi"])
            # shard s's row r is row r * shards + s: unique also for a sampled shard's detail rows,
            # which are numbered after its indexed rows
            ti.append(p["ti"] * len(self.actors) + s)
            d.append(p["d"])
            vn = p["cols"].pop("variant_names")
            names += [v for v in dict.fromkeys(vn.tolist()) if v not in names]
            p["cols"]["variant_codes"] = np.array([names.index(v) for v in vn], np.int16)
            cols.append(p["cols"])
        self.variant_names = tuple(names)
        rows = np.concatenate(ti)
        merged = {k: np.concatenate([c[k] for c in cols]) for k in cols[0]} if cols else {}
        # remember the hit rows' columns (the union with earlier searches), sorted by row
        all_rows = np.concatenate([self._rows, rows])
        order = np.unique(all_rows, return_index=True)[1]
        self._cols = {
            k: np.concatenate([self._cols.get(k, np.zeros(0, v.dtype)), v])[order] for k, v in merged.items()
        }
        self._rows = all_rows[order]
        return _sorted(np.concatenate(qi), rows, np.concatenate(d))

    def knn(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        raise NotImplementedError("knn is not sharded; use range_search")


class ClusterLibrary:
    """What matching needs of a library, with the search done by the cluster."""

    def __init__(self, library: Library, client: Any, shards: int | None = None) -> None:
        self.library, self.client, self.shards = library, client, shards
        self._tables: dict[str, ClusterTable] = {}

    def hash_table(self, algorithm: str) -> HashTable:
        if algorithm not in self._tables:
            self._tables[algorithm] = ClusterTable(self.client, self.library, algorithm, self.shards)
        return self._tables[algorithm]

    def get(self, id_or_sha: int) -> Reference:
        return self.library.get(id_or_sha)

    def __len__(self) -> int:
        return len(self.library)

    # identity and the fine stage read the library itself (no hash search)
    def find_sha256(self, sha256: str) -> Reference | None:
        return self.library.find_sha256(sha256)

    def find_picture_digest(self, digest: str) -> Reference | None:
        return self.library.find_picture_digest(digest)

    def fine_series(self, ref_id: int, algorithm: str) -> tuple[np.ndarray, np.ndarray] | None:
        return self.library.fine_series(ref_id, algorithm)
