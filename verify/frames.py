"""Decode and sample frames from a video without loading the clip.

The frame format, written down once for all of verify
-----------------------------------------------------
A frame's picture is a C-contiguous ``numpy.ndarray`` of ``uint8``:

* colour: shape ``(height, width, 3)``, channels in **RGB** order;
* gray:   shape ``(height, width)``, full-range luma (0 black, 255 white) as FFmpeg converts it.

Pictures are **upright**: the container's display-matrix rotation has been
applied (a phone clip shot in portrait comes out portrait), and so has the EXIF
orientation of a still, mirrored ones included. Scaling and pixel-format
conversion happen inside FFmpeg (one ``VideoReformatter`` reused for the whole
clip); full-size RGB only reaches Python when a caller asks for it.

``Frame.time`` is the presentation time in seconds taken from the stream's own
timestamps (``pts * time_base``), so variable-frame-rate clips and streams that
do not start at zero keep their true times; ``DecodeStats.start_time`` holds the
stream start, and ``time - start_time`` is what a player shows. ``Frame.index``
is the position of the frame in presentation order among all decoded frames (for
``keyframes`` and ``times`` sampling, where not every frame is decoded, it is
estimated from the time and the average frame rate).

Stills (JPEG, PNG, WebP, TIFF, …) decode as a one-frame video at time 0. HEIF/HEIC
pictures are tiled grids FFmpeg hands out tile by tile; they are decoded whole
with pillow-heif when it is installed, else refused with ``UnsupportedCodecError``.
"""

from __future__ import annotations

import itertools
import logging
import math
import struct
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, NamedTuple

import av
import av.error
import numpy as np
from av.video.reformatter import VideoReformatter

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
#: In ``times`` mode, decode forward instead of seeking when the next time is this close (seconds).
SEEK_GAP = 2.0
_HEIF_BRANDS = {"heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1"}
_PIL_ERRORS = (OSError, ValueError, SyntaxError, KeyError, TypeError, IndexError, struct.error)


class Frame(NamedTuple):
    """One decoded picture: ``(time, index, image)``; unpacks like a tuple."""

    time: float
    index: int
    image: np.ndarray


