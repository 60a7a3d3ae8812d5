"""Decode and sample frames from a video without loading the clip.

The frame format, written down once for all of verify
-----------------------------------------------------
A frame's picture is a C-contiguous ``numpy.ndarray`` of ``uint8``:

* colour: shape ``(height, width, 3)``, channels in **RGB** order;
* gray:   shape ``(height, width)``, luma (BT.601 as FFmpeg converts it).

Pictures are **upright**: the container's display-matrix rotation has been
applied, so a phone clip shot in portrait comes out portrait. Scaling and pixel
format conversion happen inside FFmpeg (``VideoFrame.to_ndarray(width=, height=,
format=)``); full-size RGB only reaches Python when a caller asks for it.

``Frame.time`` is the presentation time in seconds taken from the stream's own
timestamps (``pts * time_base``), so variable-frame-rate clips and streams that do
not start at zero keep their true times. ``Frame.index`` is the position of the
frame in presentation order among all decoded frames (for ``keyframes`` and
``times`` sampling, where not every frame is decoded, it is estimated from the
time and the average frame rate).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, NamedTuple

import av
import av.error
import numpy as np

from .errors import (
    DecodeError,
    EmptyFileError,
    FileTooLargeError,
    MediaNotFoundError,
    NotMediaError,
    NoVideoStreamError,
    TruncatedMediaError,
    UnsupportedCodecError,
)

log = logging.getLogger("verify")

Mode = Literal["all", "fps", "keyframes", "times"]
PixelFormat = Literal["rgb24", "gray"]

#: Default cap on skipped corrupt frames before decoding gives up.
MAX_CORRUPT_FRAMES = 50


class Frame(NamedTuple):
    """One decoded picture: ``(time, index, image)``; unpacks like a tuple."""

    time: float
    index: int
    image: np.ndarray


@dataclass(frozen=True)
class Sampling:
    """Which frames to take and at what size.

    ``mode``: ``"all"`` every frame; ``"fps"`` the first frame at or after each
    multiple of ``1/fps`` seconds; ``"keyframes"`` only the frames the encoder
    made independent (fast: the others are not decoded); ``"times"`` the frame
    shown at each of ``times``.

    Size: ``width``/``height`` give the output size; if only one is set the other
    follows the aspect ratio; ``max_side`` bounds the longer side instead. Sizes
    refer to the upright picture. None of them means the stored size.
    """

    mode: Mode = "all"
    fps: float = 1.0
    times: tuple[float, ...] = ()
    width: int | None = None
    height: int | None = None
    max_side: int | None = None
    pixel_format: PixelFormat = "rgb24"

    def __post_init__(self) -> None:
        if self.mode not in ("all", "fps", "keyframes", "times"):
            raise ValueError(f"unknown sampling mode {self.mode!r}")
        if self.mode == "fps" and not (self.fps > 0 and math.isfinite(self.fps)):
            raise ValueError("fps must be a positive number")
        if self.pixel_format not in ("rgb24", "gray"):
            raise ValueError(f"unknown pixel format {self.pixel_format!r}")


@dataclass
class DecodeStats:
    """Counters a caller can pass in to learn what decoding went through."""

    decoded: int = 0
    yielded: int = 0
    corrupt: int = 0
    rotation: int = 0
    width: int = 0
    height: int = 0
    last_error: str = ""
    errors: list[str] = field(default_factory=list)


def check_file(path: str | Path, max_bytes: int | None = None) -> Path:
    """Raise the right error for a missing, empty or too-large file."""
    p = Path(path)
    if not p.exists():
        raise MediaNotFoundError("no such file", path=p)
    if not p.is_file():
        raise NotMediaError("is a folder or device, not a file", path=p)
    size = p.stat().st_size
    if size == 0:
        raise EmptyFileError("the file is empty (0 bytes)", path=p)
    if max_bytes is not None and size > max_bytes:
        raise FileTooLargeError(f"the file is {size:,} bytes, over the limit of {max_bytes:,}", path=p)
    return p


def open_container(path: Path) -> av.container.InputContainer:
    """Open a media file with PyAV, mapping its errors to verify's."""
    try:
        return av.open(str(path), metadata_errors="replace")
    except av.error.InvalidDataError as exc:
        raise NotMediaError(f"not a media file FFmpeg can read ({exc.strerror or exc})", path=path) from exc
    except av.error.FFmpegError as exc:
        raise NotMediaError(f"cannot be opened as media ({exc})", path=path) from exc
    except UnicodeDecodeError as exc:
        raise NotMediaError(f"cannot be opened as media ({exc})", path=path) from exc


