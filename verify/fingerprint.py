"""Fingerprints: per-sample perceptual hashes of a clip, from one decode.

CONTRACT (shared by library, matching, report and UI; add fields only with defaults):

* ``Fingerprint.times``   float64 (N,), seconds from the stream start (what a player shows);
* ``Fingerprint.hashes``  uint64 (N, V); column ``v`` is the variant ``settings.variants[v]``.
  Variant names are ``base`` or ``base+mirror`` (see :mod:`verify.hashing.variants`):
  ``"full"`` = bars removed whole frame, ``"cropNN"`` its central NN% (``"crop85"``),
  ``"band169"`` its central 16:9 band when it is taller than 16:9, ``"+mirror"`` the
  horizontal mirror of that region (``"mirror"`` alone means ``"full+mirror"``);
* ``Fingerprint.quality`` bool (N,), False where a frame is too dark/flat to trust
  (``quality_scores`` float32 (N,) holds the scores, see ``verify.hashing.frame_quality``);
* ``Fingerprint.bars`` the most frequent black bars (top, bottom, left, right) in pixels of
  the upright source picture (bars are detected and removed per chunk of frames);
* ``Fingerprint.shots`` shot start times in seconds (the first is the first sample's time),
  from :func:`verify.shots.detect_shots` on the bar-free 32x32 pictures;
* ``Fingerprint.algorithm`` e.g. ``"phash-64/v1"``: fingerprints of different algorithms are never compared.

How it is made: one decode through :func:`verify.frames.iter_frames`, every frame (or
``settings.fps`` samples per second) scaled inside FFmpeg to a small gray work picture
(``settings.work_size`` square), processed in chunks of at most 256 frames / 8 seconds:
black bars detected on the chunk and removed, each variant's region resized to 32x32
and pHashed as one batch, quality and the shot features (``verify.shots.shot_features``)
computed. Memory stays flat whatever the clip length.

JSON: :meth:`Fingerprint.to_dict` / :meth:`Fingerprint.from_dict` store the arrays as
``{"dtype", "shape", "base64"}`` (little-endian bytes: compact and exact for uint64);
``verify.serial.dumps``/``loads`` also round-trip (arrays as plain lists).
"""

from __future__ import annotations

import base64
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .digest import sha256_file
from .errors import ConfigError, TruncatedMediaError
from .frames import DecodeStats, Frame, FrameTap, Sampling, check_file, iter_frames
from .hashing import PHASH, QUALITY_THRESHOLD, Bars, detect_bars, frame_quality
from .hashing.variants import band_variants, hash_variants, parse_variant, window_variants
from .shots import detect_shots, shot_features

if TYPE_CHECKING:
    from .probe import MediaInfo

log = logging.getLogger("verify")

SCHEMA_VERSION = 1
#: Side of the square gray picture FFmpeg scales every frame to before hashing.
WORK_SIZE = 128
#: A chunk ends after this many frames or this many seconds, whichever comes first.
CHUNK_FRAMES = 256
CHUNK_SECONDS = 8.0
#: Sampled fingerprints also detect bars over every this many seconds of a chunk, with at least
#: this many frames (a compilation mixes pillarboxed and full-frame footage).
BAR_SPLIT_SECONDS = 2.0
BAR_MIN_FRAMES = 4
#: Shots are detected over segments of this many samples (plus a margin): bounded memory.
SHOT_SEGMENT = 4096
SHOT_MARGIN_SECONDS = 8.0


@dataclass(frozen=True)
class FingerprintSettings:
    """How a clip is sampled and hashed. ``fps=None`` means every frame.

    ``shot_fps``: shot features are taken this many times a second from the same decode (None:
    on the hashed samples), so a sparsely sampled query still finds cuts to a fraction of a second.
    """

    fps: float | None = None
    variants: tuple[str, ...] = ("full",)
    remove_bars: bool = True
    schema_version: int = SCHEMA_VERSION
    work_size: int = WORK_SIZE
    quality_threshold: float = QUALITY_THRESHOLD
    #: "every frame" takes at most this many samples per second of footage (a 1000 fps clip costs 60)
    max_rate: float | None = 60.0
    shot_fps: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "variants", tuple(self.variants))

    def check(self) -> None:
        """Raise ConfigError for settings no fingerprint can be made with."""
        if self.fps is not None and not (self.fps > 0 and np.isfinite(self.fps)):
            raise ConfigError(f"fingerprint fps must be a positive number or None, not {self.fps!r}")
        if self.max_rate is not None and not (self.max_rate > 0 and np.isfinite(self.max_rate)):
            raise ConfigError(
                f"fingerprint max_rate must be a positive number or None, not {self.max_rate!r}"
            )
        if not self.variants:
            raise ConfigError("fingerprint settings name no hash variant", hint="Use at least ('full',).")
        if len(set(self.variants)) != len(self.variants):
            raise ConfigError(f"fingerprint variants repeat a name: {self.variants}")
        for name in self.variants:
            parse_variant(name)
        if self.shot_fps is not None and not (self.shot_fps > 0 and np.isfinite(self.shot_fps)):
            raise ConfigError(f"shot_fps must be a positive number or None, not {self.shot_fps!r}")
        if not 32 <= self.work_size <= 1024:
            raise ConfigError(f"work_size must be between 32 and 1024 pixels, not {self.work_size}")


