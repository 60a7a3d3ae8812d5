"""EXIF of stills (exifread), and the parsers of times and positions shared with probe.

:func:`read_exif` never raises for bad EXIF: unreadable or damaged blocks give a
partial :class:`ExifInfo` whose ``notes`` say what went wrong (exifread raises
``AssertionError``/``EOFError``/``struct.error`` … on some real HEIC and JPEG
files). HEIC files exifread cannot walk are retried on the EXIF block that
pillow-heif extracts. :func:`parse_time` and :func:`parse_iso6709` turn the many
ways files write a time or a position into :class:`TimeStamp` and :class:`GpsFix`.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import struct
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from fractions import Fraction
from pathlib import Path
from typing import Any, BinaryIO

import exifread
from exifread.core.exceptions import ExifError

log = logging.getLogger("verify")

#: Years at or before these are "unset" placeholders, not real times (QuickTime 1904, Unix 1970 epochs).
_EPOCHS = ("1904-01-01T00:00:00", "1970-01-01T00:00:00", "1601-01-01T00:00:00")


@dataclass(frozen=True)
class TimeStamp:
    """One creation time found in a file.

    ``source`` names where it came from (``format:creation_time``,
    ``stream 0:creation_time``, ``format:com.apple.quicktime.creationdate``,
    ``exif:DateTimeOriginal``…); ``raw`` is the text as written. ``local`` is the
    ISO 8601 time as written (with its offset when one is stated); ``utc`` is the
    same instant in UTC, only when the time zone is known; ``tz`` is the offset
    (``+01:00``; ``+00:00`` for UTC) or None when the file does not say.
    ``unset`` marks placeholder zeros (1904/1970 epochs).
    """

    source: str
    raw: str
    local: str | None = None
    utc: str | None = None
    tz: str | None = None
    unset: bool = False

    def instant(self) -> datetime | None:
        """Aware UTC datetime when the zone is known, else a naive local one."""
        text = self.utc or self.local
        return datetime.fromisoformat(text) if text else None


@dataclass(frozen=True)
class GpsFix:
    """A position in signed decimal degrees (south and west negative).

    ``null_island`` marks ``0, 0`` (an unset fix, not a place): its latitude and
    longitude are then None; ``raw`` keeps what the file said.
    """

    source: str
    raw: str
    latitude: float | None = None
    longitude: float | None = None
    altitude: float | None = None
    null_island: bool = False


_TIME_RE = re.compile(
    r"^\s*(\d{4})[-:/ ](\d{1,2})[-:/ ](\d{1,2})"
    r"(?:[T ]\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?\s*$",
    re.IGNORECASE,
)


def parse_offset(text: str | None) -> timezone | None:
    """``+01:00``, ``+0100``, ``-05``, ``Z`` → a timezone; anything else → None."""
    if not text:
        return None
    t = text.strip()
    if t.upper() in ("Z", "UTC", "GMT"):
        return UTC
    m = re.fullmatch(r"([+-])(\d{2}):?(\d{2})?", t)
    if not m:
        return None
    minutes = int(m.group(2)) * 60 + int(m.group(3) or 0)
    if minutes > 14 * 60:
        return None
    return timezone((-1 if m.group(1) == "-" else 1) * timedelta(minutes=minutes))


def _offset_text(tz: timezone) -> str:
    off = tz.utcoffset(None)
    total = int(off.total_seconds()) // 60
    sign = "-" if total < 0 else "+"
    return f"{sign}{abs(total) // 60:02d}:{abs(total) % 60:02d}"


def parse_time(source: str, raw: str, offset: str | None = None) -> TimeStamp:
    """Parse one written time; unparsable ones keep only ``source`` and ``raw``.

    ``offset`` is a separately stored zone (EXIF ``OffsetTimeOriginal``); a zone
    written in the value itself wins.
    """
    m = _TIME_RE.match(raw or "")
    if not m:
        return TimeStamp(source, raw)
    y, mo, d, hh, mi, ss, frac, zone = m.groups()
    try:
        micro = int((frac or "0")[:6].ljust(6, "0"))
        dt = datetime(int(y), int(mo), int(d), int(hh or 0), int(mi or 0), int(ss or 0), micro)
    except ValueError:  # 0000:00:00, month 13 ...
        return TimeStamp(source, raw)
    tz = parse_offset(zone) or parse_offset(offset)
    if tz is not None:
        aware = dt.replace(tzinfo=tz)
        local = aware.isoformat()
        try:
            utc = aware.astimezone(UTC).isoformat()
        except OverflowError:
            utc = None
        tzs = _offset_text(tz)
    else:
        local, utc, tzs = dt.isoformat(), None, None
    unset = dt.isoformat().startswith(_EPOCHS)
    return TimeStamp(source, raw, local, utc, tzs, unset)


# -- ISO 6709 ----------------------------------------------------------------------------

_ISO6709_RE = re.compile(
    r"^\s*([+-]\d+(?:\.\d*)?)([+-]\d+(?:\.\d*)?)([+-]\d+(?:\.\d*)?)?\s*(?:CRS[^/]*)?/?\s*$"
)


def _angle(text: str, deg_digits: int) -> float | None:
    """ISO 6709 angle: ±DD[.d], ±DDMM[.m] or ±DDMMSS[.s] (lon: one more degree digit)."""
    sign = -1.0 if text[0] == "-" else 1.0
    body = text[1:]
    whole = body.split(".")[0]
    frac = float("0." + body.split(".")[1]) if "." in body and body.split(".")[1] else 0.0
    n = len(whole)
    if 0 < n <= deg_digits:  # lenient: writers drop leading zeros (+1.5-2.25/)
        value = int(whole) + frac
    elif n == deg_digits + 2:
        value = int(whole[:deg_digits]) + (int(whole[deg_digits:]) + frac) / 60
    elif n == deg_digits + 4:
        value = int(whole[:deg_digits]) + int(whole[deg_digits : deg_digits + 2]) / 60
        value += (int(whole[deg_digits + 2 :]) + frac) / 3600
    else:
        return None
    return sign * value


def parse_iso6709(source: str, raw: str) -> GpsFix | None:
    """``+52.2097-000.8955+103.640/`` → GpsFix(52.2097, -0.8955, 103.64); junk → None."""
    m = _ISO6709_RE.match(raw or "")
    if not m:
        return None
    lat, lon = _angle(m.group(1), 2), _angle(m.group(2), 3)
    if lat is None or lon is None or abs(lat) > 90 or abs(lon) > 180:
        return None
    alt = float(m.group(3)) if m.group(3) else None
    return make_fix(source, raw, lat, lon, alt)


def make_fix(source: str, raw: str, lat: float, lon: float, alt: float | None) -> GpsFix:
    if abs(lat) < 1e-6 and abs(lon) < 1e-6:
        return GpsFix(source, raw, None, None, alt, null_island=True)
    return GpsFix(source, raw, round(lat, 8), round(lon, 8), None if alt is None else round(alt, 3))


# -- EXIF --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExifInfo:
    """What a still's EXIF says. ``tags`` holds every tag exifread read, as strings."""

    schema_version: int = 1
    make: str | None = None
    model: str | None = None
    software: str | None = None
    datetime_original: TimeStamp | None = None
    times: tuple[TimeStamp, ...] = ()
    gps: GpsFix | None = None
    orientation: int | None = None
    orientation_text: str | None = None
    thumbnail: bool = False
    tags: dict[str, str] = field(default_factory=dict)
    source: str = "exifread"  # or "exifread (EXIF block via pillow-heif)"
    notes: tuple[str, ...] = ()  # warnings: damaged fields, partial reads


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextlib.contextmanager
def _exifread_warnings() -> Iterator[list[str]]:
    """Collect exifread's own warnings (it would print them) as notes."""
    handler = _Collect()
    logger = logging.getLogger("exifread")
    logger.addHandler(handler)
    propagate, logger.propagate = logger.propagate, False  # they become notes, not stderr lines
    try:
        yield handler.messages
    finally:
        logger.propagate = propagate
        logger.removeHandler(handler)


