"""Open a link: download the video with yt-dlp and keep what the site said about it.

:func:`fetch_link` downloads the best format the site offers (video and audio merged by the
bundled ffmpeg, :func:`verify.ffmpeg_tool.ffmpeg_binary`), writes the site's record next to the
file (``<file>.info.json``, :mod:`.record`) and a chain-of-custody record
(``<file>.custody.json``, :mod:`.custody`) with the URL, the UTC time and the file's sha256.

What is contacted: the site of the URL and the media servers its page or API names, nothing
else. yt-dlp is used as a library, so it reads no configuration file, no cookies, no browser
profile, never updates itself, fetches no remote components and runs no post-processor but the
merge (no SponsorBlock, no thumbnails, no subtitles, no "fixups" that rewrite the site's bytes).
A page that only embeds a video from another site is refused rather than followed. Every host
contacted is recorded in the site record and the custody entry.

Errors are :class:`~verify.errors.LinkError` subclasses with one-line messages.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..custody import CustodyEntry
from ..digest import file_digests
from ..errors import (
    LinkError,
    LinkHTTPError,
    LinkNetworkError,
    LinkUnavailableError,
    NotMediaAtLinkError,
    UnsupportedLinkError,
    VerifyError,
)
from ..filetype import HEAD_BYTES, sniff
from ..notes import utc_now
from .custody import append_custody
from .record import SiteRecord, record_from_info, write_record

log = logging.getLogger("verify")

Progress = Callable[[float, float], None]

#: Seconds yt-dlp waits on a silent connection.
SOCKET_TIMEOUT = 30.0
_SECOND_LEVEL = {"co", "com", "org", "net", "gov", "ac", "edu", "ne", "or"}


@dataclass(frozen=True)
class Fetched:
    """A downloaded file and its records."""

    path: Path
    record: SiteRecord
    info_path: Path
    custody_path: Path
    sha256: str
    size: int


def site_of(netloc_or_url: str) -> str:
    """The registrable part of a host (``www.youtube.com`` -> ``youtube.com``; IPs stay whole)."""
    host = (urlsplit(netloc_or_url).hostname if "//" in netloc_or_url else netloc_or_url.split(":")[0]) or ""
    host = host.lower().strip(".")
    if re.fullmatch(r"[\d.]+|[0-9a-f:]+", host):
        return host
    labels = host.split(".")
    keep = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL else 2
    return ".".join(labels[-keep:])


def check_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UnsupportedLinkError(f"{url!r} is not a web link (http:// or https://)",
                                   hint="Give the address of the page or of the video itself.")  # fmt: skip
    return url


class _Log:
    """yt-dlp's messages go to verify's logger, never to the terminal."""

    def debug(self, msg: str) -> None:
        log.debug("yt-dlp: %s", msg)

    def info(self, msg: str) -> None:
        log.debug("yt-dlp: %s", msg)

    def warning(self, msg: str) -> None:
        log.info("yt-dlp warning: %s", msg)

    def error(self, msg: str) -> None:
        log.debug("yt-dlp error: %s", msg)


def _options(out_dir: Path, progress: Progress | None, max_bytes: int | None) -> dict[str, Any]:
    from ..ffmpeg_tool import ffmpeg_binary

    def hook(d: dict[str, Any]) -> None:
        if progress is not None and d.get("status") == "downloading":
            total = d.get("total_bytes") or d.get("total_bytes_estimate") or 0
            progress(float(d.get("downloaded_bytes") or 0), float(total or 0))

    return {
        "format": "bestvideo*+bestaudio/best",
        "paths": {"home": str(out_dir), "temp": str(out_dir)},
        "outtmpl": {"default": "%(extractor)s-%(id).80s.%(ext)s"},
        "restrictfilenames": True,
        "windowsfilenames": True,
        "trim_file_name": 120,
        "ffmpeg_location": ffmpeg_binary(),
        "noplaylist": True,
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "color": {"stdout": "no_color", "stderr": "no_color"},
        "logger": _Log(),
        "progress_hooks": [hook],
        "socket_timeout": SOCKET_TIMEOUT,
        "retries": 2,
        "fragment_retries": 2,
        "max_filesize": max_bytes,
        # nothing beyond the site: no cookies, no remote components, no extra services or rewrites
        "cookiefile": None,
        "cookiesfrombrowser": None,
        "remote_components": [],
        "mark_watched": False,
        "writethumbnail": False,
        "writesubtitles": False,
        "writeinfojson": False,
        "getcomments": False,
        "check_formats": False,
        "fixup": "never",
        "postprocessors": [],
    }


def _reason(text: str) -> str:
    t = text.lower()
    for needle, reason in (("refused", "connection refused"), ("name or service not known", "host not found"),
                           ("nodename nor servname", "host not found"), ("getaddrinfo", "host not found"),
                           ("timed out", "timed out"), ("network is unreachable", "network unreachable"),
                           ("certificate", "TLS certificate problem")):  # fmt: skip
        if needle in t:
            return reason
    return "network error"


def _link_error(exc: BaseException, url: str) -> LinkError:
    """One clear line for what yt-dlp raised (the original stays as ``__cause__``)."""
    from yt_dlp.networking.exceptions import HTTPError, TransportError
    from yt_dlp.utils import ExtractorError, GeoRestrictedError, UnsupportedError

    chain: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and len(chain) < 6:
        chain.append(cur)
        nxt = getattr(cur, "exc_info", None)
        cur = nxt[1] if isinstance(nxt, tuple) and len(nxt) > 1 and nxt[1] is not cur else None
        cur = cur or chain[-1].__cause__ or getattr(chain[-1], "cause", None)
        if cur in chain:
            break
    for e in chain:  # an HTTP error keeps the server's response (and its socket) open: close it
        response = getattr(e, "response", None)
        close = getattr(response, "close", None)
        if callable(close):
            try:
                close()
            except OSError:
                pass
    host = urlsplit(url).netloc
    text = " ".join(str(e) for e in chain)
    for e in chain:
        if isinstance(e, UnsupportedError):
            return UnsupportedLinkError(f"no video found at {url}")
        if isinstance(e, GeoRestrictedError):
            return LinkUnavailableError(f"{host} does not serve this video to this country")
        if isinstance(e, HTTPError):
            status = e.status
            what = {401: "login required", 403: "forbidden", 404: "not found", 410: "gone",
                    429: "too many requests"}.get(status, e.reason or "error")  # fmt: skip
            cls = LinkUnavailableError if status in (401, 403, 410) else LinkHTTPError
            return cls(f"{host} answered HTTP {status} ({what}) for {url}")
        if isinstance(e, TransportError):
            return LinkNetworkError(f"cannot reach {host}: {_reason(str(e))}")
    low = text.lower()
    for needle in ("private", "unavailable", "removed", "sign in", "members-only", "age", "copyright"):
        if needle in low and any(isinstance(e, ExtractorError) for e in chain):
            msg = re.sub(r"^(ERROR:\s*)?(\[[^\]]+\]\s*[^:]*:\s*)?", "", str(chain[0])).strip()
            return LinkUnavailableError(f"{host} says: {msg[:200]}")
    if "requested format is not available" in low or "no video formats" in low:
        return UnsupportedLinkError(f"{host} offers no downloadable video for {url}")
    msg = re.sub(r"^ERROR:\s*", "", str(chain[0])).strip()
    return LinkError(f"could not fetch {url}: {msg[:300]}")


def _single(ydl: Any, ie: dict[str, Any], url: str) -> dict[str, Any]:
    """The one video a link points at; refuse playlists and embeds from other sites."""
    if ie.get("_type") == "playlist":
        entries = []
        for entry in ie.get("entries") or []:
            entries.append(entry)
            if len(entries) > 1:
                break
        if len(entries) != 1:
            raise UnsupportedLinkError(
                f"{url} holds several videos", hint="Open the one you want and give verify its own link."
            )
        ie = entries[0]
    if ie.get("_type") in ("url", "url_transparent"):
        target = str(ie.get("url") or "")
        if site_of(target) != site_of(url):
            raise LinkError(
                f"the page at {url} embeds a video hosted on {urlsplit(target).netloc or target}",
                hint="verify get only contacts the site you give it: run it on that video's own link.",
            )
    return ie


def fetch_link(
    url: str,
    out_dir: str | Path = ".",
    *,
    progress: Progress | None = None,
    max_bytes: int | None = None,
) -> Fetched:
    """Download the video at ``url`` into ``out_dir`` with its site record and custody entry."""
    import yt_dlp

    url = check_url(url)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise VerifyError(f"cannot create the folder ({exc.strerror or exc})", path=out, stage="output",
                          hint="Choose a folder you can write to with -o.") from exc  # fmt: skip
    hosts: list[str] = []

    class Downloader(yt_dlp.YoutubeDL):
        def urlopen(self, req: Any) -> Any:
            target = req if isinstance(req, str) else getattr(req, "url", "")
            netloc = urlsplit(str(target)).netloc
            if netloc and netloc not in hosts:
                hosts.append(netloc)
            return super().urlopen(req)

    fetched_at = utc_now()
    downloader = f"yt-dlp {yt_dlp.version.__version__}"
    try:
        with Downloader(_options(out, progress, max_bytes)) as ydl:
            ie = _single(ydl, ydl.extract_info(url, download=False, process=False), url)
            info = ydl.process_ie_result(ie, download=True)
            if info is None:
                raise UnsupportedLinkError(f"no video found at {url}")
            downloads = info.get("requested_downloads") or []
            target = downloads[0].get("filepath") if downloads else None
            path = Path(target or ydl.prepare_filename(info))
    except yt_dlp.utils.DownloadError as exc:
        raise _link_error(exc, url) from exc
    except yt_dlp.utils.YoutubeDLError as exc:
        raise _link_error(exc, url) from exc
    if not path.is_file():
        if max_bytes and info.get("filesize", 0) and info["filesize"] > max_bytes:
            raise LinkError(
                f"the video is larger than the {max_bytes:,}-byte limit", hint="Raise --max-size."
            )
        raise LinkError(f"yt-dlp reported no file for {url}", hint="Run again with --debug to see why.")
    sha256, _md5 = file_digests(path)
    size = path.stat().st_size
    with open(path, "rb") as fh:
        kind = sniff(fh.read(HEAD_BYTES)).kind
    record = record_from_info(info, url=url, fetched_at=fetched_at, downloader=downloader, hosts=tuple(hosts))
    info_path = write_record(record, path)
    detail = (f"from {url} ({record.platform}, id {record.id}) with {downloader}, format {record.format_id or '?'}; "
              f"contacted {', '.join(hosts) or 'no host'}")  # fmt: skip
    entries = [
        CustodyEntry("downloaded", detail, fetched_at, sha256),
        CustodyEntry("hashed", f"sha256 {sha256}, {size:,} bytes", utc_now(), sha256),
    ]
    custody = append_custody(path, entries, sha256)
    if kind not in ("video", "audio", "image"):
        raise NotMediaAtLinkError(
            f"{url} served a file that is not media ({size:,} bytes, kept as {path.name})"
        )
    return Fetched(path, record, info_path, custody, sha256, size)
