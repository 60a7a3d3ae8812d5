"""What the site said about a downloaded video: :class:`SiteRecord`, kept next to the file.

yt-dlp's info dict is huge (every format with its URL, HTTP headers, sometimes cookies):
:func:`record_from_info` keeps only the fields a fact-checker cites (platform, id, uploader and
channel, upload time, title, description, URLs, counts) and the format actually downloaded.
Strings are stored verbatim (they are untrusted: shown through ``safe_text``), capped in length.
The record is written as ``<file>.info.json`` (:func:`write_record`, :func:`load_record`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..errors import SchemaVersionError, VerifyError
from ..probe.exif import TimeStamp
from ..serial import dumps, from_jsonable

SCHEMA_VERSION = 1
#: Longest string kept from the site (a description can be long; a hostile one longer).
MAX_TEXT = 20_000
#: Extractors that read any web page (not a platform): their times are the server's, not an upload's.
GENERIC_EXTRACTORS = {"generic", "html5"}


@dataclass(frozen=True)
class SiteRecord:
    """The site's account of one video (from yt-dlp), plus when and how it was fetched."""

    schema_version: int = SCHEMA_VERSION
    url: str = ""  # as the analyst gave it
    webpage_url: str = ""
    original_url: str = ""
    media_url_host: str = ""  # host the media bytes came from
    extractor: str = ""  # yt-dlp's extractor name (youtube, tiktok, generic, html5, ...)
    platform: str = ""  # for people: "Youtube", "TikTok", or the site's host for generic pages
    id: str = ""
    title: str = ""
    description: str = ""
    uploader: str = ""
    uploader_id: str = ""
    uploader_url: str = ""
    channel: str = ""
    channel_id: str = ""
    channel_url: str = ""
    upload_date: str = ""  # YYYY-MM-DD as the site gives it (time zone not stated)
    timestamp: str = ""  # upload (or, for generic pages, Last-Modified) time, UTC ISO 8601 with Z
    release_timestamp: str = ""
    duration: float | None = None
    view_count: int | None = None
    like_count: int | None = None
    comment_count: int | None = None
    repost_count: int | None = None
    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    license: str = ""
    live_status: str = ""
    availability: str = ""
    format_id: str = ""
    format: str = ""
    ext: str = ""
    width: int | None = None
    height: int | None = None
    vcodec: str = ""
    acodec: str = ""
    fetched_at: str = ""  # UTC, when verify fetched it
    downloader: str = ""  # "yt-dlp 2026.10.26"
    hosts_contacted: tuple[str, ...] = ()

    @property
    def generic(self) -> bool:
        return self.extractor in GENERIC_EXTRACTORS

    def upload_time(self) -> TimeStamp | None:
        """The site's upload time as a creation-time candidate (source ``uploaded to <platform>``)."""
        source = (
            f"last modified on {self.platform} (HTTP Last-Modified)"
            if self.generic
            else f"uploaded to {self.platform}"
        )
        if self.timestamp:
            utc = self.timestamp.replace("Z", "+00:00")
            return TimeStamp(source=source, raw=self.timestamp, local=utc, utc=utc, tz="+00:00")
        if self.upload_date:
            return TimeStamp(source=source, raw=self.upload_date, local=self.upload_date)
        return None


def _text(v: Any) -> str:
    if v is None:
        return ""
    s = v if isinstance(v, str) else str(v)
    return s[:MAX_TEXT]


def _int(v: Any) -> int | None:
    try:
        return int(v) if v is not None and not isinstance(v, bool) else None
    except (TypeError, ValueError):
        return None


def _float(v: Any) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _iso(ts: Any) -> str:
    try:
        if ts is None or isinstance(ts, bool):
            return ""
        when = datetime.fromtimestamp(float(ts), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return ""
    return when.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _date(v: Any) -> str:
    s = _text(v)
    return f"{s[:4]}-{s[4:6]}-{s[6:8]}" if len(s) == 8 and s.isdigit() else ""


def _strings(v: Any, limit: int = 100) -> tuple[str, ...]:
    return tuple(_text(x)[:500] for x in v[:limit]) if isinstance(v, list) else ()


def platform_name(info: dict[str, Any]) -> str:
    extractor = _text(info.get("extractor")).lower()
    if extractor in GENERIC_EXTRACTORS or not extractor:
        return urlsplit(_text(info.get("webpage_url") or info.get("original_url"))).netloc or "the web"
    return _text(info.get("extractor_key") or info.get("extractor"))


def record_from_info(
    info: dict[str, Any], *, url: str, fetched_at: str, downloader: str, hosts: tuple[str, ...] = ()
) -> SiteRecord:
    """Keep the citable fields of a yt-dlp info dict (drops formats, headers, cookies, thumbnails)."""
    g = info.get
    return SiteRecord(
        url=url,
        webpage_url=_text(g("webpage_url")),
        original_url=_text(g("original_url")),
        media_url_host=urlsplit(_text(g("url"))).netloc,
        extractor=_text(g("extractor")).lower(),
        platform=platform_name(info),
        id=_text(g("id")),
        title=_text(g("title")),
        description=_text(g("description")),
        uploader=_text(g("uploader")),
        uploader_id=_text(g("uploader_id")),
        uploader_url=_text(g("uploader_url")),
        channel=_text(g("channel")),
        channel_id=_text(g("channel_id")),
        channel_url=_text(g("channel_url")),
        upload_date=_date(g("upload_date")),
        timestamp=_iso(g("timestamp")),
        release_timestamp=_iso(g("release_timestamp")),
        duration=_float(g("duration")),
        view_count=_int(g("view_count")),
        like_count=_int(g("like_count")),
        comment_count=_int(g("comment_count")),
        repost_count=_int(g("repost_count")),
        tags=_strings(g("tags")),
        categories=_strings(g("categories")),
        license=_text(g("license")),
        live_status=_text(g("live_status")),
        availability=_text(g("availability")),
        format_id=_text(g("format_id")),
        format=_text(g("format")),
        ext=_text(g("ext")),
        width=_int(g("width")),
        height=_int(g("height")),
        vcodec=_text(g("vcodec")),
        acodec=_text(g("acodec")),
        fetched_at=fetched_at,
        downloader=downloader,
        hosts_contacted=hosts,
    )


def record_path(media: str | Path) -> Path:
    p = Path(media)
    return p.with_name(p.name + ".info.json")


def write_record(record: SiteRecord, media: str | Path) -> Path:
    path = record_path(media)
    path.write_text(dumps(record, indent=2) + "\n", encoding="utf-8")
    return path


def load_record(media_or_record: str | Path) -> SiteRecord:
    """The :class:`SiteRecord` of a downloaded file (give the file or its ``.info.json``)."""
    p = Path(media_or_record)
    path = p if p.name.endswith(".info.json") else record_path(p)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise VerifyError("no site record next to this file", path=path, stage="link",
                          hint="Only files fetched with `verify get` have one.") from exc  # fmt: skip
    except (OSError, ValueError) as exc:
        raise VerifyError(f"the site record is unreadable ({exc})", path=path, stage="link") from exc
    if not isinstance(data, dict):
        raise VerifyError("the site record is not a JSON object", path=path, stage="link")
    version = data.get("schema_version", 1)
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise SchemaVersionError(f"site record schema {version!r} is newer than this verify reads", path=path)
    return from_jsonable(SiteRecord, data)


__all__ = ["SCHEMA_VERSION", "SiteRecord", "load_record", "record_from_info", "record_path", "write_record"]
