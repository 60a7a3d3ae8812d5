"""The match result model: frozen dataclasses, the ``match --json`` shape, plain-language summaries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import serial
from ..audio.result import AudioMatch
from ..fingerprint import FingerprintSettings
from ..hashing.variants import describe_base
from ..library import Reference
from ..text import safe_text, span
from .settings import SCHEMA_VERSION, MatchSettings

_PROVENANCE_KEYS = ("title", "source_url", "first_seen", "found_at", "description", "tags", "notes")


def _flat_v1(d: dict[str, Any]) -> dict[str, Any]:
    """A ``match --json`` record of the first release (flat references, no library size) as today's."""
    matches = []
    for m in d.get("matches", ()):
        r = dict(m.get("reference") or {})
        prov = {k: r.pop(k) for k in _PROVENANCE_KEYS if k in r}
        matches.append({**m, "reference": {**r, "provenance": prov}})
    return {**d, "matches": matches, "library_references": 0}


@dataclass(frozen=True)
class EvidencePair:
    """One query frame and the reference frame it matched, on the fitted alignment."""

    query_time: float
    reference_time: float
    distance: int
    variant: str  # query variant, or "query_variant/reference_variant" when the reference side is not "full"
    schema_version: int = SCHEMA_VERSION


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
    # -- sound (verify.matching.fusion; defaults: a picture-only match, and older JSON loads) --
    #: which channels support the match: "picture", "sound" (the picture was replaced) or "both"
    channel: str = "picture"
    #: the sound's match, its times on the picture's clock (seconds from each video stream's start)
    audio: AudioMatch | None = None
    #: reference seconds the sound lies after the picture at the same query moment (both channels;
    #: beyond ``fusion.SYNC_TOLERANCE`` a dubbed or re-synced copy)
    sound_offset: float | None = None
    #: where the match's times come from: "picture", or "sound" (a low-motion picture pinned by it)
    timing: str = "picture"
    schema_version: int = SCHEMA_VERSION

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
    #: the query's sound as compared with the library's: "" (not compared), "ok", "silent",
    #: "no-audio" (no audio stream), "undecodable"; ``sound_lead``: its audio minus video start
    sound: str = ""
    sound_lead: float = 0.0
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
    #: references whose sound the query's was compared with (0: the sound was not compared)
    library_sound_references: int = 0
    #: matched references whose sound is not in the library (their matches are picture only by default)
    unheard: tuple[int, ...] = ()
    schema_version: int = SCHEMA_VERSION

    @property
    def matched(self) -> bool:
        return bool(self.matches)

    def to_dict(self) -> dict[str, Any]:
        """The ``match --json`` record: every field, by ``verify.serial`` (nothing dropped)."""
        return dict(serial.to_jsonable(self))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MatchResult:
        """Inverse of :meth:`to_dict`; also reads the flat records of verify before schema 2."""
        if "library_references" not in d:
            d = _flat_v1(d)
        return serial.from_jsonable(cls, d)

    def summary_lines(self) -> list[str]:
        if not self.matches:
            return [
                f"No known footage matched this clip (library of {self.library_references} "
                f"reference{'s' if self.library_references != 1 else ''})."
            ]
        if not self.query.sound:
            return [m.summary() for m in self.matches]
        from .fusion import describe

        clocks = self.clocks()
        return [describe(m, clocks, self.matches) for m in self.matches]

    def clocks(self) -> Any:
        """What fusion needs to explain each match (``verify.matching.fusion.Clocks``)."""
        from .fusion import Clocks

        unheard = {str(r) for r in self.unheard}
        heard = frozenset(str(m.reference.id) for m in self.matches) - unheard
        return Clocks(query_lead=self.query.sound_lead, query_sound=self.query.sound == "ok",
                      references_with_sound=heard)  # fmt: skip
