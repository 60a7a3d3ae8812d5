"""Streaming spectral peaks: samples in, ``(time, frequency, strength)`` peaks out, bounded memory.

``PeakExtractor.push(samples)`` takes mono float32 samples at ``settings.rate`` in any block size;
the short-time spectrum is computed on the samples as they arrive and peaks are picked over
chunks of ``CHUNK_SECONDS`` with a margin of context on each side, so memory stays flat
whatever the length of the track (the samples and spectra of one chunk, plus the peaks).
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import maximum_filter, uniform_filter

from .settings import AudioSettings

#: Peaks are picked over chunks of this many seconds (whole seconds: density is per second).
CHUNK_SECONDS = 8
#: Surroundings a peak's contrast is measured against: frames and bins each side.
CONTRAST_FRAMES = 12
CONTRAST_BINS = 16
#: Pushed samples are framed in blocks of at least this many.
BLOCK_SAMPLES = 16384
#: A peak must also be within this many dB of the loudest bin of its frame.
DYNAMIC_DB = 45.0
#: Stationary level of each frequency bin: the median of each block of STATIONARY_BLOCK frames
#: (0.5 s), then the STATIONARY_PERCENTILE-th percentile of the block medians within
#: STATIONARY_BLOCKS blocks each side (+-1.5 s). A steady whistle, hum or test tone sits at its
#: bin's stationary level; speech and music rise above theirs (``AudioSettings.stationary_db``).
STATIONARY_BLOCK = 25
STATIONARY_BLOCKS = 3
STATIONARY_PERCENTILE = 25.0


class PeakExtractor:
    """Push samples, pull peaks. Times are seconds from the first sample (window centres)."""

    def __init__(self, settings: AudioSettings) -> None:
        self.s = settings
        self.window = np.hanning(settings.n_fft).astype(np.float32)
        self.bin_lo = max(1, int(np.floor(settings.fmin * settings.n_fft / settings.rate)))
        self.bin_hi = min(
            settings.n_fft // 2, int(np.ceil(settings.fmax * settings.n_fft / settings.rate)) + 1
        )
        self.per_second = round(settings.frame_rate)
        self.chunk = CHUNK_SECONDS * self.per_second
        context = (STATIONARY_BLOCKS + 1) * STATIONARY_BLOCK if settings.stationary_db > 0 else 0
        self.margin = max(CONTRAST_FRAMES, settings.peak_frames, context) + 1
        self.samples = np.zeros(0, np.float32)  # not yet turned into frames
        self.queue: list[np.ndarray] = []  # pushed, not yet framed (at most BLOCK_SAMPLES)
        self.queued = 0
        self.spec: list[np.ndarray] = []  # pending spectral frames (dB), from frame index spec_start
        self.level: list[np.ndarray] = []  # their frame levels (dBFS)
        self.spec_start = 0
        self.done_frames = 0  # frames [0, done_frames) have been searched for peaks
        self.n_frames = 0
        self.n_samples = 0
        self.loud_frames = 0
        self.out: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    # -- input -----------------------------------------------------------------------------

    def push(self, samples: np.ndarray) -> None:
        x = np.asarray(samples, np.float32).ravel()
        if x.size == 0:
            return
        self.n_samples += x.size
        # decoders hand out ~1000 samples at a time: gather a block so numpy works on many frames at once
        self.queue.append(x)
        self.queued += x.size
        if self.queued >= BLOCK_SAMPLES:
            self._consume()

    def _consume(self) -> None:
        if not self.queue:
            return
        x = np.concatenate(self.queue) if len(self.queue) > 1 else self.queue[0]
        self.queue, self.queued = [], 0
        buf = np.concatenate([self.samples, x]) if self.samples.size else x
        n_fft, hop = self.s.n_fft, self.s.hop
        n = 0 if buf.size < n_fft else 1 + (buf.size - n_fft) // hop
        if n:
            frames = np.lib.stride_tricks.sliding_window_view(buf, n_fft)[::hop][:n]
            self._frames(frames)
        self.samples = buf[n * hop :].copy()
        while self.n_frames - self.done_frames >= self.chunk + self.margin:
            self._pick(self.done_frames + self.chunk)

    def finish(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Flush (the last partial window is zero-padded) and return all peaks, sorted by time."""
        self._consume()
        if self.samples.size:
            tail = np.zeros(self.s.n_fft, np.float32)
            tail[: self.samples.size] = self.samples[: self.s.n_fft]
            self._frames(tail[None, :])
            self.samples = np.zeros(0, np.float32)
        while self.done_frames < self.n_frames:
            self._pick(min(self.n_frames, self.done_frames + self.chunk))
        if not self.out:
            empty = np.zeros(0, np.float32)
            return empty, empty.copy(), empty.astype(np.float16)
        t, f, s = (np.concatenate(a) for a in zip(*self.out))
        order = np.argsort(t, kind="stable")
        return t[order], f[order], s[order].astype(np.float16)

    @property
    def loud_seconds(self) -> float:
        return self.loud_frames / self.s.frame_rate

    # -- internals -------------------------------------------------------------------------

    def _frames(self, frames: np.ndarray) -> None:
        level = 10 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-12)
        spectrum = np.abs(np.fft.rfft(frames * self.window, axis=1))[:, self.bin_lo : self.bin_hi]
        self.spec.append((20 * np.log10(spectrum + 1e-7)).astype(np.float32))
        self.level.append(level.astype(np.float32))
        self.n_frames += len(frames)
        self.loud_frames += int(np.count_nonzero(level > self.s.floor_db))

    def _pick(self, end: int) -> None:
        """Search frames [done_frames, end) for peaks, using up to ``margin`` frames of context."""
        pending = np.concatenate(self.spec) if len(self.spec) > 1 else self.spec[0]
        levels = np.concatenate(self.level) if len(self.level) > 1 else self.level[0]
        lo = max(self.spec_start, self.done_frames - self.margin)
        hi = min(self.n_frames, end + self.margin)
        a, b = lo - self.spec_start, hi - self.spec_start
        self._peaks(pending[a:b], levels[a:b], lo, self.done_frames, end)
        self.done_frames = end
        keep = max(self.spec_start, end - self.margin)
        self.spec = [pending[keep - self.spec_start :]]
        self.level = [levels[keep - self.spec_start :]]
        self.spec_start = keep

    def _peaks(self, spec: np.ndarray, level: np.ndarray, base: int, a: int, b: int) -> None:
        s = self.s
        if spec.shape[0] == 0 or spec.shape[1] < 3:
            return
        local_max = maximum_filter(spec, size=(2 * s.peak_frames + 1, 2 * s.peak_bins + 1), mode="nearest")
        surround = uniform_filter(spec, size=(2 * CONTRAST_FRAMES + 1, 2 * CONTRAST_BINS + 1), mode="nearest")
        contrast = spec - surround
        frame_top = spec.max(axis=1, keepdims=True)
        ok = (
            (spec >= local_max)
            & (contrast > s.contrast_db)
            & (spec > frame_top - DYNAMIC_DB)
            & (level > s.floor_db)[:, None]
        )
        if s.stationary_db > 0:
            ok &= spec - _stationary(spec, base) > s.stationary_db
        ok[: a - base] = False
        ok[b - base :] = False
        ok[:, 0] = ok[:, -1] = False  # interpolation needs both neighbours
        rows, cols = np.nonzero(ok)
        if rows.size == 0:
            return
        strength = contrast[rows, cols]
        # density: the most prominent peaks_per_second of each whole second of frames
        second = (rows + base) // self.per_second
        order = np.lexsort((-strength, second))
        rows, cols, strength, second = rows[order], cols[order], strength[order], second[order]
        first = np.searchsorted(second, second, side="left")
        rank = np.arange(rows.size) - first
        keep = rank < s.peaks_per_second
        rows, cols, strength = rows[keep], cols[keep], strength[keep]
        # parabolic interpolation in frequency and in time
        df = _vertex(spec[rows, cols - 1], spec[rows, cols], spec[rows, cols + 1])
        up = np.clip(rows + 1, 0, spec.shape[0] - 1)
        down = np.clip(rows - 1, 0, spec.shape[0] - 1)
        dt = _vertex(spec[down, cols], spec[rows, cols], spec[up, cols])
        frame = rows + base + dt
        times = (frame * s.hop + s.n_fft / 2) / s.rate
        freqs = (cols + self.bin_lo + df) * s.rate / s.n_fft
        self.out.append((times.astype(np.float32), freqs.astype(np.float32), strength.astype(np.float32)))


