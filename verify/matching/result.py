"""The match result model: frozen dataclasses, the ``match --json`` shape, plain-language summaries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import serial
from ..audio.result import AudioMatch
from ..fingerprint import FingerprintSettings
from ..hashing.variants import describe_base
from ..library import Reference
from ..text import clock, plural, safe_text, span
from .settings import SCHEMA_VERSION, MatchSettings

_PROVENANCE_KEYS = ("title", "source_url", "first_seen", "found_at", "description", "tags", "notes")


def _flat_v1(d: dict[str, Any]) -> dict[str, Any]:
    """A flat ``match --json`` record (the first release's; the matching branch's schema 2 added
    ``method``/``rotation``/``alternatives`` and ``scenes`` in the same flat shape) as today's."""

    def nest(items: Any) -> list[dict[str, Any]]:
        out = []
        for m in items or ():
            r = dict(m.get("reference") or {})
            prov = {k: r.pop(k) for k in _PROVENANCE_KEYS if k in r}
            out.append({**m, "reference": {**r, "provenance": prov}})
        return out

    return {**d, "matches": nest(d.get("matches")), "scenes": nest(d.get("scenes")), "library_references": 0}


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
    #: how the segment was placed: ``"identical"`` (same bytes), ``"identical-pictures"`` (same decoded
    #: pictures, other bytes), ``"aligned"`` (perceptual hashes on a time line), ``"fine"`` (a
    #: low-motion scene placed by what moves in it, see ``verify.matching.fine``)
    method: str = "aligned"
    #: degrees the query's picture is turned (counter-clockwise) relative to the reference
    rotation: int = 0
    #: other reference start times the segment fits as well (the reference repeats this picture)
    alternatives: tuple[float, ...] = ()
    #: for ``method == "fine"``: correlation of what moves on the line, and the best elsewhere
    fine_correlation: float = 0.0
    fine_rival: float = 0.0
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

    @property
    def reversed(self) -> bool:
        """Played backwards: reference time runs down while query time runs up."""
        return self.speed < 0

    def edits(self) -> list[str]:
        """What was done to the footage, in an analyst's words (``["mirrored", "cropped to 85 %"]``)."""
        out = []
        if self.mirrored:
            out.append("mirrored")
        if self.rotation:
            out.append(f"turned {self.rotation}°")
        crop = describe_base(self.crop)
        if crop:
            out.append(crop)
        if self.speed < 0:
            out.append(f"played backwards at {abs(self.speed):.2f}x speed")
        elif abs(self.speed - 1.0) > 0.03:
            out.append(f"played at {self.speed:.2f}x speed")
        if self.bars:
            out.append("with black bars")
        return out

    def summary(self) -> str:
        """One plain-text sentence (no markup; untrusted parts made safe with ``safe_text``)."""
        title = _title(self.reference)
        if self.method.startswith("identical"):
            how = "the same bytes" if self.method == "identical" else "the same pictures in another file"
            return (
                f"This clip is identical to \u201c{title}\u201d ({how}): "
                f"{span(self.query_start, self.query_end)} of this clip is "
                f"{span(self.reference_start, self.reference_end)} of it{_provenance(self.reference)}."
            )
        text = (
            f"{span(self.query_start, self.query_end)} of this clip is "
            f"{span(self.reference_start, self.reference_end)} of \u201c{title}\u201d"
            f"{_provenance(self.reference)}"
        )
        edits = self.edits()
        if edits:
            text += ", " + (
                " and ".join(edits) if len(edits) < 3 else ", ".join(edits[:-1]) + " and " + edits[-1]
            )
        how = f"score {self.score:.2f}; {self.aligned_fraction:.0%} of its frames align"
        if self.method == "fine":
            rival = (
                f"at most {self.fine_rival:.2f} at any other moment"
                if self.fine_rival > -1.0
                else "the segment covers the whole reference, so no other moment is left to compare"
            )
            how = (
                f"score {self.score:.2f}; a low-motion scene placed by what moves in it: correlation "
                f"{self.fine_correlation:.2f} on this line, {rival}"
            )
        text += f" ({how})"
        if self.alternatives:
            alts = ", ".join(clock(a, 1) for a in self.alternatives[:6])
            text += f"; the reference repeats this picture, so it fits as well from {alts}"
        return text + "."


def _title(ref: Reference) -> str:
    return safe_text(ref.display_title or f"reference {ref.id}", limit=120)


def _provenance(ref: Reference) -> str:
    prov = ref.provenance
    where = safe_text(prov.found_at or prov.source_url, limit=200)
    if prov.first_seen:
        return f", first seen {safe_text(prov.first_seen, limit=40)}" + (f" at {where}" if where else "")
    return f", found at {where}" if where else ""


#: What a fact-checker should read into the two kinds of result (shown once beside them in the UI,
#: reports and the CLI).
EXPLANATION = (
    "A match means this clip follows the known footage moment by moment: the same frames in the same "
    "order (allowing for cuts, crops, mirroring, speed changes and re-encoding), so it is a copy of "
    "that footage, and the times say which part. A same-scene result means the picture shows the same "
    "view as the known footage (the same place, framing and fixed camera), but nothing in it moves "
    "enough to tell which moment it is: it may be a copy, or other footage filmed from the same "
    "camera at another time. Treat it as a lead, not as proof of recycling; check the moment by other "
    "means (sound, events in the frame, the uploader, metadata)."
)


