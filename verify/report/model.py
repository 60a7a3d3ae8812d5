"""The report record: what was examined, with what, what was found, and its custody.

A :class:`Report` is a frozen, schema-versioned value. Its JSON (``to_dict`` /
``to_json``) is the full record; pictures (keyframes, evidence frame pairs) are
referenced by name and sha256 (:class:`ImageRef`) and their bytes live in
``Report.images`` (written as files into case zips, as ``data:`` URIs into HTML,
and into JSON as base64 only when asked with ``embed_images=True``).

Strings that came from the file (tags, titles, names) are stored verbatim here;
they are escaped only when a report is rendered (``verify.export``).

Schema history: v1 referenced pictures by a bare name (``"image": "images/x.jpg"``
plus ``"image_sha256"``) and kept the overall verdict at the top level
(``"verdict"``); v2 (current) uses :class:`ImageRef` objects and keeps the verdict
in ``notes``. :func:`upgrade` turns a v1 record into v2.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from ..errors import ReportError, SchemaVersionError
from ..notes import Notes
from ..serial import from_jsonable, to_jsonable
from .custody import CustodyEntry, CustodyLog

SCHEMA_VERSION = 2


@dataclass(frozen=True)
class ImageRef:
    """A picture by reference: ``name`` is its path inside a case file."""

    name: str
    sha256: str
    media_type: str = "image/jpeg"
    width: int = 0
    height: int = 0
    size: int = 0


@dataclass(frozen=True)
class FileRecord:
    """The examined file as received."""

    name: str
    size: int
    sha256: str
    md5: str = ""
    received_at: str = ""
    path: str = ""


@dataclass(frozen=True)
class Signal:
    """A provenance finding from the probe (metadata is evidence, never proof)."""

    kind: str
    severity: str = "info"
    message: str = ""
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class KeyframeRecord:
    time: float
    index: int = 0
    shot: int = 0
    image: ImageRef | None = None


@dataclass(frozen=True)
class FramePair:
    """One proof of a match: the query frame and the reference frame it aligns with."""

    query_time: float
    reference_time: float
    distance: int = 0
    variant: str = "full"
    query_image: ImageRef | None = None
    reference_image: ImageRef | None = None


@dataclass(frozen=True)
class ReferenceInfo:
    """The matched known clip and what the library knows about where it came from."""

    id: int = 0
    sha256: str = ""
    path: str = ""
    title: str = ""
    source_url: str = ""
    first_seen: str = ""
    found_at: str = ""
    description: str = ""
    tags: tuple[str, ...] = ()
    notes: str = ""
    duration: float = 0.0


@dataclass(frozen=True)
class MatchRecord:
    """A time-aligned segment match (see ``verify.matching.SegmentMatch``)."""

    reference: ReferenceInfo
    query_start: float = 0.0
    query_end: float = 0.0
    reference_start: float = 0.0
    reference_end: float = 0.0
    speed: float = 1.0
    offset: float = 0.0
    mirrored: bool = False
    crop: Any = None
    coverage_query: float = 0.0
    coverage_reference: float = 0.0
    median_distance: float = 0.0
    score: float = 0.0
    aligned_fraction: float = 0.0
    bars: tuple[int, ...] | None = None
    summary: str = ""  # plain-language sentence from verify.matching (untrusted parts inside)
    evidence: tuple[FramePair, ...] = ()


@dataclass(frozen=True)
class LibraryInfo:
    path: str = ""
    references: int = 0


@dataclass(frozen=True)
class Report:
    """Everything a fact-checker needs to show their work on one file."""

    case_id: str
    file: FileRecord
    created_at: str = ""
    probe: dict[str, Any] = field(default_factory=dict)
    signals: tuple[Signal, ...] = ()
    keyframes: tuple[KeyframeRecord, ...] = ()
    library: LibraryInfo | None = None
    matches: tuple[MatchRecord, ...] = ()
    notes: Notes = field(default_factory=Notes)
    versions: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    custody: CustodyLog = field(default_factory=CustodyLog)
    images: dict[str, bytes] = field(default_factory=dict, repr=False)
    schema_version: int = SCHEMA_VERSION

    # -- custody and notes ---------------------------------------------------------------

    def log(self, step: str, detail: str = "", *, sha256: str = "") -> CustodyEntry:
        """Append a step to the chain-of-custody log (UTC timestamp now)."""
        return self.custody.log(step, detail, sha256=sha256)

    def with_notes(self, notes: Notes, *, detail: str = "") -> Report:
        """A copy with new analyst notes; the edit is logged in the copy's custody."""
        new = dataclasses.replace(self, notes=notes, custody=self.custody.copy())
        new.log("notes edited", detail or f"verdict {notes.verdict}; by {notes.analyst or 'analyst'}")
        return new

    def record_reverse_search(self, engine: str, what: str) -> CustodyEntry:
        """Log that a frame left this machine for a reverse search engine."""
        return self.log("sent to reverse search engine", f"{what} sent to {engine}")

    @property
    def verdict(self) -> str:
        return self.notes.verdict

    def image_refs(self) -> list[ImageRef]:
        """Every picture the report references, in order, without duplicates."""
        refs: dict[str, ImageRef] = {}
        for k in self.keyframes:
            if k.image is not None:
                refs.setdefault(k.image.name, k.image)
        for m in self.matches:
            for p in m.evidence:
                for ref in (p.query_image, p.reference_image):
                    if ref is not None:
                        refs.setdefault(ref.name, ref)
        return list(refs.values())

    # -- JSON ---------------------------------------------------------------------------

    def to_dict(self, *, embed_images: bool = False) -> dict[str, Any]:
        out = {
            f.name: to_jsonable(getattr(self, f.name)) for f in dataclasses.fields(self) if f.name != "images"
        }
        out["custody"] = to_jsonable(self.custody.entries)
        if embed_images:
            out["images"] = {k: base64.b64encode(v).decode("ascii") for k, v in self.images.items()}
        return out

    def to_json(self, *, embed_images: bool = False, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(embed_images=embed_images), ensure_ascii=False, indent=indent)

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, images: dict[str, bytes] | None = None) -> Report:
        if not isinstance(data, dict) or "file" not in data:
            raise ReportError("this is not a verify report (no 'file' record)")
        data = upgrade(data)
        embedded = data.pop("images", None) or {}
        custody = data.pop("custody", []) or []
        try:
            report = from_jsonable(cls, data)
            log = CustodyLog([from_jsonable(CustodyEntry, e) for e in custody])
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise ReportError(f"the report record is malformed ({exc})") from exc
        blobs = {k: base64.b64decode(v) for k, v in embedded.items()} if isinstance(embedded, dict) else {}
        blobs.update(images or {})
        return dataclasses.replace(report, custody=log, images=blobs)

    @classmethod
    def from_json(cls, text: str, *, images: dict[str, bytes] | None = None) -> Report:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ReportError(f"the report is not valid JSON ({exc})") from exc
        return cls.from_dict(data, images=images)


