"""``AudioFingerprint`` (the stored value) and the two ways to make one: pushed or from a file.

CONTRACT (library, matching and UI rely on it; add fields only with defaults):

* ``times``     float32 (N,), seconds from the audio stream start, sorted; a peak's window centre;
* ``freqs``     float32 (N,), Hz (sub-bin interpolated);
* ``strengths`` float16 (N,), dB above the peak's surroundings (how prominent it is);
* ``algorithm`` ``"audio-peaks/v2"``: fingerprints of other ids are never compared;
* ``settings``  the :class:`AudioSettings` they were made with (rate, window, density, pairing).

Peaks, not hashes, are stored: the triplet hashes of a reference (``reference_hashes()``) and of a
query (for every speed hypothesis, ``verify.audio.match``) are derived from them, so one
fingerprint serves both roles. Storage: 10 bytes a peak, ``settings.peaks_per_second`` (30) peaks a
second of sound at most = 1.08 MB per hour (silence costs nothing).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import av
import av.error
import numpy as np

from .decode import MAX_BAD_PACKETS, AudioStats, describe, iter_audio, resampler, to_samples
from .hashing import reference_hashes
from .peaks import PeakExtractor
from .settings import ALGORITHM, DEFAULT, SCHEMA_VERSION, AudioSettings

_ARRAYS = {"times": np.float32, "freqs": np.float32, "strengths": np.float16}


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
    return np.asarray(value if value is not None else [], dtype=dtype).reshape(-1)


@dataclass(frozen=True, eq=False)
class AudioFingerprint:
    algorithm: str
    settings: AudioSettings
    times: np.ndarray
    freqs: np.ndarray
    strengths: np.ndarray
    #: seconds of sound decoded, and how much of it was louder than ``settings.floor_db``
    duration: float = 0.0
    loud_seconds: float = 0.0
    #: the fingerprint's own rate (``settings.rate``) and the source stream (codec, rate, channels, layout)
    sample_rate: int = 0
    stream: dict[str, Any] = field(default_factory=dict)
    #: the audio stream's start on the file's clock (``times`` are relative to it)
    start_time: float = 0.0
    bad_packets: int = 0
    sha256: str = ""
    #: ``"ok"`` (peaks found), ``"silent"`` (sound decoded, nothing distinct enough to fingerprint:
    #: silence, room tone, a steady tone), ``"no-sound"`` (no sound was given) or ``"undecodable"``
    #: (its packets did not decode); ``message`` says it in words. Without peaks nothing matches.
    status: str = "ok"
    message: str = ""
    schema_version: int = SCHEMA_VERSION

    @property
    def has_sound(self) -> bool:
        """Whether there is anything to match (``status == "ok"``)."""
        return self.status == "ok" and len(self) > 0

    def __post_init__(self) -> None:
        for name, dtype in _ARRAYS.items():
            object.__setattr__(self, name, _decode(getattr(self, name), dtype))
        if not self.times.shape == self.freqs.shape == self.strengths.shape:
            raise ValueError("audio fingerprint arrays differ in length")

    def __len__(self) -> int:
        return int(self.times.shape[0])

    @property
    def nbytes(self) -> int:
        """Bytes the peak arrays take (what a library stores)."""
        return int(sum(getattr(self, name).nbytes for name in _ARRAYS))

    def reference_mask(self) -> np.ndarray:
        """The peaks a reference indexes: the ``reference_share`` most prominent of each second."""
        keep = max(1, round(self.settings.peaks_per_second * self.settings.reference_share))
        second = np.floor(self.times).astype(np.int64)
        order = np.lexsort((-self.strengths.astype(np.float32), second))
        sec = second[order]
        rank = np.arange(order.size) - np.searchsorted(sec, sec, side="left")
        mask = np.zeros(order.size, bool)
        mask[order[rank < keep]] = True
        return mask

    def reference_hashes(self) -> tuple[np.ndarray, np.ndarray]:
        """(hashes uint64, anchor frames uint32) this fingerprint contributes to an index."""
        m = self.reference_mask()
        return reference_hashes(self.times[m], self.freqs[m], self.settings)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; arrays as ``{"dtype", "shape", "base64"}`` (little-endian)."""
        from ..serial import to_jsonable

        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = _encode(value) if isinstance(value, np.ndarray) else to_jsonable(value)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AudioFingerprint:
        """Inverse of :meth:`to_dict`; also reads plain lists (``verify.serial``)."""
        from ..serial import from_jsonable

        plain = {k: v for k, v in data.items() if k not in _ARRAYS}
        fp = from_jsonable(cls, {**plain, **{k: [] for k in _ARRAYS}})
        return replace(fp, **{k: data[k] for k in _ARRAYS if k in data})


