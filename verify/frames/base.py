"""The frame model (``Frame``, ``Sampling``, ``DecodeStats``) and opening a media file.

The frame format itself is written down in the package docstring (``verify.frames``).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import av
import av.error
import numpy as np

from ..errors import EmptyFileError, FileTooLargeError, MediaNotFoundError, NotMediaError, NoVideoStreamError
from ..filetype import AUDIO_FORMATS, HEAD_BYTES, Sniffed, ffmpeg_options, is_footage_format, plausible, sniff

Mode = Literal["all", "fps", "keyframes", "times"]
PixelFormat = Literal["rgb24", "gray"]

#: Default cap on skipped corrupt frames before decoding gives up.
MAX_CORRUPT_FRAMES = 50
#: In ``times`` mode, decode forward instead of seeking when the next time is this close (seconds).
SEEK_GAP = 2.0
#: Largest picture decoded, in pixels (Pillow's own decompression-bomb limit, ~9459x9459): FFmpeg's
#: decoders are told so (``max_pixels``), so a file whose header claims 30000x30000 allocates nothing.
MAX_PIXELS = 89_478_485
#: What third-party readers (PyAV/FFmpeg, Pillow, pillow-heif) raise on damaged input; stage
#: boundaries turn these into ``verify.errors`` with ``raise ... from``.
READER_ERRORS: tuple[type[BaseException], ...] = (
    av.error.FFmpegError, OSError, ValueError, IndexError, KeyError, TypeError, AttributeError,
    NotImplementedError, OverflowError, ZeroDivisionError, RuntimeError, EOFError, struct.error,
    SyntaxError, MemoryError, RecursionError, UnicodeError,
)  # fmt: skip


@dataclass(frozen=True, slots=True, eq=False)
class Frame:
    """One decoded picture: ``(time, index, image)``; unpacks like a tuple."""

    time: float
    index: int
    image: np.ndarray

    def __iter__(self) -> Iterator[Any]:
        return iter((self.time, self.index, self.image))


@dataclass(frozen=True)
class Sampling:
    """Which frames to take and at what size.

    ``max_rate`` caps sequential modes at that many frames per second of footage: frames
    nearer in time to the previous one taken than ``1/max_rate`` (on a grid rounded to the
    nearest slot, so ordinary timestamp jitter never drops a frame of footage at or below the
    cap) are skipped before they are converted, so a 1000 fps clip costs what a 60 fps one does.

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
    max_rate: float | None = None

    def __post_init__(self) -> None:
        if self.mode not in ("all", "fps", "keyframes", "times"):
            raise ValueError(f"unknown sampling mode {self.mode!r}")
        if self.mode == "fps" and not (self.fps > 0 and math.isfinite(self.fps)):
            raise ValueError("fps must be a positive number")
        if self.max_rate is not None and not (self.max_rate > 0 and math.isfinite(self.max_rate)):
            raise ValueError("max_rate must be a positive number of frames per second")
        if self.pixel_format not in ("rgb24", "gray"):
            raise ValueError(f"unknown pixel format {self.pixel_format!r}")
        if any(not math.isfinite(t) for t in self.times):
            raise ValueError("times must be finite numbers of seconds")
        for name in ("width", "height", "max_side"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be at least 1")


@dataclass(frozen=True)
class FrameTap:
    """A second picture of some of the frames a decode yields, from the same decode.

    The decoding loop converts each frame it yields to ``sampling``'s size and pixel format and,
    when ``wants(time)`` says so (always when it is None), also to ``picture``'s (its ``mode`` is
    ignored) and calls ``fn(Frame)`` with that picture. With ``every_frame`` the tap is offered
    every decoded frame, not only the sampled ones (e.g. denser shot features than hash samples).
    So a fingerprint (small gray pictures), its shot features and the pictures for keyframes and
    evidence (colour) come from one decode: FFmpeg decodes each frame once and converts it as
    often as there are takers.
    """

    picture: Sampling
    fn: Callable[[Frame], None]
    wants: Callable[[float], bool] | None = None
    every_frame: bool = False


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
    audio_frames: int = 0  # audio frames handed to an audio sink (one pass for picture and sound)
    audio_errors: int = 0
    audio_last_error: str = ""


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


def open_container(path: Path, *, audio: bool = False) -> av.container.InputContainer:
    """Open a media file with PyAV, mapping its errors to verify's.

    Only footage is opened: FFmpeg recognises formats in arbitrary bytes (random data can
    pass for CD Graphics, ANSI art, raw subtitles), so a container whose format is not in
    :data:`verify.filetype.FOOTAGE_FORMATS` is refused (with ``audio``, for the sound's decode,
    :data:`verify.filetype.AUDIO_FORMATS` too). Decoders are held to :data:`MAX_PIXELS`.
    """
    try:
        container = av.open(
            str(path), metadata_errors="replace", options=ffmpeg_options(audio=audio, max_pixels=MAX_PIXELS)
        )
    except (av.error.InvalidDataError, av.error.ArgumentError) as exc:  # EINVAL: not a whitelisted format
        raise NotMediaError(
            f"not a video or picture file verify can read ({exc.strerror or exc})", path=path
        ) from exc
    except PermissionError as exc:
        raise NotMediaError("cannot be read: permission denied", path=path,
                            hint="Check the file's permissions.") from exc  # fmt: skip
    except READER_ERRORS as exc:
        raise NotMediaError(f"cannot be opened as media ({type(exc).__name__}: {exc})", path=path) from exc
    name = container.format.name or ""
    if not plausible(name, _sniff(path)):
        container.close()
        raise NotMediaError(f"is named like a picture but its bytes are not one (FFmpeg: {name})", path=path)
    if not is_footage_format(name) and not (audio and any(p in AUDIO_FORMATS for p in name.split(","))):
        long_name = container.format.long_name or name
        container.close()
        raise NotMediaError(
            f"FFmpeg reads it as {long_name} ({name}), which is not a video or picture format", path=path
        )
    return container


def _sniff(path: Path) -> Sniffed:
    with open(path, "rb") as fh:
        return sniff(fh.read(HEAD_BYTES))


def video_stream(container: av.container.InputContainer, path: Path) -> av.video.stream.VideoStream:
    """The main video stream (not cover art), or NoVideoStreamError."""
    streams = [s for s in container.streams.video if not (s.disposition & av.stream.Disposition.attached_pic)]
    if not streams:
        raise NoVideoStreamError("the file has no video stream", path=path)
    ctx = streams[0].codec_context
    width, height = (ctx.width or 0, ctx.height or 0) if ctx is not None else (0, 0)
    if width * height > MAX_PIXELS:
        raise FileTooLargeError(
            f"its picture is {width}x{height} ({width * height:,} pixels), more than verify decodes "
            f"({MAX_PIXELS:,})",
            path=path,
            hint="Scale it down first, e.g. ffmpeg -i IN -vf scale=3840:-2 OUT.",
        )
    return streams[0]
