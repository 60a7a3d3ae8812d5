"""Pair hashes of spectral peaks (landmarks), for references and for every speed hypothesis of a query.

A hash joins two peaks: the first one's pitch (``semitones(f1)`` in half-semitone steps), the
interval to the second (half-semitone steps, -64..63) and the time between them (spectral frames,
1..63): 7 + 7 + 6 = 20 bits in a ``uint32``. References pair every peak with its next
``fanout`` peaks at most ``pair_frames`` later. A query is hashed once per hypothesis
``(speed, mode)``: its peak times are multiplied by the speed (query seconds -> reference
seconds) and, for ``resample``, its pitches lowered by ``12 log2(speed)`` semitones, so the hash
of a sped-up copy is the hash its reference stored. Pitch is on a log scale, so a resampled copy's
intervals are unchanged and only the first pitch moves.
"""

from __future__ import annotations

import numpy as np

from .settings import AudioSettings

PITCH_STEP = 0.5  # semitones per unit
F_BITS, D_BITS, T_BITS = 7, 7, 6
D_HALF = 1 << (D_BITS - 1)
T_MAX = (1 << T_BITS) - 1


def semitones(freqs: np.ndarray, fmin: float) -> np.ndarray:
    """Pitch in semitones above ``fmin`` (float32)."""
    return (12.0 * np.log2(np.maximum(np.asarray(freqs, np.float64), 1e-3) / fmin)).astype(np.float32)


def frames(times: np.ndarray, settings: AudioSettings) -> np.ndarray:
    """Peak times in spectral frames (float64)."""
    return np.asarray(times, np.float64) * settings.frame_rate


def pack(pitch: np.ndarray, interval: np.ndarray, dt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Quantise (pitch semitones, interval semitones, dt frames) into hashes; also the valid mask."""
    p = np.rint(pitch / PITCH_STEP).astype(np.int64)
    d = np.rint(interval / PITCH_STEP).astype(np.int64)
    t = np.rint(dt).astype(np.int64)
    ok = (p >= 0) & (p < (1 << F_BITS)) & (d >= -D_HALF) & (d < D_HALF) & (t >= 1) & (t <= T_MAX)
    h = (p << (D_BITS + T_BITS)) | ((d + D_HALF) << T_BITS) | t
    return h.astype(np.uint32), ok


def pair_indices(t: np.ndarray, fanout: int, max_dt: float) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i, j): j among the next ``fanout`` peaks after i, ``0 < t[j]-t[i] <= max_dt``."""
    n = t.size
    if n < 2:
        z = np.zeros(0, np.int64)
        return z, z.copy()
    i = np.repeat(np.arange(n), fanout)
    j = i + np.tile(np.arange(1, fanout + 1), n)
    ok = j < n
    i, j = i[ok], j[ok]
    dt = t[j] - t[i]
    ok = (dt > 0.5) & (dt <= max_dt)
    return i[ok], j[ok]


def reference_hashes(
    times: np.ndarray, freqs: np.ndarray, settings: AudioSettings
) -> tuple[np.ndarray, np.ndarray]:
    """(hashes uint32, anchor frame uint32) of a reference's peaks (already the reference subset)."""
    t = frames(times, settings)
    pitch = semitones(freqs, settings.fmin)
    i, j = pair_indices(t, settings.fanout, settings.pair_frames)
    h, ok = pack(pitch[i], pitch[j] - pitch[i], t[j] - t[i])
    return h[ok], np.rint(t[i][ok]).astype(np.uint32)


def query_pairs(
    times: np.ndarray, freqs: np.ndarray, settings: AudioSettings, min_speed: float, fanout: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Candidate pairs of a query, formed once: (anchor frame, pitch, interval, dt frames), all float.
    Pairs reach ``pair_frames / min_speed`` frames: a slowed copy stretches its reference's pairs."""
    t = frames(times, settings)
    pitch = semitones(freqs, settings.fmin)
    i, j = pair_indices(t, fanout, settings.pair_frames / min(1.0, min_speed) + 1)
    return t[i], pitch[i], pitch[j] - pitch[i], t[j] - t[i]


def hypothesis_hashes(
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], speed: float, mode: str
) -> tuple[np.ndarray, np.ndarray]:
    """Hashes of the query's pairs as its reference would have stored them, were the query the
    reference played at ``speed`` in ``mode``; returns (hashes, index of the pair) of valid ones."""
    _, pitch, interval, dt = pairs
    shift = 12.0 * np.log2(speed) if mode == "resample" else 0.0
    h, ok = pack(pitch - shift, interval, dt * speed)
    idx = np.nonzero(ok)[0]
    return h[idx], idx
