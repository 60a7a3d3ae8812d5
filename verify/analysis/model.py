"""The records of an analysis: one :class:`Analysis` per file, and the parts it is made of.

CONTRACT (shared by the CLI, the workbench, reports and case files; add fields only with
defaults). Frozen dataclasses with a ``schema_version``; JSON via :meth:`Analysis.to_dict` /
:meth:`Analysis.from_dict` (fingerprint arrays and pictures as base64).

Times are seconds from the stream start (what a player shows). Pictures are JPEG bytes in
``Analysis.images``, named like ``images/keyframe-003-0012.500s.jpg`` and referenced by
:class:`~verify.pictures.ImageRef` (name + sha256), the same names a report and a case file use.
"""

from __future__ import annotations

import base64
import dataclasses
from dataclasses import dataclass, field
from typing import Any

from ..audio import AudioFingerprint
from ..custody import CustodyEntry
from ..errors import SchemaVersionError
from ..fingerprint import QUERY, Fingerprint, FingerprintSettings
from ..matching import MatchResult, MatchSettings
from ..ocr.model import OcrResult
from ..pictures import PICTURE_SIDE, ImageRef
from ..probe import MediaInfo
from ..serial import from_jsonable, to_jsonable
from .pictures import SamplePictures

#: 2: ``Analysis.audio`` (the sound's fingerprint); version 1 records load with ``audio=None``
SCHEMA_VERSION = 2


@dataclass(frozen=True)
class AnalysisSettings:
    """How a file is analysed. Defaults are the workbench's and the CLI's."""

    fingerprint: FingerprintSettings = QUERY
    matching: MatchSettings = field(default_factory=MatchSettings)
    #: most matches kept (best first)
    top: int = 10
    #: keyframes: at most this many overall, per shot, and one more per this many seconds of a long shot
    max_keyframes: int = 36
    keyframes_per_shot: int = 3
    long_shot_every: float = 10.0
    #: evidence frame pairs cut per match (evenly spread over its aligned samples)
    pairs_per_match: int = 4
    #: longest side of kept pictures (keyframes, frame pairs), pixels
    picture_side: int = PICTURE_SIDE
    #: bytes of sample pictures kept for keyframes and evidence; beyond it every other one is dropped
    picture_budget: int = 64 << 20
    #: fingerprint the sound in the same decode and match it against the library's sound
    sound: bool = True
    schema_version: int = SCHEMA_VERSION


@dataclass(frozen=True)
class KeyframeRecord:
    """A representative frame of a shot. ``shot`` counts from 1; ``index`` is the frame number."""

    time: float
    index: int = 0
    shot: int = 0
    image: ImageRef | None = None
    shot_start: float = 0.0
    shot_end: float = 0.0


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
class DecodeSummary:
    """What the one decode of the file went through."""

    decoded_frames: int = 0
    corrupt_frames: int = 0
    samples: int = 0
    pictures_kept: int = 0
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class LibraryState:
    """The library a file was matched against, as it was then (``generation`` changes on every edit)."""

    path: str = ""
    library_id: str = ""
    generation: int = 0
    references: int = 0


