"""Reading the file: one streamed pass over the bytes, stills with Pillow, and media with PyAV.

Videos and audio are opened with PyAV (no ffprobe binary): container and stream fields,
every tag verbatim, the display-matrix rotation (from the first decoded frame, same sign
as ffprobe's side-data ``rotation``) and a bounded scan of the first packets for
frame-rate regularity. Nothing is ever decoded in full.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any

import av
import av.error

from ..errors import NotMediaError, TruncatedMediaError
from ..filetype import Sniffed, ffmpeg_options, plausible
from ..frames import MAX_PIXELS, check_file
from .exif import read_exif
from .model import ContainerInfo, ImageInfo, StreamInfo, TimingScan

CHUNK = 1 << 20
#: Packets of the main video stream read for rotation and frame-rate regularity.
SCAN_PACKETS = 240


# -- the file itself --------------------------------------------------------------------


def check_path(path: str | Path, max_bytes: int | None) -> Path:
    """Missing, empty, folder or too large: the same checks (and messages) as decoding."""
    return check_file(path, max_bytes)


# -- stills ------------------------------------------------------------------------------

STILL_FORMATS = {"jpeg", "png", "tiff", "webp", "heic", "heif", "avif", "gif", "bmp"}


def _pixel_size(
    path: Path, sniffed: Sniffed, notes: list[str]
) -> tuple[int | None, int | None, str | None, int]:
    from PIL import Image, UnidentifiedImageError

    if sniffed.format in ("heic", "heif", "avif"):
        try:
            import pillow_heif

            heif = pillow_heif.open_heif(str(path))
            return heif.size[0], heif.size[1], heif.mode, len(heif)
        except (ImportError, ValueError, RuntimeError, OSError, EOFError, KeyError, IndexError, TypeError,
                NotImplementedError, MemoryError) as exc:  # fmt: skip
            notes.append(f"pillow-heif cannot read the picture ({type(exc).__name__}: {exc})")
            return None, None, None, 0
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with Image.open(path) as img:
                size = img.width, img.height, img.mode, int(getattr(img, "n_frames", 1))
        notes.extend(f"Pillow: {w.message}" for w in caught)
        return size
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError, SyntaxError) as exc:
        notes.append(f"Pillow cannot read the picture ({exc})")
        return None, None, None, 0


def read_still(path: Path, sniffed: Sniffed, notes: list[str]) -> ImageInfo:
    w, h, mode, frames = _pixel_size(path, sniffed, notes)
    exif = read_exif(path, sniffed.format)
    notes.extend(exif.notes)
    return ImageInfo(width=w, height=h, mode=mode, frames=frames, exif=exif)


# -- containers (PyAV) -------------------------------------------------------------------


def _open(path: Path, sniffed: Sniffed) -> av.container.InputContainer:
    def fail(why: str, exc: BaseException) -> Exception:
        if sniffed.kind in ("video", "audio"):
            return TruncatedMediaError(f"looks like {sniffed.format} but cannot be read ({why})", path=path)
        return NotMediaError(f"not a media file FFmpeg can read ({why})", path=path)

    try:  # footage and audio demuxers only, local files only, no picture over MAX_PIXELS decoded
        container = av.open(
            str(path), metadata_errors="replace", options=ffmpeg_options(audio=True, max_pixels=MAX_PIXELS)
        )
    except av.error.ArgumentError as exc:  # EINVAL: FFmpeg found no whitelisted format in it
        raise fail("not a video, audio or picture format verify reads", exc) from exc
    except av.error.FFmpegError as exc:
        raise fail(str(exc.strerror or exc), exc) from exc
    except (UnicodeDecodeError, OSError, ValueError) as exc:
        raise fail(str(exc), exc) from exc
    if not plausible(container.format.name or "", sniffed):
        container.close()
        raise NotMediaError(f"is named like a picture but its bytes are not one (FFmpeg: {container.format.name})",
                            path=path)  # fmt: skip
    return container


def _num(value: Any) -> float | None:
    try:
        f = float(value) if value is not None else None
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return round(f, 6) if f is not None and f == f and f not in (float("inf"), float("-inf")) else None


def _seconds(value: Any, time_base: Any) -> float | None:
    if value is None or time_base is None:
        return None
    return _num(value * time_base)


def _attr(obj: Any, name: str) -> Any:
    """A PyAV attribute, or None when FFmpeg's value cannot be read (odd tags, unknown codecs)."""
    if obj is None:
        return None
    try:
        return getattr(obj, name, None)
    except (UnicodeDecodeError, ValueError, TypeError):
        return None


