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

The package: :mod:`.model` (the records), :mod:`.container` (reading the bytes, stills
and PyAV containers), :mod:`.interpret` (device, times, GPS, encoders) and
:func:`probe` here, which ties them together.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from ..c2pa_info import read_c2pa
from ..digest import Digests, scan
from ..errors import NotMediaError, TruncatedMediaError, VerifyError
from ..filetype import HEAD_BYTES, Sniffed, extension_mismatch, sniff
from ..frames.base import READER_ERRORS
from ..xmp import read_xmp
from . import signals as _signals
from .container import CHUNK, SCAN_PACKETS, STILL_FORMATS, check_path, read_container, read_still
from .interpret import find_device, find_encoders, find_gps, find_times, main_encoder
from .model import (
    SCHEMA_VERSION,
    ContainerInfo,
    Device,
    FileInfo,
    ImageInfo,
    MediaInfo,
    StreamInfo,
    TimingScan,
)

__all__ = [
    "CHUNK",
    "SCAN_PACKETS",
    "SCHEMA_VERSION",
    "ContainerInfo",
    "Device",
    "FileInfo",
    "ImageInfo",
    "MediaInfo",
    "StreamInfo",
    "TimingScan",
    "check_path",
    "probe",
    "read_container",
]

log = logging.getLogger("verify")


# -- the entry point ---------------------------------------------------------------------


def probe(path: str | Path, *, max_bytes: int | None = None, digests: Digests | None = None) -> MediaInfo:
    """Read everything ``path`` says about itself (see the module docstring).

    ``digests`` are the file's sha256/md5 when the caller already has them from its own pass
    over the bytes (an upload hashed while it was written, a file hashed when it was opened):
    then the file is not read again in full, only its first bytes.

    Raises :class:`~verify.errors.MediaNotFoundError`, :class:`EmptyFileError`,
    :class:`FileTooLargeError`, :class:`NotMediaError` (not a media file at all) or
    :class:`TruncatedMediaError` (a media header with nothing readable behind it).
    An audio-only file is not an error: it probes fine. Whatever a reader (PyAV, Pillow,
    pillow-heif, exifread, c2pa) raises on a damaged file becomes one of these too.
    """
    p = check_path(path, max_bytes)
    try:
        d = _digests(p, digests)
    except OSError as exc:
        raise NotMediaError(f"cannot be read ({(exc.strerror or str(exc)).lower()})", path=p) from exc
    sha256, md5, head, size = d.sha256, d.md5, d.head, d.size
    sniffed = sniff(head)
    try:
        return _probe(p, sniffed, sha256, md5, size, head)
    except VerifyError:
        raise
    except READER_ERRORS as exc:  # the stage boundary: third-party readers on damaged input
        cls = TruncatedMediaError if sniffed.kind in ("video", "audio", "image") else NotMediaError
        raise cls(f"cannot be read as {sniffed.format} ({type(exc).__name__}: {exc})", path=p) from exc


def _probe(p: Path, sniffed: Sniffed, sha256: str, md5: str, size: int, head: bytes) -> MediaInfo:
    notes: list[str] = []
    container: ContainerInfo | None = None
    streams: tuple[StreamInfo, ...] = ()
    timing: TimingScan | None = None
    image: ImageInfo | None = None
    kind = sniffed.kind
    if sniffed.format in STILL_FORMATS:
        image = read_still(p, sniffed, notes)
    elif sniffed.kind == "text":
        raise NotMediaError("is a text file, not media", path=p)
    else:
        container, streams, timing = read_container(p, sniffed, notes, SCAN_PACKETS)
        has_video = any(s.type == "video" and not s.attached_pic for s in streams)
        kind = "video" if has_video else "audio" if any(s.type == "audio" for s in streams) else "unknown"
    exif = image.exif if image else None
    xmp = read_xmp(p, sniffed.format, _tag_places(container, streams))
    notes += [*xmp.refused, *xmp.notes]
    fixes = find_gps(container, streams, exif, notes)
    encoders = find_encoders(container, streams, exif)
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
        device=find_device(container, streams, exif),
        creation_times=tuple(find_times(container, streams, exif)),
        gps=next((f for f in fixes if not f.null_island), fixes[0] if fixes else None),
        gps_all=tuple(fixes),
        encoder=main_encoder(encoders),
        encoders=encoders,
        c2pa=read_c2pa(p, sniffed.mime or None, head),
        notes=tuple(dict.fromkeys(notes)),
        xmp=xmp if xmp.present else None,
    )
    return _with_signals(info)


def _digests(path: Path, given: Digests | None) -> Digests:
    """The caller's digests when they are of this file's current size (with its first bytes), else a pass."""
    if given is None or given.size != path.stat().st_size:
        return scan(path, chunk=CHUNK, head=HEAD_BYTES)
    if len(given.head) >= min(HEAD_BYTES, given.size):
        return given
    with open(path, "rb") as fh:
        return replace(given, head=fh.read(HEAD_BYTES))


def _tag_places(
    container: ContainerInfo | None, streams: tuple[StreamInfo, ...]
) -> dict[str, dict[str, str]]:
    """FFmpeg's tags by place, where XMP may hide (Matroska tags)."""
    places = {"format": container.tags} if container is not None else {}
    places.update({f"stream {s.index}": s.tags for s in streams})
    return places


def _with_signals(info: MediaInfo) -> MediaInfo:
    return replace(info, signals=tuple(_signals.file_signals(info)))
