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

Untrusted input: only footage formats are opened (``verify.filetype.FOOTAGE_FORMATS``,
FFmpeg's ``format_whitelist``; local files only), no picture over ``MAX_PIXELS`` is
decoded (checked from the header before decoding, and FFmpeg's decoders are held to it),
``Sampling.max_rate`` bounds how many frames per second of footage reach Python, and every
failure of PyAV, Pillow or pillow-heif becomes a ``VerifyError`` (``raise … from``).

Modules: ``base`` (the model and opening a file), ``picture`` (upright, scaled
pictures: rotation, EXIF orientation, HEIF), ``decode`` (the decoding loops).
Import from ``verify.frames``; the submodules are an implementation detail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import DecodeError, UnsupportedCodecError, VerifyError

if TYPE_CHECKING:
    import av
from .base import (
    MAX_CORRUPT_FRAMES,
    MAX_PIXELS,
    READER_ERRORS,
    SEEK_GAP,
    DecodeStats,
    Frame,
    FrameTap,
    Mode,
    PixelFormat,
    Sampling,
    check_file,
    open_container,
    video_stream,
)
from .decode import at_times, duration_of, sequential, stream_start
from .picture import (
    apply_orientation,
    check_pixels,
    heif_picture,
    is_heif,
    is_still_format,
    orientation_of_rotation,
    still_header,
    to_array,
)

__all__ = [
    "MAX_CORRUPT_FRAMES",
    "MAX_PIXELS",
    "SEEK_GAP",
    "DecodeStats",
    "Frame",
    "FrameTap",
    "Mode",
    "PixelFormat",
    "Sampling",
    "apply_orientation",
    "check_file",
    "iter_frames",
    "open_container",
    "orientation_of_rotation",
    "sample_times",
    "to_array",
    "video_stream",
]


def iter_frames(
    path: str | Path,
    sampling: Sampling | None = None,
    *,
    max_corrupt: int = MAX_CORRUPT_FRAMES,
    max_bytes: int | None = None,
    stats: DecodeStats | None = None,
    progress: Callable[[float, float], None] | None = None,
    tap: FrameTap | Sequence[FrameTap] | None = None,
    audio: Callable[[av.AudioFrame], None] | None = None,
) -> Iterator[Frame]:
    """Yield ``Frame(time, index, image)`` from the first video stream of ``path``.

    Frames are decoded with FFmpeg's own threads (``thread_type="AUTO"``).
    Corrupt packets and frames are skipped and counted in ``stats``; after
    ``max_corrupt`` of them a :class:`DecodeError` is raised. ``progress`` is
    called with ``(seconds decoded, duration)`` every few frames (``(done, total)``
    times asked in ``times`` mode). ``tap`` (one or several; sequential modes and stills)
    receives other pictures of the frames from the same decode (see :class:`FrameTap`); ``audio``
    (sequential modes) receives the decoded frames of the main audio stream, demuxed in the same
    pass (undecodable audio is counted in ``stats``, never fatal). Every failure is a
    ``VerifyError``.
    """
    sampling = sampling or Sampling()
    stats = stats if stats is not None else DecodeStats()
    taps: tuple[FrameTap, ...] = (tap,) if isinstance(tap, FrameTap) else tuple(tap or ())
    p = check_file(path, max_bytes)
    raised: list[BaseException] = []  # what the caller's progress raised: passed on unchanged

    def report(done: float, total: float) -> None:
        try:
            progress(done, total)  # type: ignore[misc]
        except BaseException as exc:
            raised.append(exc)
            raise

    try:
        yield from _frames(p, sampling, stats, max_corrupt, report if progress else None, taps, audio)
    except VerifyError:
        raise
    except READER_ERRORS as exc:  # PyAV, Pillow, pillow-heif on damaged input: IndexError, ...
        if raised and exc is raised[0]:
            raise
        raise DecodeError(f"cannot be decoded ({type(exc).__name__}: {exc})", path=p) from exc


def _frames(
    p: Path,
    sampling: Sampling,
    stats: DecodeStats,
    max_corrupt: int,
    progress: Callable[[float, float], None] | None,
    taps: tuple[FrameTap, ...],
    audio: Callable[[av.AudioFrame], None] | None,
) -> Iterator[Frame]:
    container = open_container(p)
    try:
        if is_heif(container):
            yield from _heif_frames(p, sampling, stats, taps)
            return
        stream = video_stream(container, p)
        codec_ctx = stream.codec_context
        if codec_ctx is None or codec_ctx.codec is None:
            raise UnsupportedCodecError("no decoder for this video codec", path=p)
        stats.codec = codec_ctx.name or ""
        stream.thread_type = "AUTO"
        if sampling.mode == "keyframes":
            codec_ctx.skip_frame = "NONKEY"
        stats.duration = duration_of(container, stream)
        stats.start_time = stream_start(stream)
        stats.rate = float(stream.average_rate or stream.guessed_rate or 25)
        orientation = None
        if is_still_format(container):
            orientation, width, height = still_header(p)
            check_pixels(width, height, p)
        if sampling.mode == "times":
            yield from at_times(container, stream, p, sampling, stats, max_corrupt, orientation, progress)
        else:
            yield from sequential(
                container, stream, p, sampling, stats, max_corrupt, orientation, progress, taps, audio
            )
    finally:
        container.close()


def _heif_frames(
    path: Path, sampling: Sampling, stats: DecodeStats, taps: Sequence[FrameTap]
) -> Iterator[Frame]:
    """A HEIF/HEIC still as one frame at time 0."""
    frame = heif_picture(path)
    stats.width, stats.height, stats.codec = frame.width, frame.height, "hevc"
    stats.decoded = 1
    stats.yielded += 1
    for tap in taps:
        tap.fn(Frame(0.0, 0, to_array(frame, tap.picture, 0)))
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
