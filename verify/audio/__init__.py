"""Sound as evidence: audio fingerprints of spectral peaks, and time-aligned matching.

A file's main audio stream is decoded with PyAV and resampled to mono ``AudioSettings.rate``
(8 kHz) inside FFmpeg, in streamed blocks (``decode``). Spectral peaks are picked as the samples
arrive (``peaks``); the fingerprint keeps the peaks (``fingerprint``). An index holds pair hashes
of many references' peaks, exact, as sorted arrays (``index``). A query is hashed once per speed
hypothesis (0.75x-1.5x, pitch kept or shifted, ``hashing``), votes for alignments, and each
candidate is verified peak by peak into segments (``match``, ``align``).

    fp = audio_fingerprint("clip.mp4")               # NoAudioStreamError: picture only
    index = AudioIndex.build([("ref-1", ref_fp), ...])
    for m in match_audio(fp, index):
        m.reference, m.query_start, m.query_end, m.reference_start, m.speed, m.pitch, m.score

For a caller with its own demux loop: ``AudioFingerprinter(settings)`` with ``add_frame(frame)``
(any ``av.AudioFrame``) or ``add(samples)`` (mono float32 at ``settings.rate``), then ``finish()``.
Design, measurements and limits: ``docs/audio.md``.
"""

from __future__ import annotations

from .decode import AudioStats, iter_audio
from .fingerprint import AudioFingerprint, AudioFingerprinter, audio_fingerprint
from .index import AudioIndex
from .match import match_audio
from .result import AudioEvidence, AudioMatch
from .settings import ALGORITHM, DEFAULT, MATCH, AudioMatchSettings, AudioSettings

__all__ = [
    "ALGORITHM",
    "DEFAULT",
    "MATCH",
    "AudioEvidence",
    "AudioFingerprint",
    "AudioFingerprinter",
    "AudioIndex",
    "AudioMatch",
    "AudioMatchSettings",
    "AudioSettings",
    "AudioStats",
    "audio_fingerprint",
    "iter_audio",
    "match_audio",
]