def _v1_image(name: Any, sha: Any) -> dict[str, Any] | None:
    if not name:
        return None
    media_type = "image/png" if str(name).lower().endswith(".png") else "image/jpeg"
    return {"name": name, "sha256": sha or "", "media_type": media_type}


def upgrade(data: dict[str, Any]) -> dict[str, Any]:
    """Bring an older report record up to the current schema (pure; returns a new dict)."""
    version = data.get("schema_version", 1)
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise SchemaVersionError(
            f"report schema version {version!r} is newer than this verify reads ({SCHEMA_VERSION})"
        )
    data = json.loads(json.dumps(data))  # deep copy of plain JSON
    if version == 1:
        for k in data.get("keyframes", []):
            k["image"] = _v1_image(k.get("image"), k.pop("image_sha256", ""))
        for m in data.get("matches", []):
            for p in m.get("evidence", []):
                p["query_image"] = _v1_image(p.get("query_image"), p.pop("query_image_sha256", ""))
                p["reference_image"] = _v1_image(
                    p.get("reference_image"), p.pop("reference_image_sha256", "")
                )
        verdict = data.pop("verdict", None)
        notes = data.setdefault("notes", {})
        if verdict and isinstance(notes, dict):
            notes.setdefault("verdict", verdict)
        data["schema_version"] = SCHEMA_VERSION
    return data