#: Library references: every frame, whole picture, its central 85% and central 60% (what
#: every crop window of a query is compared with).
REFERENCE = FingerprintSettings(fps=None, variants=("full", "crop85", "crop60"))
#: Queries: 2 samples a second, with the mirror, 16:9 and 4:3 bands of vertical frames at
#: several heights (``bandAA-YY``), the grid of crop windows (``winKK-XX-YY`` and mirrors)
#: and the inside of a picture-in-picture (``inset``); see ``verify.hashing.variants``.
QUERY = FingerprintSettings(
    fps=2.0,
    shot_fps=8.0,
    variants=(
        "full",
        "full+mirror",
        "crop85",
        "band169",
        "band169+mirror",
        *(v for v in band_variants() if v != "band169-50"),  # band169 is band169-50
        *window_variants(),
        "inset",
        "inset+mirror",
    ),
)


def _encode(arr: np.ndarray) -> dict[str, Any]:
    little = arr.astype(arr.dtype.newbyteorder("<"), copy=False)
    return {
        "dtype": little.dtype.str,
        "shape": list(arr.shape),
        "base64": base64.b64encode(little.tobytes()).decode(),
    }


def _decode(value: Any, dtype: Any) -> np.ndarray:
    if isinstance(value, dict) and "base64" in value:
        raw = np.frombuffer(base64.b64decode(value["base64"]), dtype=np.dtype(value["dtype"]))
        return raw.reshape(value["shape"]).astype(dtype)
    return np.asarray(value if value is not None else [], dtype=dtype)