def video_stream(container: av.container.InputContainer, path: Path) -> av.video.stream.VideoStream:
    """The main video stream (not cover art), or NoVideoStreamError."""
    streams = [s for s in container.streams.video if not (s.disposition & av.stream.Disposition.attached_pic)]
    if not streams:
        raise NoVideoStreamError("the file has no video stream", path=path)
    return streams[0]


def _rotation_of(frame: av.VideoFrame) -> int:
    try:
        rot = frame.rotation
    except (AttributeError, ValueError):
        return 0
    if rot is None or not math.isfinite(rot):
        return 0
    return int(round(rot / 90.0)) * 90 % 360


def _output_size(w: int, h: int, rotation: int, s: Sampling) -> tuple[int, int]:
    """Size to ask FFmpeg for, in stored (unrotated) orientation."""
    up_w, up_h = (h, w) if rotation in (90, 270) else (w, h)
    if s.width and s.height:
        out_w, out_h = s.width, s.height
    elif s.width:
        out_w, out_h = s.width, max(1, round(up_h * s.width / up_w))
    elif s.height:
        out_w, out_h = max(1, round(up_w * s.height / up_h)), s.height
    elif s.max_side and max(up_w, up_h) > s.max_side:
        k = s.max_side / max(up_w, up_h)
        out_w, out_h = max(1, round(up_w * k)), max(1, round(up_h * k))
    else:
        out_w, out_h = up_w, up_h
    return (out_h, out_w) if rotation in (90, 270) else (out_w, out_h)


