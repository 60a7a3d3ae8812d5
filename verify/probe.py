"""Everything a file says about itself: ``probe(path) -> MediaInfo``.

One streamed pass hashes the file (sha256 + md5) and sniffs its type from the
first bytes. Videos and audio are opened with PyAV (no ffprobe binary): container
and stream fields, every tag verbatim, the display-matrix rotation (from the first
decoded frame, same sign as ffprobe's side-data ``rotation``) and a bounded scan
of the first packets for frame-rate regularity. Stills go through Pillow (pixel
size) and exifread (:mod:`verify.exif`). Then the fields are interpreted (device,
creation times, GPS, encoder), C2PA is read (:mod:`verify.c2pa_info`) and the
provenance signals are computed (:mod:`verify.signals`).

Nothing is ever decoded in full: at most :data:`SCAN_PACKETS` packets are read, so a
ten-minute file probes as fast as a one-second one.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import av
import av.error

from . import signals as _signals
from .c2pa_info import C2paInfo, read_c2pa
from .errors import EmptyFileError, FileTooLargeError, MediaNotFoundError, NotMediaError, TruncatedMediaError
from .exif import ExifInfo, GpsFix, TimeStamp, parse_iso6709, parse_time, read_exif
from .filetype import HEAD_BYTES, Sniffed, extension_mismatch, sniff
from .signals import Signal

log = logging.getLogger("verify")

SCHEMA_VERSION = 1
CHUNK = 1 << 20
#: Packets of the main video stream read for rotation and frame-rate regularity.
SCAN_PACKETS = 240


@dataclass(frozen=True)
class FileInfo:
    name: str
    path: str
    size: int
    sha256: str
    md5: str
    kind: str  # video | audio | image | unknown (by content)
    format: str  # sniffed format name (jpeg, mp4, mov, matroska, heic…)
    mime: str = ""
    extension: str = ""
    extension_mismatch: bool = False


@dataclass(frozen=True)
class ContainerInfo:
    format: str
    format_long: str = ""
    duration: float | None = None
    bit_rate: int | None = None
    start_time: float | None = None
    tags: dict[str, str] = field(default_factory=dict)
    major_brand: str | None = None
    minor_version: str | None = None
    compatible_brands: tuple[str, ...] = ()


@dataclass(frozen=True)
class StreamInfo:
    index: int
    type: str  # video | audio | subtitle | data | attachment
    codec: str | None = None
    codec_long: str | None = None
    codec_tag: str | None = None
    profile: str | None = None
    width: int | None = None
    height: int | None = None
    pix_fmt: str | None = None
    avg_frame_rate: float | None = None
    real_frame_rate: float | None = None
    frames: int | None = None
    duration: float | None = None
    start_time: float | None = None
    rotation: float | None = None  # display matrix, degrees counter-clockwise as ffprobe prints it
    bit_rate: int | None = None
    language: str | None = None
    handler: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    sample_rate: int | None = None
    channels: int | None = None
    channel_layout: str | None = None
    attached_pic: bool = False


@dataclass(frozen=True)
class TimingScan:
    """What a short scan of the first video packets showed about their timestamps."""

    packets: int = 0
    min_interval: float | None = None
    median_interval: float | None = None
    max_interval: float | None = None
    irregular: bool = False


@dataclass(frozen=True)
class ImageInfo:
    width: int | None = None
    height: int | None = None
    mode: str | None = None
    frames: int = 1
    exif: ExifInfo | None = None


@dataclass(frozen=True)
class Device:
    make: str | None = None
    model: str | None = None
    software: str | None = None
    firmware: str | None = None
    sources: dict[str, str] = field(default_factory=dict)  # field -> key it came from

    @property
    def present(self) -> bool:
        return bool(self.make or self.model or self.firmware)

    def label(self) -> str | None:
        parts = [p for p in (self.make, self.model) if p]
        if self.make and self.model and self.model.lower().startswith(self.make.lower()):
            parts = [self.model]
        return " ".join(parts) or None


@dataclass(frozen=True)
class MediaInfo:
    """Everything probed from one file. JSON round trip via :mod:`verify.serial`."""

    schema_version: int = SCHEMA_VERSION
    file: FileInfo | None = None
    container: ContainerInfo | None = None
    streams: tuple[StreamInfo, ...] = ()
    timing: TimingScan | None = None
    image: ImageInfo | None = None
    device: Device = field(default_factory=Device)
    creation_times: tuple[TimeStamp, ...] = ()
    gps: GpsFix | None = None
    gps_all: tuple[GpsFix, ...] = ()
    encoder: str | None = None
    encoders: dict[str, str] = field(default_factory=dict)  # source key -> value
    c2pa: C2paInfo = field(default_factory=C2paInfo)
    signals: tuple[Signal, ...] = ()
    notes: tuple[str, ...] = ()  # partial reads, damaged fields

    @property
    def video(self) -> StreamInfo | None:
        """The main video stream (not cover art), if any."""
        return next((s for s in self.streams if s.type == "video" and not s.attached_pic), None)

    @property
    def rotation(self) -> int:
        v = self.video
        return round(v.rotation) if v is not None and v.rotation else 0

    def upright_size(self) -> tuple[int | None, int | None]:
        """Width and height as shown (after display-matrix rotation or EXIF orientation)."""
        if self.image is not None:
            w, h = self.image.width, self.image.height
            # HEIF decoders already apply the container's own rotation (irot); EXIF orientation is not re-applied
            heif = self.file is not None and self.file.format in ("heic", "heif", "avif")
            turned = not heif and self.image.exif is not None and self.image.exif.orientation in (5, 6, 7, 8)
        else:
            v = self.video
            w, h = (v.width, v.height) if v is not None else (None, None)
            turned = abs(self.rotation) % 180 == 90
        return (h, w) if turned else (w, h)

    def summary(self) -> dict[str, Any]:
        """Compact facts for tables, the library and reports (JSON-ready)."""
        f, v = self.file, self.video
        w, h = self.upright_size()
        gps = None
        if self.gps is not None:
            gps = {"latitude": self.gps.latitude, "longitude": self.gps.longitude,
                   "altitude": self.gps.altitude, "null_island": self.gps.null_island, "source": self.gps.source}  # fmt: skip
        return {
            "name": f.name if f else None,
            "size": f.size if f else None,
            "sha256": f.sha256 if f else None,
            "md5": f.md5 if f else None,
            "type": f.kind if f else None,
            "format": f.format if f else None,
            "duration": self.container.duration if self.container else None,
            "width": w,
            "height": h,
            "fps": round(v.avg_frame_rate, 3) if v is not None and v.avg_frame_rate else None,
            "codec": v.codec
            if v is not None
            else (self.streams[0].codec if self.streams else f and f.format),
            "rotation": self.rotation,
            "device": self.device.label(),
            "software": self.device.software,
            "creation_times": [
                {"source": t.source, "value": t.local or t.raw, "utc": t.utc, "tz": t.tz}
                for t in self.creation_times
            ],
            "gps": gps,
            "encoder": self.encoder,
            "c2pa": self.c2pa.state,
            "signals": [s.code for s in self.signals],
        }


# -- the pass over the bytes -------------------------------------------------------------


def check_path(path: str | Path, max_bytes: int | None) -> Path:
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


def hash_file(path: Path) -> tuple[str, str, bytes, int]:
    """sha256, md5, the first bytes and the size, in one streamed pass."""
    sha, md5 = hashlib.sha256(), hashlib.md5(usedforsecurity=False)
    head = b""
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            if len(head) < HEAD_BYTES:
                head += chunk[: HEAD_BYTES - len(head)]
            sha.update(chunk)
            md5.update(chunk)
            size += len(chunk)
    return sha.hexdigest(), md5.hexdigest(), head, size


# -- stills ------------------------------------------------------------------------------

_STILL_FORMATS = {"jpeg", "png", "tiff", "webp", "heic", "heif", "avif", "gif", "bmp"}


def _pixel_size(
    path: Path, sniffed: Sniffed, notes: list[str]
) -> tuple[int | None, int | None, str | None, int]:
    from PIL import Image, UnidentifiedImageError

    if sniffed.format in ("heic", "heif", "avif"):
        try:
            import pillow_heif

            heif = pillow_heif.open_heif(str(path))
            return heif.size[0], heif.size[1], heif.mode, len(heif)
        except (ImportError, ValueError, RuntimeError, OSError) as exc:
            notes.append(f"pillow-heif cannot read the picture ({exc})")
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


def _probe_still(path: Path, sniffed: Sniffed, notes: list[str]) -> ImageInfo:
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

    try:
        return av.open(str(path), metadata_errors="replace")
    except av.error.FFmpegError as exc:
        raise fail(str(exc.strerror or exc), exc) from exc
    except (UnicodeDecodeError, OSError, ValueError) as exc:
        raise fail(str(exc), exc) from exc


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


# -- interpretation ----------------------------------------------------------------------


def _lookup(tags: dict[str, str], *keys: str) -> tuple[str, str] | None:
    lower = {k.lower(): (k, v) for k, v in tags.items()}
    for key in keys:
        hit = lower.get(key.lower())
        if hit and str(hit[1]).strip():
            return hit[0], str(hit[1]).strip()
    return None


_MAKE_KEYS = ("com.apple.quicktime.make", "com.android.manufacturer", "make", "manufacturer")
_MODEL_KEYS = ("com.apple.quicktime.model", "com.android.model", "model")
_SOFTWARE_KEYS = ("com.apple.quicktime.software", "com.android.version", "software")


def _device(
    container: ContainerInfo | None, streams: tuple[StreamInfo, ...], exif: ExifInfo | None
) -> Device:
    values: dict[str, str] = {}
    sources: dict[str, str] = {}
    tag_sets = [("format", container.tags)] if container else []
    tag_sets += [(f"stream {s.index}", s.tags) for s in streams]
    for name, keys in (("make", _MAKE_KEYS), ("model", _MODEL_KEYS), ("software", _SOFTWARE_KEYS),
                       ("firmware", ("firmware",))):  # fmt: skip
        for where, tags in tag_sets:
            hit = _lookup(tags, *keys)
            if hit:
                values[name], sources[name] = hit[1], f"{where}:{hit[0]}"
                break
    if exif is not None:
        for name in ("make", "model", "software"):
            value = getattr(exif, name)
            if value and name not in values:
                values[name], sources[name] = value, f"exif:{name.capitalize()}"
    gopro = any("gopro" in (s.handler or "").lower() for s in streams)
    if "make" not in values and gopro:
        values["make"], sources["make"] = "GoPro", "stream handler_name"
    return Device(sources=sources, **values)


def _is_time_key(key: str) -> bool:
    k = key.lower()
    return (
        "creat" in k
        or k in ("date", "date_recorded", "date-recorded", "datetimeoriginal")
        or k.startswith("date-")
    )


def _times(
    container: ContainerInfo | None, streams: tuple[StreamInfo, ...], exif: ExifInfo | None
) -> list[TimeStamp]:
    found: list[TimeStamp] = []
    if container is not None:
        found += [parse_time(f"format:{k}", v) for k, v in container.tags.items() if _is_time_key(k)]
    for s in streams:
        found += [parse_time(f"stream {s.index}:{k}", v) for k, v in s.tags.items() if _is_time_key(k)]
    if exif is not None:
        found += list(exif.times)
    # a bare year ("2006" in iTunes tags) is a release date, not a creation time
    return [t for t in found if t.local is not None or not t.raw.strip().isdigit()]


_GPS_KEYS = ("com.apple.quicktime.location.ISO6709", "location", "location-eng", "©xyz", "xyz")


def _gps(container: ContainerInfo | None, streams: tuple[StreamInfo, ...], exif: ExifInfo | None,
         notes: list[str]) -> list[GpsFix]:  # fmt: skip
    fixes: list[GpsFix] = []
    tag_sets = [("format", container.tags)] if container else []
    tag_sets += [(f"stream {s.index}", s.tags) for s in streams]
    for where, tags in tag_sets:
        for key in _GPS_KEYS:
            hit = _lookup(tags, key)
            if hit is None:
                continue
            fix = parse_iso6709(f"{where}:{hit[0]}", hit[1])
            if fix is None:
                notes.append(f"unreadable position in {where}:{hit[0]}")
            elif all(f.raw != fix.raw for f in fixes):
                fixes.append(fix)
    if exif is not None and exif.gps is not None:
        fixes.append(exif.gps)
    return fixes


def _encoders(
    container: ContainerInfo | None, streams: tuple[StreamInfo, ...], exif: ExifInfo | None
) -> dict[str, str]:
    out: dict[str, str] = {}
    keys = ("encoder", "encoded_by", "encoding_tool", "writing_application", "writing-app", "generated by",
            "software", "com.apple.quicktime.software")  # fmt: skip
    if container is not None:
        for k, v in container.tags.items():
            if k.lower() in keys and v.strip():
                out[f"format:{k}"] = v.strip()
    for s in streams:
        for k, v in s.tags.items():
            if k.lower() in keys and v.strip():
                out[f"stream {s.index}:{k}"] = v.strip()
    if exif is not None and exif.software:
        out["exif:Software"] = exif.software
    return out


def _main_encoder(encoders: dict[str, str]) -> str | None:
    """The writer that matters most: the container's encoder, then FFmpeg anywhere, then a stream's."""
    ranked = sorted(
        encoders.items(),
        key=lambda kv: (
            not (kv[0].startswith("format:") and kv[0].lower().endswith(("encoder", "writing_application"))),
            not _signals.is_ffmpeg(kv[1]),
            not kv[0].lower().endswith("encoder"),
            "software" in kv[0].lower(),
        ),
    )
    return ranked[0][1] if ranked else None


# -- the entry point ---------------------------------------------------------------------


def probe(path: str | Path, *, max_bytes: int | None = None) -> MediaInfo:
    """Read everything ``path`` says about itself (see the module docstring).

    Raises :class:`~verify.errors.MediaNotFoundError`, :class:`EmptyFileError`,
    :class:`FileTooLargeError`, :class:`NotMediaError` (not a media file at all) or
    :class:`TruncatedMediaError` (a media header with nothing readable behind it).
    An audio-only file is not an error: it probes fine.
    """
    p = check_path(path, max_bytes)
    try:
        sha256, md5, head, size = hash_file(p)
    except OSError as exc:
        raise NotMediaError(f"cannot be read ({exc.strerror or exc})", path=p) from exc
    sniffed = sniff(head)
    notes: list[str] = []
    container: ContainerInfo | None = None
    streams: tuple[StreamInfo, ...] = ()
    timing: TimingScan | None = None
    image: ImageInfo | None = None
    kind = sniffed.kind
    if sniffed.format in _STILL_FORMATS:
        image = _probe_still(p, sniffed, notes)
    elif sniffed.kind == "text":
        raise NotMediaError("is a text file, not media", path=p)
    else:
        container, streams, timing = read_container(p, sniffed, notes, SCAN_PACKETS)
        has_video = any(s.type == "video" and not s.attached_pic for s in streams)
        kind = "video" if has_video else "audio" if any(s.type == "audio" for s in streams) else "unknown"
    exif = image.exif if image else None
    fixes = _gps(container, streams, exif, notes)
    encoders = _encoders(container, streams, exif)
    file_info = FileInfo(
        name=p.name,
        path=str(p),
        size=size,
        sha256=sha256,
        md5=md5,
        kind=kind,
        format=sniffed.format
        if sniffed.format != "unknown"
        else (container.format if container else "unknown"),
        mime=sniffed.mime,
        extension=p.suffix.lower().lstrip("."),
        extension_mismatch=extension_mismatch(p.name, sniffed),
    )
    info = MediaInfo(
        file=file_info,
        container=container,
        streams=streams,
        timing=timing,
        image=image,
        device=_device(container, streams, exif),
        creation_times=tuple(_times(container, streams, exif)),
        gps=next((f for f in fixes if not f.null_island), fixes[0] if fixes else None),
        gps_all=tuple(fixes),
        encoder=_main_encoder(encoders),
        encoders=encoders,
        c2pa=read_c2pa(p, sniffed.mime or None),
        notes=tuple(dict.fromkeys(notes)),
    )
    return _with_signals(info)


def _with_signals(info: MediaInfo) -> MediaInfo:
    return replace(info, signals=tuple(_signals.file_signals(info)))
