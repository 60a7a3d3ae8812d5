"""Fingerprints: per-sample perceptual hashes of a clip, from one decode.

CONTRACT (shared by library, matching, report and UI; add fields only with defaults):

* ``Fingerprint.times``   float64 (N,), seconds from the stream start (what a player shows);
* ``Fingerprint.hashes``  uint64 (N, V); column ``v`` is the variant ``settings.variants[v]``
  (``"full"`` = bars removed whole frame, ``"mirror"`` = its horizontal mirror, crop
  variants named like ``"crop80"``);
* ``Fingerprint.quality`` bool (N,), False where a frame is too dark/flat to trust;
* ``Fingerprint.algorithm`` e.g. ``"phash-64/v1"``: fingerprints of different algorithms are never compared.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class FingerprintSettings:
    """How a clip is sampled and hashed. ``fps=None`` means every frame."""

    fps: float | None = None
    variants: tuple[str, ...] = ("full",)
    remove_bars: bool = True
    schema_version: int = SCHEMA_VERSION


@dataclass(frozen=True, eq=False)
class Fingerprint:
    algorithm: str
    settings: FingerprintSettings
    times: np.ndarray
    hashes: np.ndarray
    quality: np.ndarray
    shots: tuple[float, ...] = ()
    bars: tuple[int, int, int, int] | None = None
    duration: float = 0.0
    sha256: str = ""
    media: dict[str, Any] = field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION

    def __len__(self) -> int:
        return int(self.times.shape[0])
