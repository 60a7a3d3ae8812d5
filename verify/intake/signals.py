"""The site's upload time against the file's own times: provenance signals for a fetched file.

``link_signals(info, record)`` compares the creation times the file carries (container,
QuickTime, EXIF, XMP ``CreateDate``) with the time the site gives (:meth:`SiteRecord.upload_time`):

* ``uploaded_to_platform`` (info): the site's time, as a creation-time candidate with its source;
* ``recorded_after_upload`` (warning): the file says it was made after the site says it was
  uploaded, which a camera original cannot do (a later re-encode wrote that time, or a tag or the
  site's time is wrong);
* ``uploaded_long_after_recording`` (notice): the upload comes long after the file's earliest
  creation time: the footage may be older than the post (recycled), or the camera clock was off;
* ``upload_consistent`` (info): the file's times fall shortly before the upload.

A generic web page has no upload time: its time is the server's ``Last-Modified``, and the signal
says so. Metadata and site records can both be wrong: these are leads, not proof.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..probe.exif import TimeStamp
from ..probe.signals import Signal

if TYPE_CHECKING:
    from ..probe import MediaInfo
    from .record import SiteRecord

#: Allowed slack when the file's time is after the upload (platform processing, clock drift).
AFTER_SLACK = timedelta(hours=1)
#: A file time without a zone may be local time anywhere on Earth.
ZONE_SLACK = timedelta(hours=14)
#: An upload this long after the earliest recording time is worth a look.
LONG_AFTER = timedelta(days=30)


def _aware(t: TimeStamp) -> tuple[datetime, bool] | None:
    """(instant in UTC, exact zone known) of a time stamp; naive times are taken as UTC."""
    try:
        inst = t.instant()
    except ValueError:
        return None
    if inst is None:
        return None
    if inst.tzinfo is None:
        return inst.replace(tzinfo=UTC), False
    return inst.astimezone(UTC), True


def file_times(info: MediaInfo) -> list[TimeStamp]:
    """The creation times a file carries about itself (unset placeholders dropped)."""
    out = [t for t in info.creation_times if t.local and not t.unset and t.source != "exif:DateTime"]
    x = info.xmp
    if x is not None and x.create_date:
        from ..probe.exif import parse_time

        parsed = parse_time("xmp:CreateDate", x.create_date)
        if parsed.local:
            out.append(parsed)
    return out


def creation_candidates(info: MediaInfo, record: SiteRecord) -> list[TimeStamp]:
    """Every creation-time candidate with its source: the file's own, then the site's."""
    up = record.upload_time()
    return [*file_times(info), *([up] if up is not None else [])]


def _human(delta: timedelta) -> str:
    s = abs(delta.total_seconds())
    if s >= 2 * 86400:
        return f"{s / 86400:.0f} days"
    if s >= 7200:
        return f"{s / 3600:.1f} hours"
    return f"{s / 60:.0f} minutes"


def link_signals(info: MediaInfo, record: SiteRecord) -> list[Signal]:
    """Signals comparing the site's upload time with the file's own creation times."""
    up = record.upload_time()
    if up is None:
        return []
    where = f"{record.platform}" + (
        f" by {record.uploader or record.channel}" if record.uploader or record.channel else ""
    )
    day_only = not record.timestamp
    what = "last modified on the server" if record.generic else "uploaded"
    noun = "server time" if record.generic else "upload time"
    out = [Signal(
        "uploaded_to_platform", "info",
        "Server time of the link" if record.generic else f"Uploaded to {record.platform}",
        (f"The server says the file was last modified on {up.raw} (a web page's HTTP Last-Modified time, "
         "not an upload date)." if record.generic else
         f"{record.platform} says it was uploaded on {up.raw}{' (date only)' if day_only else ''} ({where})."),
        {"source": up.source, "value": up.raw, "platform": record.platform, "url": record.webpage_url or record.url,
         "uploader": record.uploader, "channel": record.channel},
    )]  # fmt: skip
    upload = _aware(up)
    if upload is None:
        return out
    up_at, _ = upload
    slack_up = timedelta(days=1) if day_only else timedelta(0)
    after: list[dict[str, Any]] = []
    before: list[tuple[timedelta, TimeStamp]] = []
    for t in file_times(info):
        got = _aware(t)
        if got is None:
            continue
        at, exact = got
        slack = AFTER_SLACK + slack_up + (timedelta(0) if exact else ZONE_SLACK)
        gap = at - up_at
        if gap > slack:
            after.append({"source": t.source, "value": t.local, "after_upload_by": _human(gap)})
        else:
            before.append((up_at - at, t))
    if after:
        out.append(Signal(
            "recorded_after_upload", "warning", f"File time after the {noun}",
            f"The file says it was made after the {noun} {record.platform} gives ({up.raw}): "
            f"{after[0]['source']} {after[0]['value']}, {after[0]['after_upload_by']} later. "
            + ("A file cannot be recorded after the server last changed the page, unless the media was replaced "
               "there: a tag, or the server's time, is wrong." if record.generic else
               "A camera original cannot be recorded after its upload: this copy was re-encoded later, or a tag "
               "or the site's time is wrong."),
            {"upload": {"source": up.source, "value": up.raw}, "file_times": after},
        ))  # fmt: skip
    elif before:
        gap, t = max(before, key=lambda x: x[0])
        if gap > LONG_AFTER + slack_up:
            out.append(Signal(
                "uploaded_long_after_recording", "notice", f"{noun.capitalize()} long after the recording",
                f"The {noun} {record.platform} gives ({up.raw}) comes {_human(gap)} after the file's earliest "
                f"creation time ({t.source} {t.local}): the footage may be older than the post (recycled footage), or the "
                "camera clock was wrong.",
                {"upload": {"source": up.source, "value": up.raw},
                 "earliest_file_time": {"source": t.source, "value": t.local}, "days": round(gap.days)},
            ))  # fmt: skip
        else:
            out.append(Signal(
                "upload_consistent", "info", f"File times fit the {what} time",
                f"The file's creation times fall within {LONG_AFTER.days} days before it was {what}, as a fresh "
                "upload's would.",
                {"upload": {"source": up.source, "value": up.raw}, "file_times": [t.source for _, t in before]},
            ))  # fmt: skip
    return out
