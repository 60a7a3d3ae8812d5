"""The decoding loops behind ``iter_frames``: sequential sampling, frames at given times, damage counting."""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import av
import av.error
import numpy as np
from av.video.reformatter import VideoReformatter

from ..errors import DecodeError, TruncatedMediaError, UnsupportedCodecError
from .base import SEEK_GAP, DecodeStats, Frame, FrameTap, Sampling
from .picture import orientation_of_rotation, rotation_of, to_array

log = logging.getLogger("verify")


def duration_of(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> float:
    if stream.duration is not None and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / av.time_base
    return 0.0


def stream_start(stream: av.video.stream.VideoStream) -> float:
    if stream.start_time is not None and stream.time_base:
        return float(stream.start_time * stream.time_base)
    return 0.0


#: Undecodable audio packets after which the sound is given up (the picture goes on).
MAX_AUDIO_ERRORS = 20

AudioSink = Callable[[av.AudioFrame], None]


def _sound(container: av.container.InputContainer) -> av.audio.stream.AudioStream | None:
    streams = list(container.streams.audio)
    return streams[0] if streams and streams[0].codec_context is not None else None


def _feed_audio(packet: av.Packet, sink: AudioSink, stats: DecodeStats) -> None:
    """Decode one audio packet and hand its frames to ``sink``; damage is counted, never fatal."""
    if stats.audio_errors > MAX_AUDIO_ERRORS:
        return
    try:
        frames = packet.decode()
    except av.error.FFmpegError as exc:
        stats.audio_errors += 1
        stats.audio_last_error = f"{exc}"
        return
    for frame in frames:
        if isinstance(frame, av.AudioFrame):
            stats.audio_frames += 1
            sink(frame)


def _decoded(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    path: Path,
    stats: DecodeStats,
    max_corrupt: int,
    audio: AudioSink | None = None,
) -> Iterator[av.VideoFrame]:
    """Decoded frames in presentation order, corrupt ones skipped and counted.

    With ``audio``, the main audio stream is demuxed in the same pass and its decoded frames are
    handed to ``audio`` as they come (one read of the file for picture and sound)."""
    sound = _sound(container) if audio is not None else None
    packets: Iterator[av.Packet] = (
        container.demux(stream, sound) if sound is not None else container.demux(stream)
    )
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
        if sound is not None and audio is not None and packet.stream.index == sound.index:
            _feed_audio(packet, audio, stats)
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
    stats.rotation = rotation_of(frame)
    stats.width, stats.height = frame.width, frame.height
    stats.orientation = orientation if orientation is not None else orientation_of_rotation(stats.rotation)
    return stats.orientation


def _offer(
    tap: FrameTap,
    frame: av.VideoFrame,
    t: float,
    index: int,
    stats: DecodeStats,
    code: int,
    reformatter: VideoReformatter,
    path: Path,
    max_corrupt: int,
) -> None:
    if tap.wants is None or tap.wants(t):
        picture = _convert(frame, tap.picture, stats, code, reformatter, path, max_corrupt)
        if picture is not None:
            tap.fn(Frame(t, index, picture))


def sequential(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    path: Path,
    sampling: Sampling,
    stats: DecodeStats,
    max_corrupt: int,
    orientation: int | None,
    progress: Callable[[float, float], None] | None,
    taps: Sequence[FrameTap] = (),
    audio: AudioSink | None = None,
) -> Iterator[Frame]:
    start, rate, duration = stats.start_time, stats.rate, stats.duration
    dense = [(t, VideoReformatter()) for t in taps if t.every_frame]
    on_samples = [(t, VideoReformatter()) for t in taps if not t.every_frame]
    step = 1.0 / sampling.fps if sampling.mode == "fps" else 0.0
    first: float | None = None
    next_slot = 0  # fps mode: the next sample is the first frame at or after first + next_slot * step
    cap, cap_first, cap_slot = sampling.max_rate, 0.0, -1  # max_rate: one frame per rounded 1/cap slot
    code: int | None = None
    reformatter = VideoReformatter()
    index = -1
    for frame in _decoded(container, stream, path, stats, max_corrupt, audio):
        index += 1
        t = float(frame.time)
        if code is None:
            code = _note_geometry(frame, stats, orientation)
        if progress is not None and index % 30 == 0:
            progress(min(max(0.0, t - start), duration or math.inf), duration)
        if cap is not None:  # above the cap: skipped before any conversion, taps included
            if cap_slot < 0:
                cap_first = t
            slot = math.floor((t - cap_first) * cap + 0.499)  # nearest slot; halves go to the earlier one
            if slot <= cap_slot:
                continue
            cap_slot = slot
        for tap, rf in dense:
            _offer(tap, frame, t, index, stats, code, rf, path, max_corrupt)
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
        for tap, rf in on_samples:
            _offer(tap, frame, t, out_index, stats, code, rf, path, max_corrupt)
        stats.yielded += 1
        yield Frame(t, out_index, img)
    if stats.decoded == 0:
        raise TruncatedMediaError("no frame could be decoded", path=path)
    if progress is not None:
        progress(duration, duration)


def at_times(
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
            if position > stats.start_time and stream.time_base:
                container.seek(
                    int(position / (stream.time_base or 1)), stream=stream, backward=True, any_frame=False
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