@dataclass(frozen=True)
class Sampling:
    """Which frames to take and at what size.

    ``mode``: ``"all"`` every frame; ``"fps"`` the first frame at or after each
    multiple of ``1/fps`` seconds from the first frame; ``"keyframes"`` only the
    frames the encoder made independent (fast: the others are not decoded, but
    their positions differ between re-encodes); ``"times"`` the frame on screen
    at each of ``times`` (seconds from the stream start), one per time, in
    ascending order of the times asked.

    Size: ``width``/``height`` give the output size; if only one is set the other
    follows the aspect ratio; ``max_side`` bounds the longer side instead (never
    enlarges). Sizes refer to the upright picture. None of them means the stored size.
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
        if any(not math.isfinite(t) for t in self.times):
            raise ValueError("times must be finite numbers of seconds")
        for name in ("width", "height", "max_side"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be at least 1")


@dataclass
class DecodeStats:
    """Counters a caller can pass in to learn what decoding went through.

    ``rotation`` is the display-matrix rotation (degrees counter-clockwise, 0/90/180/270)
    and ``orientation`` the EXIF-style transform (1–8) that was applied to make frames
    upright; ``width``/``height`` are the stored (unrotated) size; ``start_time`` the
    stream start in seconds; ``duration`` and ``rate`` what the container claims.
    """

    decoded: int = 0
    yielded: int = 0
    corrupt: int = 0
    rotation: int = 0
    width: int = 0
    height: int = 0
    last_error: str = ""
    errors: list[str] = field(default_factory=list)
    orientation: int = 1
    start_time: float = 0.0
    duration: float = 0.0
    rate: float = 0.0
    codec: str = ""


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


# -- orientation ---------------------------------------------------------------------------


def _rotation_of(frame: av.VideoFrame) -> int:
    """Display-matrix rotation, degrees counter-clockwise, snapped to 0/90/180/270."""
    try:
        rot = frame.rotation
    except (AttributeError, ValueError):
        return 0
    if rot is None or not math.isfinite(rot):
        return 0
    return round(rot / 90.0) * 90 % 360


def orientation_of_rotation(rotation: int) -> int:
    """EXIF orientation code that shows a picture stored with this display rotation upright."""
    return {0: 1, 90: 8, 180: 3, 270: 6}.get(rotation % 360, 1)


def apply_orientation(img: np.ndarray, orientation: int) -> np.ndarray:
    """Transform a stored picture to upright, as EXIF orientation ``orientation`` (1–8) says.

    Matches ``PIL.ImageOps.exif_transpose``: 2 mirror, 3 rotate 180, 4 flip, 5 transpose,
    6 rotate 90° clockwise, 7 transverse, 8 rotate 90° counter-clockwise.
    """
    if orientation == 2:
        out = img[:, ::-1]
    elif orientation == 3:
        out = img[::-1, ::-1]
    elif orientation == 4:
        out = img[::-1]
    elif orientation == 5:
        out = img.swapaxes(0, 1)
    elif orientation == 6:
        out = np.rot90(img, k=-1)
    elif orientation == 7:
        out = img[::-1, ::-1].swapaxes(0, 1)
    elif orientation == 8:
        out = np.rot90(img, k=1)
    else:
        return img
    return np.ascontiguousarray(out)


def _still_orientation(path: Path) -> int | None:
    """EXIF orientation of a still image via Pillow (reads tags, not pixels), or None."""
    from PIL import Image  # deferred: only stills need it

    try:
        with Image.open(path) as im:
            value = im.getexif().get(0x0112)
    except _PIL_ERRORS:
        return None
    return value if isinstance(value, int) and 1 <= value <= 8 else None


def _is_still_format(container: av.container.InputContainer) -> bool:
    name = container.format.name or ""
    return name == "image2" or name.endswith("_pipe")


def _is_heif(container: av.container.InputContainer) -> bool:
    name = container.format.name or ""
    brand = str(container.metadata.get("major_brand", "")).strip().lower()
    return "mp4" in name and brand in _HEIF_BRANDS


# -- conversion ----------------------------------------------------------------------------


def _output_size(w: int, h: int, rotation: int, s: Sampling) -> tuple[int, int]:
    """Size to ask FFmpeg for, in stored orientation; ``rotation`` 90/270 (or a swapping
    EXIF transform passed as 90) means the upright picture has width and height swapped."""
    swap = rotation in (90, 270)
    up_w, up_h = (h, w) if swap else (w, h)
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
    return (out_h, out_w) if swap else (out_w, out_h)


def to_array(
    frame: av.VideoFrame,
    sampling: Sampling,
    rotation: int,
    *,
    orientation: int | None = None,
    reformatter: VideoReformatter | None = None,
) -> np.ndarray:
    """Scale/convert inside FFmpeg, then make upright (cheap on the small result).

    ``orientation`` (EXIF code 1–8) overrides ``rotation`` (display matrix, degrees
    counter-clockwise). Pass one ``reformatter`` for a whole clip: FFmpeg then keeps
    its scaler set up instead of building a new one for every frame.
    """
    code = orientation if orientation is not None else orientation_of_rotation(rotation)
    w, h = _output_size(frame.width, frame.height, 90 if code >= 5 else 0, sampling)
    fmt = sampling.pixel_format
    if (w, h) == (frame.width, frame.height) and frame.format.name == fmt:
        img = frame.to_ndarray()
    else:
        rf = reformatter if reformatter is not None else VideoReformatter()
        img = rf.reformat(frame, width=w, height=h, format=fmt, interpolation="AREA").to_ndarray()
    return np.ascontiguousarray(apply_orientation(img, code))


# -- decoding ------------------------------------------------------------------------------


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
    called with ``(seconds decoded, duration)`` every few frames (``(done, total)``
    times asked in ``times`` mode). Every failure is a ``VerifyError``.
    """
    sampling = sampling or Sampling()
    stats = stats if stats is not None else DecodeStats()
    p = check_file(path, max_bytes)
    container = open_container(p)
    try:
        if _is_heif(container):
            yield from _heif_frames(p, sampling, stats)
            return
        stream = video_stream(container, p)
        codec_ctx = stream.codec_context
        if codec_ctx is None or codec_ctx.codec is None:
            raise UnsupportedCodecError("no decoder for this video codec", path=p)
        stats.codec = codec_ctx.name or ""
        stream.thread_type = "AUTO"
        if sampling.mode == "keyframes":
            codec_ctx.skip_frame = "NONKEY"
        stats.duration = _duration(container, stream)
        stats.start_time = _stream_start(stream)
        stats.rate = float(stream.average_rate or stream.guessed_rate or 25)
        orientation = _still_orientation(p) if _is_still_format(container) else None
        if sampling.mode == "times":
            yield from _at_times(container, stream, p, sampling, stats, max_corrupt, orientation, progress)
        else:
            yield from _sequential(container, stream, p, sampling, stats, max_corrupt, orientation, progress)
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
    packets = container.demux(stream)
    while True:
        try:
            packet = next(packets)
        except (StopIteration, av.error.EOFError):
            break
        except av.error.FFmpegError as exc:
            _corrupt(stats, f"demux: {exc}", path, max_corrupt)
            if stats.decoded == 0 and stats.corrupt > 3:
                raise TruncatedMediaError(f"no readable video data ({exc})", path=path) from exc
            continue
        try:
            frames = packet.decode()
        except av.error.DecoderNotFoundError as exc:  # pragma: no cover - depends on FFmpeg build
            raise UnsupportedCodecError(f"no decoder ({exc})", path=path) from exc
        except av.error.FFmpegError as exc:
            _corrupt(stats, f"decode: {exc}", path, max_corrupt)
            continue
        for frame in frames:
            if frame.is_corrupt:
                _corrupt(stats, "decoder flagged a corrupt frame", path, max_corrupt)
                continue
            if frame.pts is None or frame.time is None:
                continue
            stats.decoded += 1
            yield frame


