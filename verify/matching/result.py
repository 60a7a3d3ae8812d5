"""The match result model: frozen dataclasses, the ``match --json`` shape, plain-language summaries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import serial
from ..fingerprint import FingerprintSettings
from ..hashing.variants import describe_base
from ..library import Provenance, Reference
from ..text import safe_text, span
from .settings import SCHEMA_VERSION, MatchSettings

_REF_KEYS = ("id", "path", "title", "source_url", "first_seen", "found_at", "sha256", "duration", "tags")


@dataclass(frozen=True)
class EvidencePair:
    """One query frame and the reference frame it matched, on the fitted alignment."""

    query_time: float
    reference_time: float
    distance: int
    variant: str  # query variant, or "query_variant/reference_variant" when the reference side is not "full"
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        return {
            "query_time": round(self.query_time, 3),
            "reference_time": round(self.reference_time, 3),
            "distance": int(self.distance),
            "variant": self.variant,
        }


@dataclass(frozen=True)
class SegmentMatch:
    """A segment of the query that follows a segment of one reference in time.

    ``reference_time = speed * query_time + offset`` inside the segment. ``crop`` names the
    non-full variant that matched (``"crop85"``: a crop; ``"band169"``: a 16:9 band out of a
    vertical frame), None for the whole frame. ``bars`` are the query's black bars (top, bottom,
    left, right pixels) when some were removed.
    """

    reference: Reference
    score: float
    query_start: float
    query_end: float
    reference_start: float
    reference_end: float
    speed: float
    offset: float
    mirrored: bool
    crop: str | None
    coverage_query: float
    coverage_reference: float
    median_distance: float
    aligned_fraction: float = 0.0
    aligned_samples: int = 0
    support: float = 0.0  # aligned fraction weighted by temporal distinctiveness (see MatchSettings)
    bars: tuple[int, ...] | None = None
    evidence: tuple[EvidencePair, ...] = ()
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        ref, prov = self.reference, self.reference.provenance
        return {
            "reference": {
                "id": ref.id,
                "path": ref.path,
                "title": prov.title,
                "source_url": prov.source_url,
                "first_seen": prov.first_seen,
                "found_at": prov.found_at,
                "sha256": ref.sha256,
                "duration": ref.duration,
                "tags": list(prov.tags),
            },
            "score": round(self.score, 4),
            "query_start": round(self.query_start, 3),
            "query_end": round(self.query_end, 3),
            "reference_start": round(self.reference_start, 3),
            "reference_end": round(self.reference_end, 3),
            "speed": round(self.speed, 4),
            "offset": round(self.offset, 3),
            "mirrored": self.mirrored,
            "crop": self.crop,
            "coverage_query": round(self.coverage_query, 4),
            "coverage_reference": round(self.coverage_reference, 4),
            "median_distance": round(self.median_distance, 2),
            "evidence": [e.to_dict() for e in self.evidence],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SegmentMatch:
        r = d["reference"]
        prov = Provenance(
            title=r.get("title", ""),
            source_url=r.get("source_url", ""),
            first_seen=r.get("first_seen", ""),
            found_at=r.get("found_at", ""),
            tags=tuple(r.get("tags", ())),
        )
        ref = Reference(
            id=int(r["id"]),
            sha256=r.get("sha256", ""),
            path=r.get("path", ""),
            provenance=prov,
            duration=float(r.get("duration", 0.0)),
        )
        ev = tuple(
            EvidencePair(float(e["query_time"]), float(e["reference_time"]), int(e["distance"]), e["variant"])
            for e in d.get("evidence", ())
        )
        return cls(
            reference=ref,
            score=float(d["score"]),
            query_start=float(d["query_start"]),
            query_end=float(d["query_end"]),
            reference_start=float(d["reference_start"]),
            reference_end=float(d["reference_end"]),
            speed=float(d["speed"]),
            offset=float(d.get("offset", 0.0)),
            mirrored=bool(d["mirrored"]),
            crop=d.get("crop"),
            coverage_query=float(d["coverage_query"]),
            coverage_reference=float(d["coverage_reference"]),
            median_distance=float(d.get("median_distance", 0.0)),
            evidence=ev,
        )

    def edits(self) -> list[str]:
        """What was done to the footage, in an analyst's words (``["mirrored", "cropped to 85 %"]``)."""
        out = []
        if self.mirrored:
            out.append("mirrored")
        crop = describe_base(self.crop)
        if crop:
            out.append(crop)
        if abs(self.speed - 1.0) > 0.03:
            out.append(f"played at {self.speed:.2f}x speed")
        if self.bars:
            out.append("with black bars")
        return out

    def summary(self) -> str:
        """One plain-text sentence (no markup; untrusted parts made safe with ``safe_text``)."""
        ref, prov = self.reference, self.reference.provenance
        title = safe_text(ref.display_title or f"reference {ref.id}", limit=120)
        text = (
            f"{span(self.query_start, self.query_end)} of this clip is "
            f"{span(self.reference_start, self.reference_end)} of \u201c{title}\u201d"
        )
        where = safe_text(prov.found_at or prov.source_url, limit=200)
        if prov.first_seen:
            text += f", first seen {safe_text(prov.first_seen, limit=40)}"
            text += f" at {where}" if where else ""
        elif where:
            text += f", found at {where}"
        edits = self.edits()
        if edits:
            text += ", " + (
                " and ".join(edits) if len(edits) < 3 else ", ".join(edits[:-1]) + " and " + edits[-1]
            )
        return text + f" (score {self.score:.2f}; {self.aligned_fraction:.0%} of its frames align)."


@dataclass(frozen=True)
class QueryInfo:
    """The clip that was matched and how it was fingerprinted."""

    path: str
    sha256: str
    duration: float
    samples: int
    settings: FingerprintSettings | None = None
    usable_samples: int = 0
    algorithm: str = ""
    schema_version: int = SCHEMA_VERSION


@dataclass(frozen=True)
class MatchResult:
    """Every segment of the query that follows a known reference, best first.

    ``to_dict()`` is the ``match --json`` shape (schema_version, query, matches); the lossless form
    (library size, settings, aligned fractions, bars) is ``verify.serial.to_jsonable(result)``.
    ``from_dict`` reads both.
    """

    query: QueryInfo
    matches: tuple[SegmentMatch, ...] = ()
    library_references: int = 0
    library_hashes: int = 0
    settings: MatchSettings = field(default_factory=MatchSettings)
    schema_version: int = SCHEMA_VERSION

    @property
    def matched(self) -> bool:
        return bool(self.matches)

    def to_dict(self) -> dict[str, Any]:
        q = serial.to_jsonable(self.query)
        q.pop("schema_version", None)
        return {
            "schema_version": self.schema_version,
            "query": q,
            "matches": [m.to_dict() for m in self.matches],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MatchResult:
        if "library_references" in d:  # the lossless serial form
            return serial.from_jsonable(cls, d)
        return cls(
            query=serial.from_jsonable(QueryInfo, d["query"]),
            matches=tuple(SegmentMatch.from_dict(m) for m in d.get("matches", ())),
            schema_version=int(d.get("schema_version", SCHEMA_VERSION)),
        )

    def summary_lines(self) -> list[str]:
        if not self.matches:
            return [
                f"No known footage matched this clip (library of {self.library_references} "
                f"reference{'s' if self.library_references != 1 else ''})."
            ]
        return [m.summary() for m in self.matches]
