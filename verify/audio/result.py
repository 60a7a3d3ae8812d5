"""What an audio match says: ``AudioMatch`` segments with ``AudioEvidence`` time pairs."""

from __future__ import annotations

from dataclasses import dataclass

from .settings import SCHEMA_VERSION


@dataclass(frozen=True)
class AudioEvidence:
    """One moment of the match: query time -> reference time, and how the peaks agree around it
    (``matched`` of ``peaks`` query peaks within half a second land on a reference peak)."""

    query_time: float
    reference_time: float
    matched: int
    peaks: int

    @property
    def agreement(self) -> float:
        return self.matched / self.peaks if self.peaks else 0.0


@dataclass(frozen=True)
class AudioMatch:
    """Query ``[query_start, query_end]`` sounds like reference ``[reference_start, reference_end]``.

    Times are seconds from each audio stream's start. ``reference_time = speed * query_time +
    offset``. ``pitch`` is ``"kept"`` (tempo change, e.g. ffmpeg atempo), ``"shifted"`` (the sound
    was resampled: faster and higher) or ``"unknown"`` (speed too close to 1 to tell).
    ``score`` is the share of the segment's query peaks that land on a reference peak
    (``matched_peaks`` of ``query_peaks``); ``lift`` how many times that beats the share at a
    wrong offset; ``votes`` the pair hashes that agreed on this alignment.
    """

    reference: str
    query_start: float
    query_end: float
    reference_start: float
    reference_end: float
    speed: float
    offset: float
    score: float
    pitch: str
    matched_peaks: int
    query_peaks: int
    lift: float
    votes: int
    evidence: tuple[AudioEvidence, ...] = ()
    channel: str = "sound"
    schema_version: int = SCHEMA_VERSION

    @property
    def duration(self) -> float:
        return self.query_end - self.query_start
