"""How sound is analysed (``AudioSettings``) and matched (``AudioMatchSettings``); defaults live here."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import ConfigError

#: Fingerprints of different algorithm ids are never compared.
ALGORITHM = "audio-peaks/v2"
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class AudioSettings:
    """Spectral peaks of the sound, resampled to mono ``rate`` Hz inside FFmpeg.

    A short-time spectrum every ``hop`` samples (``n_fft`` window, Hann) between ``fmin`` and
    ``fmax``; a peak is a local maximum over ``peak_frames`` x ``peak_bins`` (each side) that stands
    ``contrast_db`` above its surroundings in a frame louder than ``floor_db`` dBFS. Each second
    keeps its ``peaks_per_second`` most prominent peaks; references index the
    ``reference_share`` strongest of those (a query keeps the rest, so a copy played faster still
    finds the peaks its reference indexed). A peak must also stand ``stationary_db`` above its
    bin's stationary level (a steady whistle, hum or test tone gives no peaks; 0 turns this off).
    """

    rate: int = 8000
    n_fft: int = 512
    hop: int = 160
    fmin: float = 150.0
    fmax: float = 3800.0
    peak_frames: int = 3
    peak_bins: int = 4
    contrast_db: float = 6.0
    floor_db: float = -65.0
    stationary_db: float = 6.0
    peaks_per_second: int = 30
    reference_share: float = 0.66
    #: reference triplets: each peak with two of its next ``fanout`` peaks, at most ``pair_frames`` later
    fanout: int = 4
    pair_frames: int = 40
    schema_version: int = SCHEMA_VERSION

    @property
    def frame_rate(self) -> float:
        """Spectral frames per second."""
        return self.rate / self.hop

    def check(self) -> None:
        if not 4000 <= self.rate <= 48000:
            raise ConfigError(f"audio rate must be 4000-48000 Hz, not {self.rate}")
        if self.n_fft < 64 or self.n_fft & (self.n_fft - 1):
            raise ConfigError(f"n_fft must be a power of two >= 64, not {self.n_fft}")
        if not 0 < self.hop <= self.n_fft:
            raise ConfigError(f"hop must be between 1 and n_fft, not {self.hop}")
        if not 0 < self.fmin < self.fmax <= self.rate / 2:
            raise ConfigError(f"need 0 < fmin < fmax <= rate/2, not {self.fmin}..{self.fmax}")
        if self.peaks_per_second < 1 or not 0 < self.reference_share <= 1:
            raise ConfigError("peaks_per_second must be >= 1 and reference_share in (0, 1]")
        if self.fanout < 1 or self.pair_frames < 2:
            raise ConfigError("fanout must be >= 1 and pair_frames >= 2")


@dataclass(frozen=True)
class AudioMatchSettings:
    """How a query's peaks are looked up and aligned.

    Every speed ``min_speed``..``max_speed`` (steps of ``speed_step``, relative) is tried in two
    ways: ``tempo`` (the sound is faster, its pitch kept: ffmpeg ``atempo``) and ``resample``
    (faster and higher, a sped-up re-upload). A candidate needs ``min_votes`` pair hashes at one
    offset; it is then verified peak by peak: a segment needs ``min_peaks`` query peaks on a
    reference peak, ``min_rate`` of its peaks matched (``short_rate`` when it is shorter than
    ``short_seconds``: other speech of the same voice lines up for a second or two at 20-30 %),
    ``min_lift`` times the rate at a wrong offset (the chance rate), over at least ``min_duration``
    seconds. A ratio cannot pass where chance is high: a narrow-band recording (radio or telephone
    speech, all its peaks below 3 kHz) lands 15-20 % of its peaks on a reference peak at any
    offset, so even the reference against itself reaches a lift of only 5-6. So a segment also
    passes when ``min_excess`` of the peaks chance does not explain matched, ``(rate - chance) /
    (1 - chance)``: the share ``min_rate`` asks for at a typical chance of 5 %.
    """

    min_speed: float = 0.75
    max_speed: float = 1.5
    speed_step: float = 0.02
    modes: tuple[str, ...] = ("tempo", "resample")
    #: hashes that occur more often than this in the index carry no information and are skipped
    max_postings: int = 400
    #: a query's triplets join each peak with two of its next ``query_fanout`` peaks (a superset of
    #: the reference's: a query keeps more peaks, and a slowed copy has more of them per second)
    query_fanout: int = 7
    offset_bin: float = 0.5
    min_votes: int = 6
    max_candidates: int = 24
    min_peaks: int = 12
    min_rate: float = 0.3
    #: segments shorter than ``short_seconds`` need ``short_rate`` of their peaks matched
    short_seconds: float = 6.0
    short_rate: float = 0.5
    min_lift: float = 4.0
    min_excess: float = 0.25
    #: a 1 s window belongs to a segment with 3 matched peaks and this share of its peaks matched
    window_rate: float = 0.2
    min_duration: float = 1.5
    #: a gap of matched peaks longer than this splits a segment
    max_gap: float = 2.5
    #: peak tolerance when verifying: frames (time) and semitones (frequency)
    tol_frames: float = 1.5
    tol_semitones: float = 0.5

    def speeds(self) -> list[float]:
        lo, hi = math.log(self.min_speed), math.log(self.max_speed)
        n = max(1, round((hi - lo) / math.log1p(self.speed_step)))
        values = {round(math.exp(lo + (hi - lo) * i / n), 6) for i in range(n + 1)}
        values.add(1.0)
        return sorted(values)

    def check(self) -> None:
        if not 0 < self.min_speed <= 1 <= self.max_speed <= 4:
            raise ConfigError(
                f"speeds must satisfy 0 < min <= 1 <= max <= 4, not {self.min_speed}..{self.max_speed}"
            )
        if not 0 < self.speed_step < 0.5:
            raise ConfigError(f"speed_step must be in (0, 0.5), not {self.speed_step}")
        if not 0 < self.min_excess <= 1:
            raise ConfigError(f"min_excess must be in (0, 1], not {self.min_excess}")
        unknown = set(self.modes) - {"tempo", "resample"}
        if unknown or not self.modes:
            raise ConfigError(f"modes must be 'tempo' and/or 'resample', not {self.modes}")


DEFAULT = AudioSettings()
MATCH = AudioMatchSettings()
