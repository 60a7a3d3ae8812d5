"""Triplet hashes of spectral peaks, for references and for every speed hypothesis of a query.

A hash joins three peaks ``i < j < k`` in time: the first one's pitch (``semitones(f)`` in
half-semitone steps, 7 bits), the intervals from it to the other two (half-semitone steps,
-64..63: 7 + 7 bits) and the times from it to the other two (spectral frames, 1..63: 6 + 6 bits),
33 bits in a ``uint64``. (Pairs, tried first, have ~16 bits of real entropy: on a 4-minute index a
query's lookups already returned 0.65 postings each, which does not scale to 100 hours.)
References join every peak with two of the first ``fanout`` peaks of its zone (later frames, at
most ``pair_frames`` ahead, within an octave; see :func:`triplet_indices`). A query is hashed once per hypothesis ``(speed, mode)``: its peak times are multiplied by the speed
(query seconds -> reference seconds) and, for ``resample``, its pitches lowered by
``12 log2(speed)`` semitones, so the hash of a sped-up copy is the hash its reference stored.
Pitch is on a log scale, so a resampled copy's intervals are unchanged and only the first pitch moves.
"""

from __future__ import annotations

import numpy as np

from .settings import AudioSettings

PITCH_STEP = 0.5  # semitones per unit
P_BITS, D_BITS, T_BITS = 7, 7, 6
D_HALF = 1 << (D_BITS - 1)
T_MAX = (1 << T_BITS) - 1
#: a zone looks this many peaks ahead (in frame, pitch order), within this pitch distance
LOOKAHEAD = 48
ZONE_SEMITONES = 12.0

Triplets = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def semitones(freqs: np.ndarray, fmin: float) -> np.ndarray:
    """Pitch in semitones above ``fmin`` (float32)."""
    return (12.0 * np.log2(np.maximum(np.asarray(freqs, np.float64), 1e-3) / fmin)).astype(np.float32)


def frames(times: np.ndarray, settings: AudioSettings) -> np.ndarray:
    """Peak times in spectral frames (float64)."""
    return np.asarray(times, np.float64) * settings.frame_rate


def pack(
    pitch: np.ndarray, d2: np.ndarray, d3: np.ndarray, t2: np.ndarray, t3: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Quantise (pitch, two intervals in semitones, two time gaps in frames) into hashes + a valid mask."""
    p = np.rint(pitch / PITCH_STEP).astype(np.int64)
    a = np.rint(d2 / PITCH_STEP).astype(np.int64)
    b = np.rint(d3 / PITCH_STEP).astype(np.int64)
    u = np.rint(t2).astype(np.int64)
    v = np.rint(t3).astype(np.int64)
    ok = (p >= 0) & (p < (1 << P_BITS)) & (a >= -D_HALF) & (a < D_HALF) & (b >= -D_HALF) & (b < D_HALF)
    ok &= (u >= 1) & (v > u) & (v <= T_MAX)
    h = p
    for field, bits in ((a + D_HALF, D_BITS), (b + D_HALF, D_BITS), (u, T_BITS), (v, T_BITS)):
        h = (h << bits) | np.where(ok, field, 0)
    return h.astype(np.uint64), ok


def order(t: np.ndarray, pitch: np.ndarray) -> np.ndarray:
    """Peaks in (frame, pitch) order: the harmonics of one frame in a fixed order whatever their
    sub-frame times (which move with the encoding)."""
    return np.lexsort((pitch, np.rint(t)))


def triplet_indices(
    t: np.ndarray, pitch: np.ndarray, fanout: int, max_dt: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Index triplets (i, j, k) of peaks sorted by :func:`order`.

    The *zone* of peak i: the first ``fanout`` peaks at least one frame later and at most
    ``max_dt`` frames later, within ``ZONE_SEMITONES`` of its pitch. A triplet is i with two
    peaks j, k of its zone, k at least one frame after j."""
    n = t.size
    z = np.zeros(0, np.int64)
    if n < 3:
        return z, z.copy(), z.copy()
    frame = np.rint(t)
    zone = np.full((n, fanout), -1, np.int64)
    filled = np.zeros(n, np.int64)
    base = np.arange(n)
    for step in range(1, LOOKAHEAD + 1):
        j = base + step
        ok = j < n
        jj = np.minimum(j, n - 1)
        ok &= (
            (frame[jj] > frame)
            & (frame[jj] - frame <= max_dt)
            & (np.abs(pitch[jj] - pitch) <= ZONE_SEMITONES)
        )
        ok &= filled < fanout
        rows = np.nonzero(ok)[0]
        zone[rows, filled[rows]] = jj[rows]
        filled[rows] += 1
        if not ok.any() and step > 2 * fanout and (filled >= fanout).all():
            break
    a, b = np.triu_indices(fanout, k=1)
    i = np.repeat(base, a.size)
    j = zone[:, a].ravel()
    k = zone[:, b].ravel()
    ok = (j >= 0) & (k >= 0)
    i, j, k = i[ok], j[ok], k[ok]
    ok = frame[k] > frame[j]
    return i[ok], j[ok], k[ok]


def reference_hashes(
    times: np.ndarray, freqs: np.ndarray, settings: AudioSettings
) -> tuple[np.ndarray, np.ndarray]:
    """(hashes uint64, anchor frame uint32) of a reference's peaks (already the reference subset)."""
    o = order(frames(times, settings), semitones(freqs, settings.fmin))
    t, pitch = frames(times, settings)[o], semitones(freqs, settings.fmin)[o]
    i, j, k = triplet_indices(t, pitch, settings.fanout, settings.pair_frames)
    h, ok = pack(pitch[i], pitch[j] - pitch[i], pitch[k] - pitch[i], t[j] - t[i], t[k] - t[i])
    return h[ok], np.rint(t[i][ok]).astype(np.uint32)


def query_triplets(
    times: np.ndarray, freqs: np.ndarray, settings: AudioSettings, min_speed: float, fanout: int
) -> Triplets:
    """Candidate triplets of a query, formed once: (anchor frame, pitch, two intervals, two gaps).
    They reach ``pair_frames / min_speed`` frames: a slowed copy stretches its reference's triplets."""
    o = order(frames(times, settings), semitones(freqs, settings.fmin))
    t, pitch = frames(times, settings)[o], semitones(freqs, settings.fmin)[o]
    i, j, k = triplet_indices(t, pitch, fanout, settings.pair_frames / min(1.0, min_speed) + 1)
    return t[i], pitch[i], pitch[j] - pitch[i], pitch[k] - pitch[i], t[j] - t[i], t[k] - t[i]


def hypothesis_hashes(
    trip: Triplets, speed: float, mode: str, max_dt: float
) -> tuple[np.ndarray, np.ndarray]:
    """Hashes of the query's triplets as its reference would have stored them, were the query the
    reference played at ``speed`` in ``mode``; returns (hashes, triplet index) of the valid ones."""
    _, pitch, d2, d3, t2, t3 = trip
    keep = t3 * speed <= max_dt + 0.5
    shift = 12.0 * np.log2(speed) if mode == "resample" else 0.0
    h, ok = pack(pitch - shift, d2, d3, t2 * speed, t3 * speed)
    idx = np.nonzero(ok & keep)[0]
    return h[idx], idx
