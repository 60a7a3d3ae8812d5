"""Intake: open a link (``fetch_link``), keep the site's record and the custody of the download.

``fetch_link(url, out_dir) -> Fetched`` downloads with yt-dlp (:mod:`.link`); the site's record
(:class:`SiteRecord`, :mod:`.record`) and the custody log (:mod:`.custody`) are written next to
the file; :func:`link_signals` compares the site's upload time with the file's own times
(:mod:`.signals`). Only :func:`fetch_link` touches the network, and only when called.
"""

from __future__ import annotations

from .custody import append_custody, custody_for, custody_path, with_download_custody
from .link import Fetched, check_url, fetch_link, site_of
from .record import SiteRecord, load_record, record_from_info, record_path, write_record
from .signals import creation_candidates, file_times, link_signals

__all__ = [
    "Fetched",
    "SiteRecord",
    "append_custody",
    "check_url",
    "creation_candidates",
    "custody_for",
    "custody_path",
    "fetch_link",
    "file_times",
    "link_signals",
    "load_record",
    "record_from_info",
    "record_path",
    "site_of",
    "with_download_custody",
    "write_record",
]
