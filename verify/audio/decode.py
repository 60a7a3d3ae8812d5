"""Decoding a file's sound with PyAV: the first audio stream, resampled to mono inside FFmpeg.

``iter_audio(path, rate)`` yields ``(start_seconds, samples)`` blocks of mono float32 samples at
``rate`` Hz as packets are decoded (one ``av.AudioResampler`` for the whole stream: downmix,
resampling and format conversion happen in FFmpeg's swresample); nothing holds the whole track.
Errors: ``NoAudioStreamError`` (picture only), ``AudioDecodeError`` (a track that will not decode),
plus the file errors of ``verify.frames.check_file``/``open_container``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import av.error
import numpy as np

from ..errors import AudioDecodeError, NoAudioStreamError
from ..frames import check_file, open_container

log = logging.getLogger("verify")

#: Give up after this many packets that fail to demux or decode.
MAX_BAD_PACKETS = 50


@dataclass
class AudioStats:
    """What decoding went through; ``stream`` describes the source stream."""

    stream: dict[str, Any] = field(default_factory=dict)
    start_time: float = 0.0
    duration: float = 0.0
    packets: int = 0
    bad_packets: int = 0
    last_error: str = ""


def audio_stream(container: av.container.InputContainer, path: Path) -> av.audio.stream.AudioStream:
    """The file's main audio stream (the default-disposition one, else the first), or NoAudioStreamError."""
    streams = list(container.streams.audio)
    if not streams:
        raise NoAudioStreamError("the file has no audio stream", path=path)
    default = [s for s in streams if s.disposition & av.stream.Disposition.default]
    return (default or streams)[0]


def describe(stream: av.audio.stream.AudioStream) -> dict[str, Any]:
    ctx = stream.codec_context
    return {
        "index": stream.index,
        "codec": ctx.name if ctx is not None else "",
        "sample_rate": int(stream.rate or 0),
        "channels": int(stream.channels or 0),
        "layout": stream.layout.name if stream.layout is not None else "",
    }


def resampler(rate: int) -> av.AudioResampler:
    return av.AudioResampler(format="flt", layout="mono", rate=rate)


def to_samples(frames: list[av.AudioFrame]) -> np.ndarray:
    """Mono float32 samples of resampled (``flt``, mono) frames."""
    if not frames:
        return np.zeros(0, np.float32)
    arrays = [f.to_ndarray().reshape(-1) for f in frames]
    return np.concatenate(arrays).astype(np.float32, copy=False) if len(arrays) > 1 else arrays[0]


def iter_audio(
    path: str | Path,
    rate: int,
    *,
    max_bytes: int | None = None,
    stats: AudioStats | None = None,
    progress: Callable[[float, float], None] | None = None,
    max_bad: int = MAX_BAD_PACKETS,
) -> Iterator[np.ndarray]:
    """Mono float32 sample blocks at ``rate`` Hz, in order, from the file's main audio stream."""
    p = check_file(path, max_bytes)
    stats = stats if stats is not None else AudioStats()
    with open_container(p, audio=True) as container:  # audio-only containers (wav, flac, mp3) too
        stream = audio_stream(container, p)
        stats.stream = describe(stream)
        if stream.time_base and stream.start_time is not None:
            stats.start_time = float(stream.start_time * stream.time_base)
        if stream.duration is not None and stream.time_base:
            stats.duration = float(stream.duration * stream.time_base)
        elif container.duration:
            stats.duration = container.duration / av.time_base
        rs = resampler(rate)
        decoded = 0
        packets = container.demux(stream)
        while True:
            try:
                packet = next(packets)
            except (StopIteration, av.error.EOFError):
                break
            except av.error.FFmpegError as exc:
                _bad(stats, f"demux: {exc}", p, max_bad)
                if decoded == 0 and stats.bad_packets > 3:
                    raise AudioDecodeError(f"no readable audio data ({exc})", path=p) from exc
                continue
            stats.packets += 1
            try:
                frames = packet.decode()
            except av.error.DecoderNotFoundError as exc:  # pragma: no cover - depends on the FFmpeg build
                raise AudioDecodeError(
                    f"no decoder for its {stats.stream.get('codec')} audio", path=p
                ) from exc
            except (av.error.FFmpegError, ValueError) as exc:
                _bad(stats, f"decode: {exc}", p, max_bad)
                continue
            for frame in frames:
                try:
                    out = rs.resample(frame)
                except (av.error.FFmpegError, ValueError) as exc:  # a frame whose layout changed mid-stream
                    _bad(stats, f"resample: {exc}", p, max_bad)
                    rs = resampler(rate)
                    continue
                samples = to_samples(out)
                if samples.size:
                    decoded += samples.size
                    yield samples
            if progress is not None and stats.packets % 200 == 0:
                progress(min(decoded / rate, stats.duration or decoded / rate), stats.duration)
        tail = to_samples(rs.resample(None))
        if tail.size:
            decoded += tail.size
            yield tail
    if decoded == 0:
        detail = f" (last error: {stats.last_error})" if stats.last_error else ""
        raise AudioDecodeError(
            f"its {stats.stream.get('codec') or 'audio'} stream decoded to no sound{detail}", path=p
        )
    if progress is not None:
        progress(decoded / rate, decoded / rate)


def _bad(stats: AudioStats, message: str, path: Path, max_bad: int) -> None:
    stats.bad_packets += 1
    stats.last_error = message
    log.debug("%s: skipped an audio packet (%s)", path, message)
    if stats.bad_packets > max_bad:
        raise AudioDecodeError(
            f"gave up after {stats.bad_packets} bad audio packets (last: {message})", path=path
        )