def _stationary(spec: np.ndarray, base: int) -> np.ndarray:
    """Each frame's stationary level per bin (see STATIONARY_*), for frames ``base..base+len(spec)``.

    Blocks are aligned to absolute frame numbers, so the level of a frame does not depend on where
    the chunk around it starts; frames before the first whole block take that block's level.
    """
    n = spec.shape[0]
    blk = STATIONARY_BLOCK
    k0 = -(-base // blk)  # first block that starts inside the slice
    starts = np.arange(k0 * blk, base + n, blk) - base
    if starts.size == 0:
        return np.full_like(spec, -np.inf)
    medians = np.stack([np.median(spec[a : a + blk], axis=0) for a in starts])
    levels = np.empty_like(medians)
    for k in range(medians.shape[0]):
        lo, hi = max(0, k - STATIONARY_BLOCKS), k + STATIONARY_BLOCKS + 1
        levels[k] = np.percentile(medians[lo:hi], STATIONARY_PERCENTILE, axis=0)
    row_block = np.clip((np.arange(n) + base) // blk - k0, 0, medians.shape[0] - 1)
    return levels[row_block]


def _vertex(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Offset (-0.5..0.5) of the vertex of the parabola through (-1, a), (0, b), (1, c)."""
    den = a - 2 * b + c
    with np.errstate(divide="ignore", invalid="ignore"):
        off = np.where(den < 0, 0.5 * (a - c) / den, 0.0)
    return np.clip(off, -0.5, 0.5)