_EXIFREAD_ERRORS = (AssertionError, EOFError, struct.error, ValueError, IndexError, KeyError, TypeError,
                    ZeroDivisionError, OverflowError, OSError, RecursionError, AttributeError,
                    NotImplementedError, ExifError)  # fmt: skip  # HEIC boxes it cannot walk: BadSize, ...


def _run_exifread(fh: BinaryIO) -> dict[str, Any]:
    return exifread.process_file(fh, details=False, truncate_tags=False, extract_thumbnail=True)


def _exif_block(path: Path, fmt: str) -> tuple[bytes | None, str]:
    """The raw EXIF block as Pillow (or pillow-heif for HEIF) finds it, minus the ``Exif`` prefix."""
    block: bytes | None = None
    if fmt in ("heic", "heif", "avif"):
        reader = "pillow-heif"
        try:
            import pillow_heif

            block = pillow_heif.open_heif(str(path)).info.get("exif")
        except (ImportError, ValueError, RuntimeError, OSError) as exc:
            log.debug("pillow-heif cannot read %s: %s", path, exc)
    else:
        from PIL import Image, UnidentifiedImageError

        reader = "Pillow"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the damage is reported by exifread below
                with Image.open(path) as img:
                    block = img.info.get("exif")
        except (
            UnidentifiedImageError,
            Image.DecompressionBombError,
            OSError,
            ValueError,
            SyntaxError,
        ) as exc:
            log.debug("Pillow cannot read %s: %s", path, exc)
    if not block:
        return None, reader
    return (block[6:] if block.startswith(b"Exif\x00\x00") else block), reader