class AudioFingerprinter:
    """Push-style fingerprinting, for a caller that runs its own demux loop.

    ``add_frame(frame)`` takes every decoded ``av.AudioFrame`` of one audio stream, in order, of any
    sample format, layout and rate, even when those change mid-stream (FFmpeg resamples to mono
    ``settings.rate``; a frame that cannot be resampled is counted in ``bad_packets`` and skipped).
    ``add_packet(packet)`` decodes a demuxed packet of that stream and adds its frames (decode
    errors counted, never raised). ``add(samples)`` takes mono float32 samples at ``settings.rate``
    instead; use one way for a stream.
    Each call costs one swresample pass and a list append; spectra are computed per 16k samples.
    ``finish()`` never raises for lack of sound: it returns a fingerprint whose ``status`` is
    ``"no-sound"`` (nothing given), ``"undecodable"`` (nothing decoded) or ``"silent"`` (nothing to
    fingerprint), with a ``message``.
    Memory stays flat whatever the length.
    """

    def __init__(self, settings: AudioSettings = DEFAULT, *, stream: dict[str, Any] | None = None) -> None:
        settings.check()
        self.settings = settings
        self.stream = dict(stream or {})
        self.start_time: float | None = None
        self.bad_packets = 0
        self.last_error = ""
        self._peaks = PeakExtractor(settings)
        self._resampler: av.AudioResampler | None = None

    @classmethod
    def for_stream(
        cls, stream: av.audio.stream.AudioStream, settings: AudioSettings = DEFAULT
    ) -> AudioFingerprinter:
        """A fingerprinter for the frames of ``stream`` (its codec, rate and layout recorded, and its
        start time: ``fp.start_time - video_start`` is the file's lead in ``verify.matching.fusion``)."""
        fp = cls(settings, stream=describe(stream))
        if stream.start_time is not None and stream.time_base:
            fp.start_time = float(stream.start_time * stream.time_base)
        return fp

    def add(self, samples: np.ndarray, start_time: float | None = None) -> None:
        if self.start_time is None and start_time is not None:
            self.start_time = float(start_time)
        self._peaks.push(samples)

    def add_packet(self, packet: av.Packet) -> None:
        """Decode one demuxed audio packet and add its frames; a packet that does not decode is
        counted in ``bad_packets`` and skipped (after ``MAX_BAD_PACKETS`` the sound is given up:
        later packets are ignored and the picture goes on)."""
        if self.bad_packets > MAX_BAD_PACKETS:
            return
        try:
            frames = packet.decode()
        except (av.error.FFmpegError, ValueError) as exc:
            self.bad_packets += 1
            self.last_error = f"decode: {exc}"
            return
        for frame in frames:
            self.add_frame(frame)  # type: ignore[arg-type]

    def add_frame(self, frame: av.AudioFrame) -> None:
        if self._resampler is None:
            self._resampler = resampler(self.settings.rate)
            if self.start_time is None and frame.time is not None:
                self.start_time = float(frame.time)
            self.stream.setdefault("sample_rate", frame.sample_rate)
            self.stream.setdefault("channels", frame.layout.nb_channels)
            self.stream.setdefault("layout", frame.layout.name)
        try:
            out = self._resampler.resample(frame)
        except (av.error.FFmpegError, ValueError) as exc:
            # the layout or rate changed mid-stream: a new resampler takes the new format
            self._resampler = resampler(self.settings.rate)
            try:
                out = self._resampler.resample(frame)
            except (av.error.FFmpegError, ValueError) as exc2:
                self.bad_packets += 1
                self.last_error = str(exc2 or exc)
                return
        self._peaks.push(to_samples(out))

    def finish(self, *, sha256: str = "") -> AudioFingerprint:
        if self._resampler is not None:
            try:
                self._peaks.push(to_samples(self._resampler.resample(None)))
            except (av.error.FFmpegError, ValueError) as exc:  # pragma: no cover - flushing rarely fails
                self.last_error = str(exc)
        times, freqs, strengths = self._peaks.finish()
        duration = self._peaks.n_samples / self.settings.rate
        status, message = "ok", ""
        if self._peaks.n_samples == 0 and self.bad_packets:
            status = "undecodable"
            message = (
                f"its sound did not decode ({self.bad_packets} bad audio packets; last: {self.last_error})"
            )
        elif self._peaks.n_samples == 0:
            status = "no-sound"
            message = "no sound was decoded"
        elif times.size == 0:
            status = "silent"
            message = (
                f"{duration:.1f} s of sound, none of it distinct enough to fingerprint "
                "(silence, room tone or a steady tone)"
            )
        return AudioFingerprint(
            algorithm=ALGORITHM,
            settings=self.settings,
            times=times,
            freqs=freqs,
            strengths=strengths,
            duration=duration,
            loud_seconds=self._peaks.loud_seconds,
            sample_rate=self.settings.rate,
            stream=self.stream,
            start_time=self.start_time or 0.0,
            bad_packets=self.bad_packets,
            sha256=sha256,
            status=status,
            message=message,
        )


def audio_fingerprint(
    path: str | Path,
    settings: AudioSettings = DEFAULT,
    progress: Callable[[float, float], None] | None = None,
    *,
    max_bytes: int | None = None,
    sha256: str = "",
) -> AudioFingerprint:
    """Fingerprint the sound of a file in one streamed decode.

    Raises ``NoAudioStreamError`` when the file has no sound (the caller can go on with the
    picture only), ``AudioDecodeError`` when its sound cannot be decoded, and the usual file
    errors (missing, empty, not media, too large). ``progress(done, total)`` gets seconds.
    """
    settings.check()
    stats = AudioStats()
    fp = AudioFingerprinter(settings)
    for block in iter_audio(path, settings.rate, max_bytes=max_bytes, stats=stats, progress=progress):
        fp.add(block)
    fp.stream = stats.stream
    fp.start_time = stats.start_time
    fp.bad_packets = stats.bad_packets
    return fp.finish(sha256=sha256)
