"""Provenance signals: short, typed findings about what a file's metadata implies.

Each :class:`Signal` carries a stable ``code``, a ``severity`` (``info`` < ``notice``
< ``warning``), a title, one plain sentence a fact-checker understands, and the
``fields`` behind it. Metadata is trivially forged: a signal is a lead to check,
never proof. :func:`file_signals` looks at one probed file; :func:`pair_signals`
compares a video with the still said to belong with it (a Live Photo pair, a
frame grab) for device, time and place.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from .exif import TimeStamp
    from .model import MediaInfo

Severity = Literal["info", "notice", "warning"]

#: Creation times further apart than this (seconds, after time-zone normalisation) disagree.
TIME_TOLERANCE = 60.0
#: A video and its still further apart than this (metres) were not taken at the same place.
PLACE_TOLERANCE = 500.0
EARLIEST_PLAUSIBLE = 1995

_FFMPEG = re.compile(r"\bLav[fc]\d|ffmpeg", re.IGNORECASE)


@dataclass(frozen=True)
class Signal:
    code: str
    severity: Severity
    title: str
    explanation: str
    fields: dict[str, Any] = field(default_factory=dict)


def is_ffmpeg(value: str | None) -> bool:
    """True for encoder strings FFmpeg writes (``Lavf58.29.100``, ``Lavc…``, ``FFmpeg``)."""
    return bool(value and _FFMPEG.search(value))


def _instant(t: TimeStamp) -> datetime | None:
    try:
        return t.instant()
    except ValueError:
        return None


def _usable(times: tuple[TimeStamp, ...]) -> list[TimeStamp]:
    return [t for t in times if t.local and not t.unset]


def _spread(times: list[TimeStamp]) -> tuple[TimeStamp, TimeStamp, float] | None:
    """The two times furthest apart among comparable ones (all with a zone, or all without)."""
    best = None
    for aware in (True, False):
        group: list[tuple[TimeStamp, datetime]] = []
        for t in times:
            instant = _instant(t) if (t.utc is not None) == aware else None
            if instant is not None:
                group.append((t, instant))
        if len(group) < 2:
            continue
        lo = min(group, key=lambda x: x[1])
        hi = max(group, key=lambda x: x[1])
        gap = (hi[1] - lo[1]).total_seconds()
        if best is None or gap > best[2]:
            best = (lo[0], hi[0], gap)
    return best


def _time_signals(info: MediaInfo, now: datetime) -> list[Signal]:
    out: list[Signal] = []
    times = _usable(info.creation_times)
    creation = [t for t in times if t.source not in ("exif:DateTime",)]
    spread = _spread(creation)
    if spread and spread[2] > TIME_TOLERANCE:
        lo, hi, gap = spread
        out.append(Signal(
            "creation_times_disagree", "warning", "Creation times disagree",
            f"Two creation times in this file are {_human(gap)} apart, so at least one was changed or set wrongly.",
            {"earliest": {"source": lo.source, "value": lo.local}, "latest": {"source": hi.source, "value": hi.local},
             "seconds_apart": round(gap, 1)},
        ))  # fmt: skip
    for t in times:
        inst = _instant(t)
        if inst is None:
            continue
        ref = now if inst.tzinfo else now.replace(tzinfo=None)
        if inst > ref + timedelta(days=1):
            out.append(Signal(
                "creation_time_future", "warning", "Creation time in the future",
                "A creation time lies after today, so the device clock was wrong or the tag was edited.",
                {"source": t.source, "value": t.local},
            ))  # fmt: skip
        elif inst.year < EARLIEST_PLAUSIBLE:
            out.append(Signal(
                "creation_time_too_early", "notice", f"Creation time before {EARLIEST_PLAUSIBLE}",
                "A creation time lies before consumer digital video existed, so it is most likely a wrong clock or "
                "an edited tag.",
                {"source": t.source, "value": t.local},
            ))  # fmt: skip
    if any(t.unset for t in info.creation_times):
        out.append(Signal(
            "creation_time_unset", "info", "Creation time left at zero",
            "A creation time holds the 1904/1970 zero value, meaning the writer never set it.",
            {"sources": [t.source for t in info.creation_times if t.unset]},
        ))  # fmt: skip
    modified = next((t for t in times if t.source == "exif:DateTime"), None)
    original = next((t for t in times if t.source == "exif:DateTimeOriginal"), None)
    if modified and original:
        a, b = _instant(original), _instant(modified)
        if a and b and (a.tzinfo is None) == (b.tzinfo is None) and (b - a).total_seconds() > TIME_TOLERANCE:
            out.append(Signal(
                "modified_after_capture", "notice", "Saved again after it was taken",
                "The photo's modification date is later than the moment it was taken, so software saved it again.",
                {"taken": original.local, "modified": modified.local},
            ))  # fmt: skip
    return out


def _human(seconds: float) -> str:
    s = abs(seconds)
    if s >= 86400 * 2:
        return f"{s / 86400:.0f} days"
    if s >= 7200:
        return f"{s / 3600:.1f} hours"
    if s >= 120:
        return f"{s / 60:.0f} minutes"
    return f"{s:.0f} seconds"


def _has_metadata(info: MediaInfo) -> bool:
    exif_tags = info.image is not None and info.image.exif is not None and bool(info.image.exif.tags)
    return bool(info.device.present or _usable(info.creation_times) or info.gps_all or exif_tags
                or info.c2pa.present or info.xmp is not None)  # fmt: skip


def file_signals(info: MediaInfo, now: datetime | None = None) -> list[Signal]:
    """The provenance signals of one probed file (``now`` for tests; default: the clock)."""
    now = now or datetime.now(UTC)
    out: list[Signal] = []
    if not _has_metadata(info):
        out.append(Signal(
            "no_metadata", "notice", "No metadata at all",
            "The file carries no device, date or location, which is typical of a copy re-uploaded through a social "
            "network or messaging app that strips tags.",
        ))  # fmt: skip
    ffmpeg = {k: v for k, v in info.encoders.items() if is_ffmpeg(v)}
    if ffmpeg:
        out.append(Signal(
            "ffmpeg_encoder", "notice", "Processed with FFmpeg",
            "The encoder tag says FFmpeg wrote this file, so it was re-encoded, converted or edited after capture.",
            ffmpeg,
        ))  # fmt: skip
        if info.device.present:
            out.append(Signal(
                "device_with_ffmpeg", "warning", "Camera tags on an FFmpeg file",
                "The file names a camera or phone but was written by FFmpeg, so it is not the device's original file.",
                {"device": info.device.label() or info.device.firmware, **ffmpeg},
            ))  # fmt: skip
    out += _time_signals(info, now)
    if any(g.null_island for g in info.gps_all):
        g = next(g for g in info.gps_all if g.null_island)
        out.append(Signal(
            "gps_null_island", "warning", "GPS position 0, 0 (null island)",
            "The position tag is 0° latitude, 0° longitude, a placeholder written when there was no fix, not a place.",
            {"source": g.source, "raw": g.raw},
        ))  # fmt: skip
    if info.rotation:
        out.append(Signal(
            "rotation", "info", "Rotated for display",
            f"The video is stored sideways or upside down and players turn it by {info.rotation}°, as phones do "
            "when filming in portrait.",
            {"rotation": info.rotation},
        ))  # fmt: skip
    exif = info.image.exif if info.image is not None else None
    if exif is not None and exif.orientation not in (None, 1):
        out.append(Signal(
            "orientation", "info", "EXIF orientation set",
            "The picture is stored turned or mirrored and viewers correct it using the EXIF orientation tag.",
            {"orientation": exif.orientation, "meaning": exif.orientation_text},
        ))  # fmt: skip
    out += _vfr(info)
    f = info.file
    if f is not None and f.extension_mismatch:
        out.append(Signal(
            "extension_mismatch", "warning", "File name does not match content",
            f"The name ends in .{f.extension} but the content is {f.format}, so the file was renamed.",
            {"extension": f.extension, "content": f.format},
        ))  # fmt: skip
    if info.notes:
        out.append(Signal(
            "metadata_damaged", "notice", "Metadata partly unreadable",
            "Some metadata could not be read, so what is shown is incomplete; the picture may still be fine.",
            {"notes": list(info.notes)[:10]},
        ))  # fmt: skip
    c = info.c2pa
    if c.present:
        bad = c.state.lower() not in ("valid", "trusted")
        out.append(Signal(
            "c2pa_invalid" if bad else "c2pa_present", "warning" if bad else "info",
            "Content Credentials fail validation" if bad else "Content Credentials present",
            "The file's C2PA signature does not validate, so it was changed after signing or the credential is "
            "broken." if bad else "The file carries signed C2PA Content Credentials saying who made or edited it.",
            {"state": c.state, "issuer": c.issuer, "claim_generator": c.claim_generator},
        ))  # fmt: skip
    out += _xmp_signals(info)
    return out


def _xmp_signals(info: MediaInfo) -> list[Signal]:
    from ..xmp.signals import xmp_signals  # here: verify.xmp imports this module

    return xmp_signals(info)


def _vfr(info: MediaInfo) -> list[Signal]:
    v = info.video
    if v is None:
        return []
    # the real (base) rate alone is only FFmpeg's guess (a time-base multiple, a field rate): it counts as
    # evidence only when the packet scan also saw intervals of clearly different lengths
    t = info.timing
    rates_differ = bool(v.avg_frame_rate and v.real_frame_rate) and (
        abs(v.avg_frame_rate - v.real_frame_rate) / max(v.real_frame_rate or 1.0, 1e-9) > 0.02  # type: ignore[operator]
    )
    if t is None:
        return []
    spread = bool(t.min_interval and t.max_interval and t.max_interval > 1.5 * t.min_interval)
    if not t.irregular and not (rates_differ and spread and t.packets >= 6):
        return []
    fields: dict[str, Any] = {
        "avg_frame_rate": round(v.avg_frame_rate, 3) if v.avg_frame_rate else None,
        "real_frame_rate": round(v.real_frame_rate, 3) if v.real_frame_rate else None,
        "min_interval": t.min_interval,
        "median_interval": t.median_interval,
        "max_interval": t.max_interval,
        "packets_scanned": t.packets,
    }
    if not fields:
        return []
    return [Signal(
        "variable_frame_rate", "info", "Variable frame rate",
        "Frames are not evenly spaced in time, which is normal for phone recordings and screen captures but not "
        "for most edited exports.",
        fields,
    )]  # fmt: skip


# -- pairs -------------------------------------------------------------------------------


def _distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(min(1.0, h)))


def _norm(text: str | None) -> str:
    return re.sub(r"\s+", " ", (text or "").strip().lower())


def _gap(a: TimeStamp, b: TimeStamp) -> float | None:
    """Seconds between two times: in UTC when both have a zone, else wall clock to wall clock."""
    x: datetime | None
    y: datetime | None
    if a.utc and b.utc:
        x, y = datetime.fromisoformat(a.utc), datetime.fromisoformat(b.utc)
    else:
        x = datetime.fromisoformat(a.local).replace(tzinfo=None) if a.local else None
        y = datetime.fromisoformat(b.local).replace(tzinfo=None) if b.local else None
        if x is None or y is None or (a.utc and a.tz in ("+00:00",) and not b.utc):
            return None  # a UTC-only container time says nothing about the local wall clock
    return abs((x - y).total_seconds())


def pair_signals(video: MediaInfo, still: MediaInfo) -> list[Signal]:
    """Compare a video with the still said to belong with it: device, time, place."""
    out: list[Signal] = []
    agreed: list[str] = []
    dv, ds = video.device, still.device
    if (dv.make or dv.model) and (ds.make or ds.model):
        mismatch = {k: (getattr(dv, k), getattr(ds, k)) for k in ("make", "model")
                    if getattr(dv, k) and getattr(ds, k) and _norm(getattr(dv, k)) != _norm(getattr(ds, k))}  # fmt: skip
        if mismatch:
            out.append(Signal(
                "pair_device_mismatch", "warning", "Video and still name different devices",
                "The video and the still say they were made by different cameras, so they are not one original pair.",
                {k: {"video": a, "still": b} for k, (a, b) in mismatch.items()},
            ))  # fmt: skip
        else:
            agreed.append("device")
    still_time = next((t for t in _usable(still.creation_times) if t.source == "exif:DateTimeOriginal"), None)
    still_time = still_time or next(iter(_usable(still.creation_times)), None)
    if still_time is not None:
        off: dict[str, Any] = {}
        agreeing: list[str] = []
        for t in _usable(video.creation_times):
            gap = _gap(t, still_time)
            if gap is None:
                continue
            if gap > TIME_TOLERANCE:
                off[t.source] = {"video": t.local, "still": still_time.local, "seconds_apart": round(gap, 1)}
            else:
                agreeing.append(t.source)
        compared = len(off) + len(agreeing)
        if off:
            off["still_time"] = {"source": still_time.source, "value": still_time.local}
            off["agreeing_video_times"] = agreeing
            out.append(Signal(
                "pair_time_mismatch", "warning", "Video and still times disagree",
                f"{compared - len(agreeing)} of the video's {compared} creation times differ from the still's by more than a minute, so one of "
                "them was edited or they were not taken together.",
                off,
            ))  # fmt: skip
        elif compared:
            agreed.append("time")
    gv = video.gps if video.gps is not None and not video.gps.null_island else None
    gs = still.gps if still.gps is not None and not still.gps.null_island else None
    if (
        gv is not None
        and gs is not None
        and None not in (gv.latitude, gv.longitude, gs.latitude, gs.longitude)
    ):
        d = _distance_m((gv.latitude, gv.longitude), (gs.latitude, gs.longitude))  # type: ignore[arg-type]
        if d > PLACE_TOLERANCE:
            out.append(Signal(
                "pair_gps_mismatch", "warning", "Video and still positions disagree",
                f"The video and the still were tagged {d / 1000:.1f} km apart, so they were not taken at one place.",
                {"video": [gv.latitude, gv.longitude], "still": [gs.latitude, gs.longitude], "metres": round(d)},
            ))  # fmt: skip
        else:
            agreed.append("place")
    elif (gv is None) != (gs is None):
        out.append(Signal(
            "pair_gps_one_sided", "notice", "Only one of the pair has a position",
            "One file of the pair carries a GPS position and the other does not, so one was stripped or edited.",
            {"video": gv is not None, "still": gs is not None},
        ))  # fmt: skip
    if agreed and not any(s.severity == "warning" for s in out):
        out.append(Signal(
            "pair_consistent", "info", "Video and still agree",
            f"The video and the still agree on {', '.join(agreed)}, as an original pair from one device would.",
            {"agreed": agreed},
        ))  # fmt: skip
    return out