def _stream(s: Any) -> StreamInfo:
    cc = _attr(s, "codec_context")
    codec = _attr(cc, "codec")
    tags = {str(k): str(v) for k, v in dict(s.metadata).items()}
    video, audio = s.type == "video", s.type == "audio"
    handler = tags.get("handler_name")
    layout = _attr(cc, "layout") if audio else None
    return StreamInfo(
        index=s.index,
        type=s.type,
        codec=_attr(cc, "name"),
        codec_long=_attr(codec, "long_name"),
        codec_tag=_attr(cc, "codec_tag"),
        profile=_attr(cc, "profile"),
        width=(cc.width or None) if video and cc is not None else None,
        height=(cc.height or None) if video and cc is not None else None,
        pix_fmt=_attr(cc, "pix_fmt") if video and cc is not None else None,
        avg_frame_rate=_num(s.average_rate) if video else None,
        real_frame_rate=_num(s.base_rate) if video else None,
        frames=s.frames or None,
        duration=_seconds(s.duration, s.time_base),
        start_time=_seconds(s.start_time, s.time_base),
        bit_rate=(_attr(cc, "bit_rate") or None) if cc is not None else None,
        language=getattr(s, "language", None) or tags.get("language"),
        handler=handler.strip() if handler else None,
        tags=tags,
        sample_rate=(_attr(cc, "sample_rate") or None) if audio else None,
        channels=(_attr(cc, "channels") or None) if audio else None,
        channel_layout=getattr(layout, "name", None),
        attached_pic=bool(s.disposition & av.stream.Disposition.attached_pic),
    )


def _scan(container: Any, s: Any, limit: int, notes: list[str]) -> tuple[float | None, TimingScan]:
    """Rotation of the first decodable frame, and packet timestamp regularity."""
    rotation: float | None = None
    pts: list[float] = []
    tried = failed = 0
    try:
        for n, packet in enumerate(container.demux(s)):
            if n >= limit:
                break
            if packet.pts is not None and packet.size:
                pts.append(float(packet.pts * s.time_base))
            if rotation is None and tried < 48 and packet.size:
                tried += 1
                try:
                    frames = packet.decode()
                except av.error.FFmpegError:
                    failed += 1
                    continue
                if frames:
                    rotation = _num(_attr(frames[0], "rotation")) or 0.0
    except av.error.FFmpegError as exc:
        notes.append(f"reading packets stopped early ({exc})")
    if rotation is None and tried:
        notes.append(
            f"no picture could be decoded from the first {tried} packets ({failed} failed); rotation unknown"
        )
    times = sorted(pts)
    gaps = [b - a for a, b in itertools.pairwise(times) if b - a > 1e-9]
    if not gaps:
        return rotation, TimingScan(packets=len(pts))
    gaps_sorted = sorted(gaps)
    med = gaps_sorted[len(gaps) // 2]
    off = sum(abs(g - med) > 0.25 * med for g in gaps)
    return rotation, TimingScan(
        packets=len(pts),
        min_interval=round(gaps_sorted[0], 6),
        median_interval=round(med, 6),
        max_interval=round(gaps_sorted[-1], 6),
        irregular=len(gaps) >= 10 and off > 0.1 * len(gaps),
    )


def read_container(
    path: Path, sniffed: Sniffed, notes: list[str], scan_packets: int = 240
) -> tuple[ContainerInfo, tuple[StreamInfo, ...], TimingScan | None]:
    container = _open(path, sniffed)
    try:
        tags = {str(k): str(v) for k, v in dict(container.metadata).items()}
        brands = tags.get("compatible_brands", "")
        info = ContainerInfo(
            format=container.format.name,
            format_long=container.format.long_name or "",
            duration=_seconds(container.duration, 1 / av.time_base),
            bit_rate=container.bit_rate or None,
            start_time=_seconds(container.start_time, 1 / av.time_base),
            tags=tags,
            major_brand=tags.get("major_brand"),
            minor_version=tags.get("minor_version"),
            compatible_brands=tuple(brands[i : i + 4] for i in range(0, len(brands), 4)),
        )
        streams = [_stream(s) for s in container.streams]
        if not streams:
            raise TruncatedMediaError(f"a {info.format_long or info.format} file with no streams", path=path)
        timing = None
        main = next((s for s in container.streams.video if s.index == _main_index(streams)), None)
        if main is not None:
            rotation, timing = _scan(container, main, scan_packets, notes)
            streams[main.index] = replace(streams[main.index], rotation=rotation)
        return info, tuple(streams), timing
    finally:
        container.close()


def _main_index(streams: list[StreamInfo]) -> int | None:
    return next((s.index for s in streams if s.type == "video" and not s.attached_pic), None)
