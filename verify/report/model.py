"""The report record: what was examined, with what, what was found, and its custody.

A :class:`Report` is a frozen, schema-versioned value made from one
:class:`verify.analysis.Analysis` (``verify.report.build_report``): the same keyframes, matches,
frame pairs and pictures the analyst saw, never recomputed. Its JSON (``to_dict`` /
``to_json``) is the full record; pictures (keyframes, evidence frame pairs) are referenced by
name and sha256 (:class:`~verify.pictures.ImageRef`) and their bytes live in ``Report.images``
(written as files into case zips, as ``data:`` URIs into HTML, and into JSON as base64 only
when asked with ``embed_images=True``).

The records are the stages' own types: provenance signals are :class:`verify.probe.signals.Signal`,
a match is the :class:`verify.matching.SegmentMatch` matching produced (its reference a
:class:`verify.library.Reference`), keyframes and frame pairs are the analysis's records.
Strings that came from the file or the library are stored verbatim; they are escaped only when
a report is rendered (``verify.export``).

Schema history: v1 referenced pictures by a bare name (``"image": "images/x.jpg"`` plus
``"image_sha256"``) and kept the overall verdict at the top level (``"verdict"``); v2 used
``ImageRef`` objects, the verdict in ``notes``, and report-only copies of signals
(``kind``/``message``) and matches (flat, with a flat ``reference``); v3 holds the stages' own
records; v4 (current) adds ``text``, the text on screen of the keyframes (a
:class:`verify.ocr.OcrResult`, None when OCR did not run). :func:`upgrade` brings v1 to v3
records up to v4.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from ..analysis.model import FramePair, KeyframeRecord, LibraryState
from ..custody import CustodyEntry, CustodyLog
from ..errors import ReportError, SchemaVersionError
from ..library.models import Reference
from ..matching.result import SceneMatch, SegmentMatch
from ..notes import Notes
from ..ocr.model import OcrResult
from ..pictures import ImageRef
from ..probe.signals import Signal
from ..serial import from_jsonable, to_jsonable

SCHEMA_VERSION = 4


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
class MatchRecord:
    """A time-aligned match as matching produced it, with its evidence frame pairs (pictures)."""

    match: SegmentMatch
    summary: str = ""  # plain-language sentence (untrusted parts inside, plain text)
    evidence: tuple[FramePair, ...] = ()

    @property
    def reference(self) -> Reference:
        return self.match.reference


@dataclass(frozen=True)
class Report:
    """Everything a fact-checker needs to show their work on one file."""

    case_id: str
    file: FileRecord
    created_at: str = ""
    probe: dict[str, Any] = field(default_factory=dict)
    signals: tuple[Signal, ...] = ()
    keyframes: tuple[KeyframeRecord, ...] = ()
    library: LibraryState | None = None
    matches: tuple[MatchRecord, ...] = ()
    #: same scene as a reference, time undetermined (issue 12): never matches, listed apart
    scenes: tuple[SceneMatch, ...] = ()
    notes: Notes = field(default_factory=Notes)
    versions: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    custody: CustodyLog = field(default_factory=CustodyLog)
    images: dict[str, bytes] = field(default_factory=dict, repr=False)
    schema_version: int = SCHEMA_VERSION
    #: the text on screen of the keyframes (None: not read; the analysis ran without OCR)
    text: OcrResult | None = None

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
        try:
            data = upgrade(data)
            embedded = data.pop("images", None) or {}
            custody = data.pop("custody", []) or []
            report = from_jsonable(cls, data)
            log = CustodyLog([from_jsonable(CustodyEntry, e) for e in custody])
            blobs = (
                {k: base64.b64decode(v) for k, v in embedded.items()} if isinstance(embedded, dict) else {}
            )
        except SchemaVersionError:
            raise
        except (TypeError, ValueError, KeyError, AttributeError, RecursionError) as exc:
            raise ReportError(f"the report record is malformed ({type(exc).__name__}: {exc})") from exc
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


_V2_MATCH_FIELDS = (
    "query_start", "query_end", "reference_start", "reference_end", "speed", "offset", "mirrored", "crop",
    "coverage_query", "coverage_reference", "median_distance", "score", "aligned_fraction", "bars",
)  # fmt: skip
_V2_PROVENANCE = ("title", "source_url", "first_seen", "found_at", "description", "tags", "notes")


def _v2_match(m: dict[str, Any]) -> dict[str, Any]:
    """A v2 (flat) match record as a v3 one: the match as matching produced it, and its pictures."""
    ref = m.get("reference") or {}
    reference = {
        "id": ref.get("id", 0),
        "sha256": ref.get("sha256", ""),
        "path": ref.get("path", ""),
        "duration": ref.get("duration", 0.0),
        "provenance": {k: ref[k] for k in _V2_PROVENANCE if k in ref},
    }
    pairs = m.get("evidence") or []
    match = {k: m[k] for k in _V2_MATCH_FIELDS if k in m}
    defaults = {"score": 0.0, "speed": 1.0, "offset": 0.0, "mirrored": False, "crop": None}
    for k in ("query_start", "query_end", "reference_start", "reference_end", "coverage_query",
              "coverage_reference", "median_distance"):  # fmt: skip
        defaults[k] = 0.0
    match = {**defaults, **match, "reference": reference}
    match["evidence"] = [
        {k: p.get(k) for k in ("query_time", "reference_time", "distance", "variant")} for p in pairs
    ]
    return {"match": match, "summary": m.get("summary", ""), "evidence": pairs}


def _v2_signal(sig: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": sig.get("kind", ""),
        "severity": sig.get("severity", "info"),
        "title": "",
        "explanation": sig.get("message", ""),
        "fields": sig.get("fields", {}),
    }


def upgrade(data: dict[str, Any]) -> dict[str, Any]:
    """Bring an older report record up to the current schema (pure; returns a new dict)."""
    version = data.get("schema_version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version > SCHEMA_VERSION or version < 1:
        raise SchemaVersionError(
            f"report schema version {version!r} is not one this verify reads (1 to {SCHEMA_VERSION})"
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
        version = 2
    if version == 2:
        data["signals"] = [_v2_signal(s) for s in data.get("signals", []) if isinstance(s, dict)]
        data["matches"] = [_v2_match(m) for m in data.get("matches", []) if isinstance(m, dict)]
        version = 3
    if version == 3:  # v4 only added the optional ``text`` record
        data.setdefault("text", None)
        version = 4
    data["schema_version"] = SCHEMA_VERSION
    return data