@dataclass(frozen=True, eq=False)
class Analysis:
    """Everything verify found about one file, from one read of it and one decode.

    ``probe`` is always there. ``fingerprint``/``keyframes`` are empty until the decode stage ran
    (and stay empty for a file with no picture: ``problems`` says why); ``matches`` is None until
    the file was matched (``library`` says against what), and ``pairs[i]`` are the evidence frame
    pairs of ``matches.matches[i]`` (``pairs_pending`` until they were cut: ``match(pairs=False)``
    shows the matches first, ``cut_pairs`` adds them). ``text`` is None until the keyframes were read (OCR).
    ``steps`` records what was done, in UTC.
    """

    probe: MediaInfo
    name: str = ""  # the name the analyst knows the file by (an upload's original name)
    settings: AnalysisSettings = field(default_factory=AnalysisSettings)
    fingerprint: Fingerprint | None = None
    keyframes: tuple[KeyframeRecord, ...] = ()
    matches: MatchResult | None = None
    pairs: tuple[tuple[FramePair, ...], ...] = ()
    library: LibraryState | None = None
    decode: DecodeSummary | None = None
    problems: tuple[str, ...] = ()
    steps: tuple[CustodyEntry, ...] = ()
    images: dict[str, bytes] = field(default_factory=dict, repr=False)
    #: the sound's fingerprint from the same decode (None: not fingerprinted, or no audio stream;
    #: ``audio.status`` says whether it had anything to match)
    audio: AudioFingerprint | None = None
    schema_version: int = SCHEMA_VERSION
    #: the text on screen of the keyframes (``verify.analysis.ocr``), None until it was read
    text: OcrResult | None = None
    #: the sample pictures of the decode (in memory only, never in JSON): later stages cut
    #: evidence pictures from them instead of decoding the file again
    samples: SamplePictures | None = field(default=None, repr=False, compare=False)

    # -- what the pages ask -------------------------------------------------------------

    @property
    def sha256(self) -> str:
        return self.probe.file.sha256 if self.probe.file else ""

    @property
    def md5(self) -> str:
        return self.probe.file.md5 if self.probe.file else ""

    @property
    def path(self) -> str:
        return self.probe.file.path if self.probe.file else ""

    @property
    def size(self) -> int:
        return self.probe.file.size if self.probe.file else 0

    @property
    def kind(self) -> str:
        return self.probe.file.kind if self.probe.file else "unknown"

    @property
    def decoded(self) -> bool:
        """The decode stage ran (it may have found no picture: see ``problems``)."""
        return self.decode is not None

    @property
    def matched(self) -> bool:
        return self.matches is not None

    @property
    def pairs_pending(self) -> bool:
        """Matched, but the evidence frame pairs of its matches are not cut yet (``cut_pairs``)."""
        return self.matches is not None and len(self.pairs) != len(self.matches.matches)

    @property
    def sound_only(self) -> bool:
        """An audio file whose sound was fingerprinted: no picture, its sound is matched alone."""
        return self.kind == "audio" and self.audio is not None

    def image_refs(self) -> list[ImageRef]:
        """Every picture the analysis references, in order, without duplicates."""
        refs: dict[str, ImageRef] = {}
        for k in self.keyframes:
            if k.image is not None:
                refs.setdefault(k.image.name, k.image)
        for pairs in self.pairs:
            for p in pairs:
                for ref in (p.query_image, p.reference_image):
                    if ref is not None:
                        refs.setdefault(ref.name, ref)
        return list(refs.values())

    def nbytes(self) -> int:
        """About how much memory this analysis holds (pictures and fingerprint arrays)."""
        total = sum(len(v) for v in self.images.values())
        if self.samples is not None:
            total += self.samples.bytes
        fp = self.fingerprint
        if fp is not None:
            total += fp.hashes.nbytes + fp.times.nbytes + fp.quality.nbytes
        if self.audio is not None:
            total += self.audio.nbytes
        return total

    # -- JSON ---------------------------------------------------------------------------

    def to_dict(self, *, images: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name in ("images", "samples"):
                continue
            if f.name in ("fingerprint", "audio"):
                out[f.name] = value.to_dict() if value is not None else None
            else:
                out[f.name] = to_jsonable(value)
        if images:
            out["images"] = {k: base64.b64encode(v).decode("ascii") for k, v in self.images.items()}
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Analysis:
        version = data.get("schema_version", SCHEMA_VERSION)
        if not isinstance(version, int) or version > SCHEMA_VERSION:
            raise SchemaVersionError(f"analysis schema version {version!r} is newer than this verify reads")
        plain = {k: v for k, v in data.items() if k not in ("fingerprint", "audio", "images", "samples")}
        analysis = from_jsonable(cls, plain)
        fp = data.get("fingerprint")
        sound = data.get("audio")
        blobs = data.get("images") or {}
        return dataclasses.replace(
            analysis,
            fingerprint=Fingerprint.from_dict(fp) if isinstance(fp, dict) else None,
            audio=AudioFingerprint.from_dict(sound) if isinstance(sound, dict) else None,
            images={str(k): base64.b64decode(v) for k, v in blobs.items()},
        )
