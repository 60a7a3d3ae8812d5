"""XMP and IPTC metadata: edit history, document ids, IPTC fields and declarations of AI generation.

``read_xmp(path, fmt, tags) -> XmpInfo`` finds the XMP packets (and the IPTC IIM block) of
stills and videos (:mod:`.locate`), parses each with a hardened XML parser (:mod:`.parse`:
defusedxml, no DTD or entities, bounded size, element count and depth) and lifts out the
fields a fact-checker needs (:mod:`.read`, :mod:`.model`). :mod:`.signals` turns them, and
C2PA actions, into provenance signals; :mod:`.vocab` holds the IPTC Digital Source Type
vocabulary and the list of AI generator names. Probe fills ``MediaInfo.xmp``.

Metadata is a lead, never proof: XMP is plain text anyone can write, and platforms strip it.
"""

from __future__ import annotations

from .model import SCHEMA_VERSION, HistoryEvent, IptcFields, Location, XmpInfo
from .read import read_xmp

__all__ = ["SCHEMA_VERSION", "HistoryEvent", "IptcFields", "Location", "XmpInfo", "read_xmp"]
