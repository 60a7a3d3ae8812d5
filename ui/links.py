"""Opening a link in the workbench: ``verify.intake.fetch_link`` in the background worker.

The file lands in the data folder's ``links/`` with its site record (``FILE.info.json``) and
custody sidecar (``FILE.custody.json``), both written by ``verify.intake``. :func:`site_record`
finds the record of any file that has one beside it (also files fetched with ``verify get``);
``ui.analysis`` joins :func:`verify.intake.link_signals` to the file's signals, and
:func:`import_custody` puts the download's custody entries first in the file's case.
Only :func:`start_fetch` goes on the network, to the site of the URL, when the analyst asks.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from verify.errors import VerifyError

from . import cases, jobs
from .config import paths, upload_cap

log = logging.getLogger("verify")


def fetch_key(url: str) -> str:
    return f"link:{url.strip()}"


def start_fetch(url: str) -> jobs.Task:
    """Download ``url`` into ``links/`` (yt-dlp, the best format, merged); the task's result is a
    ``verify.intake.Fetched``. Errors are verify's ``LinkError`` lines."""
    url = url.strip()
    host = urlsplit(url).netloc or url[:80]

    def work(task: jobs.Task) -> Any:
        from verify.intake import check_url, fetch_link

        check_url(url)
        task.set_stage(f"Fetching from {host}")
        return fetch_link(url, paths().links, progress=task.progress, max_bytes=upload_cap())

    return jobs.runner().submit(fetch_key(url), f"Fetching {host}", work, fetch_key(url))


def site_record(path: Path) -> Any:
    """The ``verify.intake.SiteRecord`` saved beside ``path``, or None (none, or unreadable: logged)."""
    from verify.intake import load_record, record_path

    p = record_path(path)
    if not p.is_file():
        return None
    try:
        return load_record(p)
    except (VerifyError, OSError, ValueError) as exc:
        log.warning("%s: site record not read: %s", p, exc)
        return None


def with_link_signals(info: Any) -> Any:
    """``info`` (a MediaInfo) with the signals comparing the site's upload time to the file's times."""
    from dataclasses import replace

    from verify.intake import link_signals

    f = info.file
    record = site_record(Path(f.path)) if f is not None and f.path else None
    if record is None:
        return info
    return replace(info, signals=(*info.signals, *link_signals(info, record)))


def import_custody(sha256: str, path: Path, name: str) -> int:
    """Put the download's custody entries (``FILE.custody.json``) first in the file's case, once.
    Returns how many were added; a file changed since the download adds nothing (logged)."""
    from verify.intake import custody_for

    try:
        fetched = custody_for(path)
    except VerifyError as exc:
        log.warning("%s: custody not imported: %s", path, exc)
        return 0
    if fetched is None:
        return 0
    case = cases.load(paths().cases, sha256, name)
    have = {(e.step, e.at, e.detail) for e in case.custody}
    new = [e for e in fetched.entries if (e.step, e.at, e.detail) not in have]
    if new:
        case.custody = [*new, *case.custody]
        cases.save(paths().cases, case)
    return len(new)


def record_rows(record: Any) -> list[tuple[str, str]]:
    """What the site says, as (label, value) text rows (values untrusted: ``safe.html_table`` escapes)."""
    r = record
    up = r.upload_time()
    counts = ", ".join(
        f"{n:,} {k}"
        for k, n in (("views", r.view_count), ("likes", r.like_count), ("comments", r.comment_count),
                     ("reposts", r.repost_count))
        if n is not None
    )  # fmt: skip
    rows = [
        ("Platform", r.platform),
        ("Id", r.id),
        ("Title", r.title),
        ("Uploader", " · ".join(x for x in (r.uploader, r.uploader_id) if x)),
        ("Channel", " · ".join(x for x in (r.channel, r.channel_id) if x)),
        ("Upload time", f"{up.raw} ({up.source})" if up is not None else ""),
        ("Description", r.description),
        ("Counts", counts),
        ("Page", r.webpage_url),
        ("Link as given", r.url),
        ("Fetched (UTC)", r.fetched_at),
        ("Hosts contacted", ", ".join(r.hosts_contacted)),
    ]
    return [(k, v) for k, v in rows if v]