def _corrupt(stats: DecodeStats, message: str, path: Path, max_corrupt: int) -> None:
    stats.corrupt += 1
    stats.last_error = message
    if len(stats.errors) < 20:
        stats.errors.append(message)
    log.debug("%s: skipped a corrupt frame (%s)", path, message)
    if stats.corrupt > max_corrupt:
        raise DecodeError(f"gave up after {stats.corrupt} corrupt frames (last: {message})", path=path)


def _convert(
    frame: av.VideoFrame,
    sampling: Sampling,
    stats: DecodeStats,
    orientation: int,
    reformatter: VideoReformatter,
    path: Path,
    max_corrupt: int,
) -> np.ndarray | None:
    try:
        return to_array(frame, sampling, 0, orientation=orientation, reformatter=reformatter)
    except (av.error.FFmpegError, ValueError) as exc:  # odd pixel formats, broken frame sizes
        _corrupt(stats, f"convert: {exc}", path, max_corrupt)
        return None


def _note_geometry(frame: av.VideoFrame, stats: DecodeStats, orientation: int | None) -> int:
    stats.rotation = _rotation_of(frame)
    stats.width, stats.height = frame.width, frame.height
    stats.orientation = orientation if orientation is not None else orientation_of_rotation(stats.rotation)
    return stats.orientation