def to_array(frame: av.VideoFrame, sampling: Sampling, rotation: int) -> np.ndarray:
    """Scale/convert inside FFmpeg, then rotate upright (cheap on the small result)."""
    w, h = _output_size(frame.width, frame.height, rotation, sampling)
    if (w, h) == (frame.width, frame.height):
        img = frame.to_ndarray(format=sampling.pixel_format)
    else:
        img = frame.to_ndarray(width=w, height=h, format=sampling.pixel_format, interpolation="AREA")
    if rotation:
        img = np.rot90(img, k=rotation // 90)
    return np.ascontiguousarray(img)


def iter_frames(
    path: str | Path,
    sampling: Sampling | None = None,
    *,
    max_corrupt: int = MAX_CORRUPT_FRAMES,
    max_bytes: int | None = None,
    stats: DecodeStats | None = None,
    progress: Callable[[float, float], None] | None = None,
) -> Iterator[Frame]:
    """Yield ``Frame(time, index, image)`` from the first video stream of ``path``.

    Frames are decoded with FFmpeg's own threads (``thread_type="AUTO"``).
    Corrupt packets and frames are skipped and counted in ``stats``; after
    ``max_corrupt`` of them a :class:`DecodeError` is raised. ``progress`` is
    called with ``(seconds decoded, duration)`` every few frames.
    """
    sampling = sampling or Sampling()
    stats = stats if stats is not None else DecodeStats()
    p = check_file(path, max_bytes)
    container = open_container(p)
    try:
        stream = video_stream(container, p)
        codec_ctx = stream.codec_context
        if codec_ctx is None or codec_ctx.codec is None:
            raise UnsupportedCodecError("no decoder for this video codec", path=p)
        stream.thread_type = "AUTO"
        if sampling.mode == "keyframes":
            codec_ctx.skip_frame = "NONKEY"
        duration = _duration(container, stream)
        if sampling.mode == "times":
            yield from _at_times(container, stream, p, sampling, stats, max_corrupt)
        else:
            yield from _sequential(container, stream, p, sampling, stats, max_corrupt, duration, progress)
    finally:
        container.close()


def _duration(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> float:
    if stream.duration is not None and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / av.time_base
    return 0.0


def _stream_start(stream: av.video.stream.VideoStream) -> float:
    if stream.start_time is not None and stream.time_base:
        return float(stream.start_time * stream.time_base)
    return 0.0


def _decoded(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    path: Path,
    stats: DecodeStats,
    max_corrupt: int,
) -> Iterator[av.VideoFrame]:
    """Decoded frames in presentation order, corrupt ones skipped and counted."""

    def corrupt(message: str) -> None:
        stats.corrupt += 1
        stats.last_error = message
        if len(stats.errors) < 20:
            stats.errors.append(message)
        if stats.corrupt > max_corrupt:
            raise DecodeError(
                f"gave up after {stats.corrupt} corrupt frames (last: {message})",
                path=path,
            )

    packets = container.demux(stream)
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            break
        except av.error.EOFError:
            break
        except av.error.FFmpegError as exc:
            corrupt(f"demux: {exc}")
            if stats.decoded == 0 and stats.corrupt > 3:
                raise TruncatedMediaError(f"no readable video data ({exc})", path=path) from exc
            continue
        try:
            frames = packet.decode()
        except av.error.DecoderNotFoundError as exc:  # pragma: no cover - depends on FFmpeg build
            raise UnsupportedCodecError(f"no decoder ({exc})", path=path) from exc
        except av.error.FFmpegError as exc:
            corrupt(f"decode: {exc}")
            continue
        for frame in frames:
            if frame.is_corrupt:
                corrupt("decoder flagged a corrupt frame")
                continue
            if frame.pts is None:
                continue
            stats.decoded += 1
            yield frame


def _sequential(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    path: Path,
    sampling: Sampling,
    stats: DecodeStats,
    max_corrupt: int,
    duration: float,
    progress: Callable[[float, float], None] | None,
) -> Iterator[Frame]:
    rate = float(stream.average_rate or stream.guessed_rate or 25)
    start = _stream_start(stream)
    step = 1.0 / sampling.fps if sampling.mode == "fps" else 0.0
    next_time: float | None = None
    rotation: int | None = None
    index = -1
    for frame in _decoded(container, stream, path, stats, max_corrupt):
        index += 1
        t = float(frame.time)
        if rotation is None:
            rotation = _rotation_of(frame)
            stats.rotation, stats.width, stats.height = rotation, frame.width, frame.height
        if progress is not None and index % 30 == 0:
            progress(max(0.0, t - start), duration)
        if sampling.mode == "fps":
            if next_time is None:
                next_time = t
            if t + 1e-6 < next_time:
                continue
            # the next sample is due one step after this one's slot
            next_time += step * max(1, math.floor((t - next_time) / step + 1e-9) + 1)
        out_index = index if sampling.mode != "keyframes" else max(0, round((t - start) * rate))
        stats.yielded += 1
        yield Frame(t, out_index, to_array(frame, sampling, rotation))
    if stats.decoded == 0:
        raise TruncatedMediaError("no frame could be decoded", path=path)
    if progress is not None:
        progress(duration, duration)


def _at_times(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    path: Path,
    sampling: Sampling,
    stats: DecodeStats,
    max_corrupt: int,
) -> Iterator[Frame]:
    """The frame on screen at each requested time (times relative to the stream start)."""
    rate = float(stream.average_rate or stream.guessed_rate or 25)
    start = _stream_start(stream)
    for wanted in sorted(sampling.times):
        target = start + max(0.0, float(wanted))
        try:
            container.seek(int(target / stream.time_base), stream=stream, backward=True, any_frame=False)
        except av.error.FFmpegError as exc:
            raise DecodeError(f"cannot seek to {wanted:.3f} s ({exc})", path=path) from exc
        stream.codec_context.flush_buffers()
        shown: av.VideoFrame | None = None
        for frame in _decoded(container, stream, path, stats, max_corrupt):
            if frame.time > target + 1e-6 and shown is not None:
                break
            shown = frame
            if frame.time >= target - 1e-6:
                break
        if shown is None:
            continue
        rotation = _rotation_of(shown)
        stats.rotation = rotation
        stats.yielded += 1
        t = float(shown.time)
        yield Frame(t, max(0, round((t - start) * rate)), to_array(shown, sampling, rotation))


def sample_times(path: str | Path, times: Sequence[float], sampling: Sampling | None = None) -> list[Frame]:
    """Convenience: the frames shown at ``times`` (seconds from the stream start)."""
    base = sampling or Sampling()
    s = Sampling(
        mode="times",
        times=tuple(times),
        width=base.width,
        height=base.height,
        max_side=base.max_side,
        pixel_format=base.pixel_format,
    )
    return list(iter_frames(path, s))
