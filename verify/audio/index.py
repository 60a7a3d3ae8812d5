"""``AudioIndex``: exact lookup of triplet hashes -> (reference, time) over many references' sound.

Plain sorted numpy arrays, persisted as such (``to_arrays``/``from_arrays``: a library stores each
as a blob, or the postings as rows ``(hash, reference, frame)``):

* ``hashes``   uint64 (P,) sorted; ``post_ref`` uint32 (P,) reference number; ``post_frame``
  uint32 (P,) the anchor peak's spectral frame in that reference;
* ``peak_start`` int64 (R+1,): reference ``r``'s peaks are ``peak_times[peak_start[r]:peak_start[r+1]]``
  (float32 seconds, sorted) and ``peak_pitch`` (float32 semitones above ``settings.fmin``): the
  verifier aligns a query's peaks with them;
* ``durations`` float64 (R,) and ``ids`` (R,) the caller's reference ids (strings).

Postings per reference: its ``reference_share`` peaks (20 a second) times up to 6 triplets, about
100 a second of sound = 16 bytes x 100 x 3600 = 5.8 MB an hour; peaks 8 bytes x 30 x 3600 = 0.86 MB.
(The index is derived: a library stores the fingerprints' peaks and may rebuild it.)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

import numpy as np

from ..errors import AlgorithmMismatchError
from .fingerprint import AudioFingerprint
from .hashing import semitones
from .settings import ALGORITHM, DEFAULT, AudioSettings


@dataclass(frozen=True, eq=False)
class AudioIndex:
    settings: AudioSettings
    ids: tuple[str, ...]
    durations: np.ndarray
    hashes: np.ndarray
    post_ref: np.ndarray
    post_frame: np.ndarray
    peak_start: np.ndarray
    peak_times: np.ndarray
    peak_pitch: np.ndarray
    algorithm: str = ALGORITHM

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def build(
        cls, items: Iterable[tuple[str, AudioFingerprint]], settings: AudioSettings | None = None
    ) -> AudioIndex:
        """Index ``(reference id, fingerprint)`` pairs; every fingerprint must share one algorithm and settings."""
        ids: list[str] = []
        durations: list[float] = []
        hashes, refs, frames, ptimes, ppitch = [], [], [], [], []
        peak_start = [0]
        for ref_id, fp in items:
            if fp.algorithm != ALGORITHM:
                raise AlgorithmMismatchError(
                    f"reference {ref_id!r} has audio algorithm {fp.algorithm!r}, not {ALGORITHM!r}"
                )
            if settings is None:
                settings = fp.settings
            elif fp.settings != settings:
                raise AlgorithmMismatchError(
                    f"reference {ref_id!r} was fingerprinted with other audio settings"
                )
            h, f = fp.reference_hashes()
            hashes.append(h)
            frames.append(f)
            refs.append(np.full(h.size, len(ids), np.uint32))
            ptimes.append(fp.times)
            ppitch.append(semitones(fp.freqs, fp.settings.fmin))
            peak_start.append(peak_start[-1] + len(fp))
            ids.append(str(ref_id))
            durations.append(fp.duration)
        settings = settings or DEFAULT
        h = np.concatenate(hashes) if hashes else np.zeros(0, np.uint64)
        order = np.argsort(h, kind="stable")
        return cls(
            settings=settings,
            ids=tuple(ids),
            durations=np.asarray(durations, np.float64),
            hashes=h[order],
            post_ref=(np.concatenate(refs) if refs else np.zeros(0, np.uint32))[order],
            post_frame=(np.concatenate(frames) if frames else np.zeros(0, np.uint32))[order],
            peak_start=np.asarray(peak_start, np.int64),
            peak_times=np.concatenate(ptimes) if ptimes else np.zeros(0, np.float32),
            peak_pitch=np.concatenate(ppitch) if ppitch else np.zeros(0, np.float32),
        )

    # -- lookup ------------------------------------------------------------------------------

    def lookup(
        self, keys: np.ndarray, max_postings: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every posting of each key: (key index, reference number, anchor frame).

        Keys with more than ``max_postings`` postings are skipped (they are in too many places to
        say anything)."""
        keys = np.asarray(keys, np.uint64)
        uniq, inverse = np.unique(keys, return_inverse=True)  # sorted: cache-friendly searches
        lo = np.searchsorted(self.hashes, uniq, side="left")[inverse]
        hi = np.searchsorted(self.hashes, uniq, side="right")[inverse]
        n = hi - lo
        if max_postings is not None:
            n = np.where(n > max_postings, 0, n)
        total = int(n.sum())
        if total == 0:
            z = np.zeros(0, np.int64)
            return z, z.astype(np.uint32), z.astype(np.uint32)
        key_idx = np.repeat(np.arange(keys.size), n)
        starts = np.repeat(lo, n)
        within = np.arange(total) - np.repeat(np.cumsum(n) - n, n)
        pos = starts + within
        return key_idx, self.post_ref[pos], self.post_frame[pos]

    def peaks_of(self, ref: int) -> tuple[np.ndarray, np.ndarray]:
        a, b = int(self.peak_start[ref]), int(self.peak_start[ref + 1])
        return self.peak_times[a:b], self.peak_pitch[a:b]

    # -- persistence ---------------------------------------------------------------------------

    @property
    def nbytes(self) -> int:
        return int(sum(a.nbytes for a in self.to_arrays().values() if isinstance(a, np.ndarray)))

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Plain arrays (``ids`` as a unicode array) that :meth:`from_arrays` turns back into the index."""
        return {
            "ids": np.asarray(self.ids, dtype=np.str_),
            "durations": self.durations,
            "hashes": self.hashes,
            "post_ref": self.post_ref,
            "post_frame": self.post_frame,
            "peak_start": self.peak_start,
            "peak_times": self.peak_times,
            "peak_pitch": self.peak_pitch,
        }

    def settings_dict(self) -> dict[str, object]:
        return {"algorithm": self.algorithm, **asdict(self.settings)}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], settings: AudioSettings = DEFAULT) -> AudioIndex:
        return cls(
            settings=settings,
            ids=tuple(str(x) for x in arrays["ids"]),
            durations=np.asarray(arrays["durations"], np.float64),
            hashes=np.asarray(arrays["hashes"], np.uint64),
            post_ref=np.asarray(arrays["post_ref"], np.uint32),
            post_frame=np.asarray(arrays["post_frame"], np.uint32),
            peak_start=np.asarray(arrays["peak_start"], np.int64),
            peak_times=np.asarray(arrays["peak_times"], np.float32),
            peak_pitch=np.asarray(arrays["peak_pitch"], np.float32),
        )