def read_exif(path: Path, fmt: str) -> ExifInfo:
    """EXIF of a still (``fmt`` is the sniffed format: jpeg, png, tiff, webp, heic…).

    When exifread finds nothing in the file (or fails on it), the EXIF block that
    Pillow / pillow-heif extract is handed to exifread directly; the notes say so.
    """
    notes: list[str] = []
    raw: dict[str, Any] = {}
    source = "exifread"
    with _exifread_warnings() as warned:
        try:
            with open(path, "rb") as fh:
                raw = _run_exifread(fh)
        except _EXIFREAD_ERRORS as exc:
            notes.append(f"exifread could not read the EXIF ({type(exc).__name__}: {exc})".strip())
        if not raw:
            block, reader = _exif_block(path, fmt)
            if block:
                try:
                    raw = _run_exifread(io.BytesIO(block))
                    if raw:
                        source = f"exifread (EXIF block via {reader})"
                        notes.append(
                            f"EXIF read from the block {reader} extracted; exifread missed it in the file"
                        )
                    else:
                        notes.append(f"an EXIF block of {len(block):,} bytes is present but unreadable")
                except _EXIFREAD_ERRORS as exc:
                    notes.append(f"the EXIF block is damaged ({type(exc).__name__}: {exc})")
    notes.extend(f"exifread: {m}" for m in dict.fromkeys(warned) if "format not recognized" not in m.lower())
    return interpret_exif(raw, source, tuple(notes))


def _ratio(v: Any) -> float:
    if hasattr(v, "num") and hasattr(v, "den"):
        return float(Fraction(int(v.num), int(v.den))) if int(v.den) else float("nan")
    return float(v)


def _dms(tag: Any) -> float | None:
    try:
        vals = [_ratio(v) for v in tag.values][:3]
    except (TypeError, ValueError, ZeroDivisionError, AttributeError):
        return None
    if not vals or any(v != v for v in vals):
        return None
    vals += [0.0] * (3 - len(vals))
    return vals[0] + vals[1] / 60 + vals[2] / 3600


