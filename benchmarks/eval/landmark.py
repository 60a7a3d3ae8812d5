"""A minimal landmark (peak-pair) audio fingerprinter in the manner of audfprint / Shazam.

Written for this benchmark as a faithful baseline of the technique (audfprint is not installable
here); it is not verify's algorithm. 11025 Hz mono, 512-point STFT every 256 samples; peaks are
local maxima above a decaying, frequency-spread masking threshold (at most 5 a frame); each peak
pairs with its next 3 peaks within 1..63 frames and +-31 bins; hash = f1 (8 bits) + df (6) + dt (6).
A reference matches when at least ``MIN_COUNT`` (67, tuned on dev) query hashes agree on one time offset (+-1
frame); the segment spans the agreeing hashes. No speed handling: that is the point of comparing.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .ffmpeg import ffmpeg_exe

SR, N_FFT, HOP = 11025, 512, 256
DECAY, SPREAD_BINS, MAX_PER_FRAME = 0.99, 4.0, 5
FANOUT, DT_MAX, DF_MAX = 3, 63, 31
MIN_COUNT = 67  # tuned on dev: the smallest count with no false match there (10 gave 76 false queries)
FRAME = HOP / SR


def load(path: str | Path) -> np.ndarray:
    args = [
        ffmpeg_exe(),
        "-v",
        "error",
        "-i",
        str(path),
        "-vn",
        "-ac",
        "1",
        "-ar",
        str(SR),
        "-f",
        "f32le",
        "-",
    ]
    return np.frombuffer(subprocess.run(args, capture_output=True, check=True).stdout, np.float32)


def peaks(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if x.size < N_FFT:
        z = np.zeros(0, np.int64)
        return z, z.copy()
    frames = np.lib.stride_tricks.sliding_window_view(x, N_FFT)[::HOP]
    spec = np.abs(np.fft.rfft(frames * np.hanning(N_FFT), axis=1))[:, :256]
    logs = np.log(np.maximum(spec, spec.max() * 1e-6 + 1e-12))
    log_spread = np.log(np.exp(-0.5 * (np.arange(-40, 41) / SPREAD_BINS) ** 2) + 1e-12)
    thresh = np.full(256, -np.inf)
    ts, fs = [], []
    for t in range(logs.shape[0]):
        col = logs[t]
        loc = np.nonzero((col[1:-1] > col[:-2]) & (col[1:-1] >= col[2:]))[0] + 1
        loc = loc[np.argsort(-col[loc])]
        n = 0
        for f in loc:
            if col[f] <= thresh[f]:
                continue
            ts.append(t)
            fs.append(int(f))
            lo, hi = max(0, f - 40), min(256, f + 41)
            thresh[lo:hi] = np.maximum(thresh[lo:hi], col[f] + log_spread[lo - f + 40 : hi - f + 40])
            n += 1
            if n == MAX_PER_FRAME:
                break
        thresh = np.maximum(thresh + np.log(DECAY), col)  # decay, never below the current frame
    return np.asarray(ts, np.int64), np.asarray(fs, np.int64)


def hashes(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(hash, anchor frame) landmarks of a signal."""
    t, f = peaks(x)
    hs, ts = [], []
    for i in range(t.size):
        n = 0
        for j in range(i + 1, t.size):
            dt = t[j] - t[i]
            if dt > DT_MAX:
                break
            df = f[j] - f[i]
            if dt < 1 or abs(df) > DF_MAX:
                continue
            hs.append((f[i] << 12) | ((df + 32) << 6) | dt)
            ts.append(t[i])
            n += 1
            if n == FANOUT:
                break
    return np.asarray(hs, np.int64), np.asarray(ts, np.int64)


@dataclass(frozen=True)
class Hit:
    reference: str
    count: int
    query_start: float
    query_end: float
    reference_start: float
    reference_end: float


class Database:
    def __init__(self) -> None:
        self.names: list[str] = []
        self.h: list[np.ndarray] = []
        self.t: list[np.ndarray] = []
        self.r: list[np.ndarray] = []

    def add(self, name: str, landmarks: tuple[np.ndarray, np.ndarray]) -> None:
        h, t = landmarks
        self.h.append(h)
        self.t.append(t)
        self.r.append(np.full(h.size, len(self.names)))
        self.names.append(name)
        self._built = False

    def _build(self) -> None:
        h = np.concatenate(self.h)
        order = np.argsort(h, kind="stable")
        self.H, self.T, self.R = h[order], np.concatenate(self.t)[order], np.concatenate(self.r)[order]
        self._built = True

    def match(self, landmarks: tuple[np.ndarray, np.ndarray]) -> list[Hit]:
        if not getattr(self, "_built", False):
            self._build()
        qh, qt = landmarks
        if qh.size == 0:
            return []
        lo, hi = np.searchsorted(self.H, qh, "left"), np.searchsorted(self.H, qh, "right")
        n = hi - lo
        qi = np.repeat(np.arange(qh.size), n)
        pos = np.repeat(lo, n) + (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n))
        ref, rt = self.R[pos], self.T[pos]
        off = rt - qt[qi]
        out = []
        for r in np.unique(ref):
            sel = ref == r
            o = off[sel]
            vals, counts = np.unique(o, return_counts=True)
            # merge +-1 frame
            c3 = counts.copy()
            idx = {v: i for i, v in enumerate(vals)}
            for k, v in enumerate(vals):
                c3[k] += sum(counts[idx[w]] for w in (v - 1, v + 1) if w in idx)
            k = int(np.argmax(c3))
            if c3[k] < MIN_COUNT:
                continue
            best = vals[k]
            ok = np.abs(o - best) <= 1
            qtimes = qt[qi[sel][ok]]
            a, b = float(qtimes.min()) * FRAME, float(qtimes.max() + 1) * FRAME
            out.append(Hit(self.names[int(r)], int(c3[k]), a, b, a + best * FRAME, b + best * FRAME))
        return out
