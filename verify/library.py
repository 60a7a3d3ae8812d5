"""The known-footage library (SQLite). CONTRACT dataclasses below; see docs/ARCHITECTURE.md."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Provenance:
    """What a fact-checker knows about where a known clip came from."""

    title: str = ""
    source_url: str = ""
    first_seen: str = ""  # ISO date (YYYY-MM-DD) the footage was first seen online
    found_at: str = ""  # where it was found (platform, archive, agency)
    description: str = ""
    tags: tuple[str, ...] = ()
    notes: str = ""


@dataclass(frozen=True)
class Reference:
    """One known clip in the library."""

    id: int
    sha256: str
    path: str
    provenance: Provenance = field(default_factory=Provenance)
    duration: float = 0.0
    width: int = 0
    height: int = 0
    media: dict[str, Any] = field(default_factory=dict)  # probe summary
    added_at: str = ""  # UTC ISO timestamp
    algorithm: str = ""
    n_hashes: int = 0
    schema_version: int = SCHEMA_VERSION