def _text(raw: dict[str, Any], key: str) -> str | None:
    tag = raw.get(key)
    if tag is None:
        return None
    text = str(tag.printable if hasattr(tag, "printable") else tag).strip().strip("\x00").strip()
    return text or None


def _gps(raw: dict[str, Any], notes: list[str]) -> GpsFix | None:
    lat_tag, lon_tag = raw.get("GPS GPSLatitude"), raw.get("GPS GPSLongitude")
    if lat_tag is None or lon_tag is None:
        return None
    lat, lon = _dms(lat_tag), _dms(lon_tag)
    if lat is None or lon is None or lat > 90 or lon > 180:
        notes.append(f"GPS position unreadable ({lat_tag} / {lon_tag})")
        return None
    lat_ref, lon_ref = (
        (_text(raw, "GPS GPSLatitudeRef") or "N").upper(),
        (_text(raw, "GPS GPSLongitudeRef") or "E"),
    )
    if lat_ref.startswith("S"):
        lat = -lat
    if lon_ref.upper().startswith("W"):
        lon = -lon
    alt = None
    alt_tag = raw.get("GPS GPSAltitude")
    if alt_tag is not None:
        try:
            alt = _ratio(alt_tag.values[0])
        except (TypeError, ValueError, IndexError, ZeroDivisionError, AttributeError):
            alt = None
        ref = raw.get("GPS GPSAltitudeRef")
        if alt is not None and ref is not None and str(getattr(ref, "values", [0])[0]) in ("1", "b'\\x01'"):
            alt = -alt
        if alt is not None and (alt != alt or abs(alt) > 100_000):
            notes.append(f"GPS altitude {alt_tag} is implausible; ignored")
            alt = None
    text = f"{lat_ref} {lat_tag}, {lon_ref} {lon_tag}"
    return make_fix("exif:GPS", text, lat, lon, alt)


def interpret_exif(raw: dict[str, Any], source: str = "exifread", notes: tuple[str, ...] = ()) -> ExifInfo:
    """Turn exifread's tag dict into an :class:`ExifInfo`."""
    more = list(notes)
    tags = {k: str(v) for k, v in raw.items() if k not in ("JPEGThumbnail", "TIFFThumbnail")}
    times: list[TimeStamp] = []
    for key, off_key in (
        ("EXIF DateTimeOriginal", "EXIF OffsetTimeOriginal"),
        ("EXIF DateTimeDigitized", "EXIF OffsetTimeDigitized"),
        ("Image DateTime", "EXIF OffsetTime"),
    ):
        value = _text(raw, key)
        if value:
            times.append(parse_time(f"exif:{key.split()[-1]}", value, _text(raw, off_key)))
    gps_date, gps_time = _text(raw, "GPS GPSDate"), raw.get("GPS GPSTimeStamp")
    if gps_date and gps_time is not None:
        try:
            h, mi, s = (_ratio(v) for v in list(gps_time.values)[:3])
            stamp = f"{gps_date} {int(h):02d}:{int(mi):02d}:{int(s):02d}Z"
            times.append(parse_time("exif:GPSDateStamp+GPSTimeStamp", stamp))
        except (TypeError, ValueError, ZeroDivisionError, AttributeError):
            more.append(f"GPS time unreadable ({gps_time})")
    orientation = None
    o_tag = raw.get("Image Orientation")
    if o_tag is not None:
        with contextlib.suppress(TypeError, ValueError, IndexError, AttributeError):
            orientation = int(o_tag.values[0])
    original = next((t for t in times if t.source == "exif:DateTimeOriginal"), None)
    return ExifInfo(
        make=_text(raw, "Image Make"),
        model=_text(raw, "Image Model"),
        software=_text(raw, "Image Software"),
        datetime_original=original,
        times=tuple(times),
        gps=_gps(raw, more),
        orientation=orientation,
        orientation_text=_text(raw, "Image Orientation"),
        thumbnail="JPEGThumbnail" in raw or "TIFFThumbnail" in raw,
        tags=tags,
        source=source,
        notes=tuple(more),
    )