def _sequential(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    path: Path,
    sampling: Sampling,
    stats: DecodeStats,
    max_corrupt: int,
    orientation: int | None,
    progress: Callable[[float, float], None] | None,
) -> Iterator[Frame]:
    start, rate, duration = stats.start_time, stats.rate, stats.duration
    step = 1.0 / sampling.fps if sampling.mode == "fps" else 0.0
    first: float | None = None
    next_slot = 0  # fps mode: the next sample is the first frame at or after first + next_slot * step
    code: int | None = None
    reformatter = VideoReformatter()
    index = -1
    for frame in _decoded(container, stream, path, stats, max_corrupt):
        index += 1
        t = float(frame.time)
        if code is None:
            code = _note_geometry(frame, stats, orientation)
        if progress is not None and index % 30 == 0:
            progress(min(max(0.0, t - start), duration or math.inf), duration)
        if sampling.mode == "fps":
            if first is None:
                first = t
            if t < first + next_slot * step - 1e-6:
                continue
            next_slot = math.floor((t - first) / step + 1e-6) + 1
        img = _convert(frame, sampling, stats, code, reformatter, path, max_corrupt)
        if img is None:
            continue
        out_index = index if sampling.mode != "keyframes" else max(0, round((t - start) * rate))
        stats.yielded += 1
        yield Frame(t, out_index, img)
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
    orientation: int | None,
    progress: Callable[[float, float], None] | None,
) -> Iterator[Frame]:
    """The frame on screen at each requested time (times relative to the stream start).

    Seeks to the keyframe before a time, then decodes forward; times less than
    ``SEEK_GAP`` apart share one forward run. Times past the end give the last frame.
    """
    start, rate = stats.start_time, stats.rate
    wanted_all = sorted(max(0.0, float(w)) for w in sampling.times)
    reformatter = VideoReformatter()
    frames: Iterator[av.VideoFrame] = iter(())
    shown: av.VideoFrame | None = None  # last frame at or before the previous target
    ahead: av.VideoFrame | None = None  # the frame after it, decoded but not used yet
    code: int | None = None
    for done, wanted in enumerate(wanted_all):
        target = start + wanted
        reached = ahead or shown
        if reached is None or target > reached.time + SEEK_GAP:
            frames = _seek(container, stream, path, stats, max_corrupt, target, wanted)
            shown = ahead = None
        while True:
            if ahead is None:
                ahead = next(frames, None)
                if ahead is None:  # end of the clip
                    break
            if ahead.time > target + 1e-6:
                break
            shown, ahead = ahead, None
            if shown.time >= target - 1e-6:
                break
        picked = shown or ahead  # no frame before the target: the first one is what shows
        if progress is not None:
            progress(done + 1, len(wanted_all))
        if picked is None:
            continue
        if code is None:
            code = _note_geometry(picked, stats, orientation)
        img = _convert(picked, sampling, stats, code, reformatter, path, max_corrupt)
        if img is None:
            continue
        stats.yielded += 1
        t = float(picked.time)
        yield Frame(t, max(0, round((t - start) * rate)), img)
    if wanted_all and stats.decoded == 0:
        raise TruncatedMediaError("no frame could be decoded", path=path)


def _seek(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    path: Path,
    stats: DecodeStats,
    max_corrupt: int,
    target: float,
    wanted: float,
) -> Iterator[av.VideoFrame]:
    """Frames from the keyframe at or before ``target`` on. Some demuxers (MPEG-TS) land
    after the time asked: then seek again further back, down to the stream start."""
    back = 0.0
    while True:
        position = max(stats.start_time, target - back)
        try:
            if position > stats.start_time:
                container.seek(
                    int(position / stream.time_base), stream=stream, backward=True, any_frame=False
                )
            else:  # rewind to the top of the file (MPEG-TS can skip a lone keyframe when seeking to it)
                container.seek(0)
        except av.error.FFmpegError as exc:
            raise DecodeError(f"cannot seek to {wanted:.3f} s ({exc})", path=path) from exc
        stream.codec_context.flush_buffers()
        frames = _decoded(container, stream, path, stats, max_corrupt)
        first = next(frames, None)
        if first is None or first.time <= target + 1e-6 or position <= stats.start_time:
            return itertools.chain([first] if first is not None else [], frames)
        back = max(1.0, back * 4)


def _heif_frames(path: Path, sampling: Sampling, stats: DecodeStats) -> Iterator[Frame]:
    """A HEIF/HEIC still, decoded whole (all tiles) by pillow-heif, as one frame at time 0."""
    try:
        import pillow_heif
    except ImportError as exc:
        raise UnsupportedCodecError(
            "HEIF/HEIC pictures need the pillow-heif package (pip install pillow-heif)", path=path
        ) from exc
    try:
        heif = pillow_heif.open_heif(str(path), convert_hdr_to_8bit=True)
        picture = heif.to_pillow().convert("RGB")  # irot/imir already applied by libheif
    except (*_PIL_ERRORS, EOFError, RuntimeError) as exc:
        raise NotMediaError(f"the HEIF/HEIC picture cannot be decoded ({exc})", path=path) from exc
    frame = av.VideoFrame.from_image(picture)
    stats.width, stats.height, stats.codec = frame.width, frame.height, "hevc"
    stats.decoded = 1
    stats.yielded += 1
    yield Frame(0.0, 0, to_array(frame, sampling, 0))


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
