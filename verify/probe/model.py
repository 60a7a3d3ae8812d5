"""The records :func:`verify.probe.probe` returns: ``MediaInfo`` and the parts it is made of.

Frozen dataclasses with a ``schema_version``; JSON round trip via :mod:`verify.serial`
(which resolves the field types from this module, so the imports below are runtime imports).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..c2pa_info import C2paInfo
from ..xmp.model import XmpInfo
from .exif import ExifInfo, GpsFix, TimeStamp
from .signals import Signal

SCHEMA_VERSION = 1


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
    xmp: XmpInfo | None = None  # XMP packets and IPTC (verify.xmp); None when not read

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
