"""The known-footage library: references with provenance and their fingerprints, in SQLite.

``Library(path)`` is the store (:mod:`.store`); :func:`ingest` hashes many files into it
with worker processes (:mod:`.ingest`); :class:`HashTable` is what matching searches
(:mod:`.table`). The record dataclasses are the CONTRACT shared with matching, reports and
the UI (:mod:`.models`): add fields only with defaults.
"""

from __future__ import annotations

from .ingest import find_media, ingest
from .models import SCHEMA_VERSION, AddResult, LibraryStats, Provenance, Reference
from .store import Library, file_sha256
from .table import CACHE, HashTable

__all__ = [
    "CACHE",
    "SCHEMA_VERSION",
    "AddResult",
    "HashTable",
    "Library",
    "LibraryStats",
    "Provenance",
    "Reference",
    "file_sha256",
    "find_media",
    "ingest",
]
