"""The library's records. CONTRACT dataclasses (add fields only with defaults); see docs/ARCHITECTURE.md."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

SCHEMA_VERSION = 1

AddStatus = Literal["added", "exists", "failed"]


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

    @property
    def display_title(self) -> str:
        """The title, or the file name when the reference has none."""
        return self.provenance.title or self.path.replace("\\", "/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class AddResult:
    """What happened to one file given to :meth:`Library.add` or :func:`ingest`.

    ``status``: ``"added"`` (new reference), ``"exists"`` (same sha256 already in the
    library: nothing changed), ``"failed"`` (reported and skipped; ``error`` names the class).
    """

    status: AddStatus
    reference: Reference | None = None
    message: str = ""
    path: str = ""
    sha256: str = ""
    error: str = ""
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        """The one-JSON-line-per-file record of ``verify hash --json``."""
        return {
            "path": self.path,
            "status": self.status,
            "reference_id": self.reference.id if self.reference else None,
            "sha256": self.sha256,
            "message": self.message,
            "error": self.error or None,
        }


@dataclass(frozen=True)
class LibraryStats:
    path: str
    references: int
    fingerprints: int
    hashes: dict[str, int]  # algorithm -> number of stored sample hashes (all variants)
    schema: int
    size_bytes: int
    generation: int
    schema_version: int = SCHEMA_VERSION