_ARRAYS = {"times": np.float64, "hashes": np.uint64, "quality": np.bool_, "quality_scores": np.float32}


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
    #: quality score of each sample (see ``verify.hashing.frame_quality``), float32 (N,)
    quality_scores: np.ndarray | None = None
    #: upright size of the source picture (width, height) in pixels
    source_size: tuple[int, int] = (0, 0)
    #: stream start (seconds, the stream's own clock); ``times`` are relative to it
    start_time: float = 0.0
    decoded_frames: int = 0
    corrupt_frames: int = 0

    def __post_init__(self) -> None:
        # accept lists (JSON) as well as arrays
        for name, dtype in _ARRAYS.items():
            value = getattr(self, name)
            if value is None and name == "quality_scores":
                continue
            object.__setattr__(self, name, _decode(value, dtype))
        n_var = max(1, len(self.settings.variants))
        object.__setattr__(self, "hashes", self.hashes.reshape(-1, n_var))

    def __len__(self) -> int:
        return int(self.times.shape[0])

    def column(self, variant: str) -> np.ndarray:
        """The hashes of one variant (uint64 (N,)); KeyError names the variants there are."""
        try:
            return self.hashes[:, self.settings.variants.index(variant)]
        except ValueError:
            raise KeyError(
                f"no variant {variant!r} in this fingerprint ({', '.join(self.settings.variants)})"
            ) from None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; arrays as ``{"dtype", "shape", "base64"}``."""
        from .serial import to_jsonable

        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = _encode(value) if isinstance(value, np.ndarray) else to_jsonable(value)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fingerprint:
        """Inverse of :meth:`to_dict`; also reads the plain-list form of ``verify.serial``."""
        from .serial import from_jsonable

        plain = {k: v for k, v in data.items() if k not in _ARRAYS}
        fp = from_jsonable(cls, {**plain, **{k: [] for k in ("times", "hashes", "quality")}})
        arrays = {k: data[k] for k in _ARRAYS if k in data}
        return replace(fp, **arrays)


# -- making one -------------------------------------------------------------------------


class _Builder:
    """Collects work frames into chunks and hashes each chunk as one batch."""

    def __init__(self, settings: FingerprintSettings, stats: DecodeStats) -> None:
        self.settings, self.stats = settings, stats
        size = settings.work_size
        self.buf = np.empty((CHUNK_FRAMES, size, size), np.uint8)
        self.buf_times: list[float] = []
        self.times: list[np.ndarray] = []
        self.hashes: list[np.ndarray] = []
        self.scores: list[np.ndarray] = []
        self.features: list[np.ndarray] = []
        self.bars: Counter[Bars] = Counter()

    def add(self, time: float, image: np.ndarray) -> None:
        if self.buf_times and (
            len(self.buf_times) == CHUNK_FRAMES or time - self.buf_times[0] >= CHUNK_SECONDS
        ):
            self.flush()
        self.buf[len(self.buf_times)] = image
        self.buf_times.append(time)

    def source_size(self) -> tuple[int, int]:
        w, h = self.stats.width, self.stats.height
        return (h, w) if self.stats.orientation >= 5 else (w, h)

    def flush(self) -> None:
        n = len(self.buf_times)
        if n == 0:
            return
        chunk = self.buf[:n]
        src_w, src_h = self.source_size()
        aspect = src_w / src_h if src_w and src_h else 1.0
        size = self.settings.work_size
        for a, b, bars in self.bar_groups(chunk, np.asarray(self.buf_times)):
            hashes, full32 = hash_variants(chunk[a:b], bars, aspect, self.settings.variants)
            self.hashes.append(hashes)
            self.scores.append(frame_quality(full32).astype(np.float32))
            # float16 halves what a long clip keeps for shot detection (80 values a frame)
            self.features.append(shot_features(full32).astype(np.float16))
            self.bars[bars.scaled(src_w / size, src_h / size)] += b - a
        self.times.append(np.asarray(self.buf_times, np.float64))
        self.buf_times = []

    def bar_groups(self, chunk: np.ndarray, times: np.ndarray) -> list[tuple[int, int, Bars]]:
        """Runs of frames ``[a, b)`` of the chunk and their bars.

        Dense (reference) fingerprints detect bars once per chunk. Sampled (query) ones also look
        at every ``BAR_SPLIT_SECONDS`` of it: a compilation can put pillarboxed footage next to
        full-frame footage, and bars found on the whole chunk would then fit neither part.
        """
        n = len(chunk)
        if not self.settings.remove_bars:
            return [(0, n, Bars())]
        whole = detect_bars(chunk)
        if self.settings.fps is None or times[-1] - times[0] < BAR_SPLIT_SECONDS:
            return [(0, n, whole)]
        cuts = [0]
        for i in range(1, n):
            if times[i] - times[cuts[-1]] >= BAR_SPLIT_SECONDS and n - i >= BAR_MIN_FRAMES:
                cuts.append(i)
        cuts.append(n)
        groups: list[tuple[int, int, Bars]] = []
        for a, b in pairwise(cuts):
            bars = detect_bars(chunk[a:b]) if b - a >= BAR_MIN_FRAMES else whole
            if groups and groups[-1][2] == bars:
                groups[-1] = (groups[-1][0], b, bars)
            else:
                groups.append((a, b, bars))
        return groups


def _shots(times: np.ndarray, features: np.ndarray, segment: int = SHOT_SEGMENT) -> tuple[float, ...]:
    """Shot start times (the first is the first sample's) by ``verify.shots.detect_shots``,
    run over overlapping segments so that memory does not grow with the clip."""
    n = len(times)
    if n == 0:
        return ()
    step = float(np.median(np.diff(times))) if n > 1 else 1.0
    margin = max(8, int(SHOT_MARGIN_SECONDS / max(step, 1e-3)))
    starts = [float(times[0])]
    for lo in range(0, n, segment):
        hi = min(n, lo + segment)
        a, b = max(0, lo - margin), min(n, hi + margin)
        found = detect_shots(times[a:b], features[a:b].astype(np.float32))
        end = times[hi] if hi < n else np.inf
        starts += [t for t in found[1:] if times[lo] <= t < end and t > starts[-1]]
    return tuple(starts)


def _dense_shots(settings: FingerprintSettings) -> bool:
    return bool(settings.shot_fps and settings.fps is not None and settings.shot_fps > settings.fps)


class _ShotFeatures:
    """Shot features of frames at ``fps`` a second, offered by the decode (a dense tap)."""

    SIDE = 32

    def __init__(self, fps: float | None) -> None:
        self.step = 1.0 / float(fps or 1.0)
        self.first: float | None = None
        self.next = 0
        self.times: list[float] = []
        self.features: list[np.ndarray] = []

    def wants(self, t: float) -> bool:
        if self.first is None:
            self.first = t
        if t < self.first + self.next * self.step - 1e-6:
            return False
        self.next = int(np.floor((t - self.first) / self.step + 1e-6)) + 1
        return True

    def add(self, frame: Frame) -> None:
        self.times.append(float(frame.time))
        self.features.append(shot_features(frame.image[None])[0].astype(np.float16))

    def tap(self) -> FrameTap:
        picture = Sampling(width=self.SIDE, height=self.SIDE, pixel_format="gray")
        return FrameTap(picture, self.add, self.wants, every_frame=True)

    def shots(self, start: float) -> tuple[float, ...]:
        if not self.times:
            return ()
        return _shots(np.asarray(self.times) - start, np.stack(self.features))


def _media_summary(path: Path, max_bytes: int | None, info: MediaInfo | None) -> dict[str, Any]:
    if info is None:
        from .probe import probe

        info = probe(path, max_bytes=max_bytes)
    return info.summary()


def fingerprint(
    path: str | Path,
    settings: FingerprintSettings = REFERENCE,
    progress: Callable[[float, float], None] | None = None,
    *,
    max_bytes: int | None = None,
    info: MediaInfo | None = None,
    tap: FrameTap | None = None,
    audio: Callable[[Any], None] | None = None,
) -> Fingerprint:
    """Fingerprint a clip (or a still, as one sample) in one decode.

    ``info`` is the file's probe result when the caller has it (then the file is not probed
    again); ``tap`` receives colour pictures of the samples from the same decode (see
    :class:`verify.frames.FrameTap`); ``audio`` receives the decoded sound of the same pass
    (``av.AudioFrame`` objects, e.g. for ``verify.audio.AudioFingerprinter.add_frame``). ``progress(done, total)`` gets seconds decoded and the
    duration; an exception it raises stops the decode (cancellation). Every failure is a
    ``verify.errors`` error naming the file (missing, empty, not media, no video,
    undecodable, too large for ``max_bytes``, bad settings).
    """
    settings.check()
    p = check_file(path, max_bytes)
    media = _media_summary(p, max_bytes, info)
    sha256 = media.get("sha256") or sha256_file(p)
    stats = DecodeStats()
    size = settings.work_size
    sampling = Sampling(
        mode="all" if settings.fps is None else "fps",
        fps=settings.fps or 1.0,
        width=size,
        height=size,
        pixel_format="gray",
        max_rate=settings.max_rate,
    )
    builder = _Builder(settings, stats)
    shot_taker = _ShotFeatures(settings.shot_fps) if _dense_shots(settings) else None
    taps = [t for t in (tap, shot_taker.tap() if shot_taker else None) if t is not None]
    frames = iter_frames(
        p, sampling, max_bytes=max_bytes, stats=stats, progress=progress, tap=taps, audio=audio
    )
    for frame in frames:
        builder.add(frame.time, frame.image)
    builder.flush()
    if not builder.times:
        raise TruncatedMediaError("no frame could be decoded and hashed", path=p)
    times = np.concatenate(builder.times) - stats.start_time
    scores = np.concatenate(builder.scores)
    bars = builder.bars.most_common(1)[0][0] if settings.remove_bars else None
    last = float(times[-1]) + (1.0 / stats.rate if stats.rate else 0.0)
    return Fingerprint(
        algorithm=PHASH,
        settings=settings,
        times=times,
        hashes=np.concatenate(builder.hashes),
        quality=scores >= settings.quality_threshold,
        shots=shot_taker.shots(stats.start_time)
        if shot_taker
        else _shots(times, np.concatenate(builder.features)),
        bars=tuple(int(b) for b in bars) if bars is not None else None,  # type: ignore[arg-type]
        duration=max(stats.duration, last) if stats.duration else last,
        sha256=sha256,
        media=media,
        quality_scores=scores,
        source_size=builder.source_size(),
        start_time=stats.start_time,
        decoded_frames=stats.decoded,
        corrupt_frames=stats.corrupt,
    )