@dataclass(frozen=True)
class SceneMatch:
    """Same scene as a reference, time within it undetermined.

    The query's frames look like the reference's frames (``median_distance`` bits, for
    ``matched_fraction`` of the usable samples in ``query_start``–``query_end``) over the whole range
    ``reference_start``–``reference_end``, and nothing in them pins the moment: ``kind`` is
    ``"still"`` when the reference's picture does not change over that range (a still image, a
    frozen frame), ``"static"`` when it is a fixed view in which too little moves, or what moves does
    not line up in time (``best_correlation`` is the best correlation of what moves at any alignment,
    None when there was nothing to correlate). Never a claim that the clip is a copy (see
    :data:`EXPLANATION`).
    """

    reference: Reference
    query_start: float
    query_end: float
    reference_start: float
    reference_end: float
    kind: str = "static"
    mirrored: bool = False
    crop: str | None = None
    rotation: int = 0
    median_distance: float = 0.0
    matched_fraction: float = 0.0
    samples: int = 0
    best_correlation: float | None = None
    evidence: tuple[EvidencePair, ...] = ()
    schema_version: int = SCHEMA_VERSION

    def summary(self) -> str:
        """One plain-language sentence (untrusted titles pass through ``safe_text``)."""
        what = "the same still picture as" if self.kind == "still" else "the same scene (fixed view) as"
        rng = span(self.reference_start, self.reference_end)
        text = (
            f"{span(self.query_start, self.query_end)} of this clip shows {what} "
            f"\u201c{_title(self.reference)}\u201d{_provenance(self.reference)}, but the time within it is "
            f"undetermined (could be any of {rng})"
        )
        edits = [
            e for e, on in (("mirrored", self.mirrored), (f"turned {self.rotation}°", self.rotation)) if on
        ]
        crop = describe_base(self.crop)
        if crop:
            edits.append(crop)
        if edits:
            text += "; " + " and ".join(edits)
        why = (
            "its picture does not change there"
            if self.kind == "still"
            else "too little moves in it to tell the moment"
            if self.best_correlation is None or self.best_correlation < 0.5
            else "what moves in it does not line up with any one moment"
        )
        return (
            text
            + f": frames match at {plural(round(self.median_distance), 'bit')} for {self.matched_fraction:.0%} of the "
            f"samples, but {why}. It may be a copy or the same camera at another time."
        )


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
    #: search work: distinct query hashes range-searched, and (hash, row) pairs found
    searched_hashes: int = 0
    candidate_pairs: int = 0
    #: the coarse first stage (``MatchSettings.coarse_radius``): pairs it found over the whole
    #: library, and the references it chose for the search at the full radius
    coarse_pairs: int = 0
    candidate_references: int = 0
    #: whether the library was searched in two stages (a large library: not every reference was
    #: compared at the full radius)
    two_stage: bool = False
    #: the query's sound as compared with the library's: "" (not compared), "ok", "silent",
    #: "no-audio" (no audio stream), "undecodable"; ``sound_lead``: its audio minus video start
    sound: str = ""
    sound_lead: float = 0.0
    #: "video" (a picture, maybe with sound) or "audio" (no picture: matched by its sound alone)
    kind: str = "video"
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
    #: same scene as a reference, time undetermined: never a claim of a copy (see ``SceneMatch``)
    scenes: tuple[SceneMatch, ...] = ()
    #: references whose sound the query's was compared with (0: the sound was not compared)
    library_sound_references: int = 0
    #: matched references whose sound is not in the library (their matches are picture only by default)
    unheard: tuple[int, ...] = ()
    schema_version: int = SCHEMA_VERSION

    @property
    def matched(self) -> bool:
        return bool(self.matches)

    @property
    def explanation(self) -> str:
        """What a match and a same-scene result mean for a fact-checker (plain text)."""
        return EXPLANATION

    def to_dict(self) -> dict[str, Any]:
        """The ``match --json`` record: every field, by ``verify.serial`` (nothing dropped)."""
        return dict(serial.to_jsonable(self))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MatchResult:
        """Inverse of :meth:`to_dict`; also reads the flat records (schema 1, and the matching
        branch's flat schema 2 with scenes)."""
        if "library_references" not in d:
            d = _flat_v1(d)
        return serial.from_jsonable(cls, d)

    def summary_lines(self) -> list[str]:
        """One sentence per match, then one per same-scene result."""
        lines = [m.summary() for m in self.matches]
        if not self.matches:
            refs = f"library of {self.library_references:,} reference{'s' if self.library_references != 1 else ''}"
            if self.query.two_stage:
                n = self.query.candidate_references
                refs += (
                    f"; a large library: searched within {self.settings.coarse_radius} bits, then the "
                    f"{n:,} closest reference{'s' if n != 1 else ''} within {self.settings.radius}"
                )
            lines.append(
                f"No known footage matched this clip in time ({refs})."
                if self.scenes
                else f"No known footage matched this clip ({refs})."
            )
        elif self.query.sound:
            from .fusion import describe

            clocks = self.clocks()
            lines = [describe(m, clocks, self.matches) for m in self.matches]
        return lines + [x.summary() for x in self.scenes]

    def clocks(self) -> Any:
        """What fusion needs to explain each match (``verify.matching.fusion.Clocks``)."""
        from .fusion import Clocks

        unheard = {str(r) for r in self.unheard}
        heard = frozenset(str(m.reference.id) for m in self.matches) - unheard
        return Clocks(query_lead=self.query.sound_lead, query_sound=self.query.sound == "ok",
                      references_with_sound=heard, query_picture=self.query.kind != "audio")  # fmt: skip
