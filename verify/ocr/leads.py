"""Leads in the text on screen: handles, URLs, hashtags, dates, clock times and watermarks.

A *watermark* is text that stays at the edge of the frame for most of the clip: a channel name,
a logo's lettering, or the poster's caption burned in (:func:`watermarks`). The patterns are
deliberately plain; every lead is something to search for, not a finding.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .model import Lead, TextItem

_MONTHS = (r"jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t(ember)?)?|"
           r"oct(ober)?|nov(ember)?|dec(ember)?")  # fmt: skip
PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("url", re.compile(r"\b(?:https?://|www\.)[^\s,;]+|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|org|net|info|"
                       r"news|tv|io|co|me|ru|ua|uk|de|fr|es|it|nl|pl|tr|in|cn|jp|br|ly|gg|be|at|ch)"
                       r"(?:/[^\s,;]*)?\b", re.IGNORECASE)),
    ("handle", re.compile(r"(?<![\w@.])@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?")),
    ("hashtag", re.compile(r"(?<![\w#])#[^\s#@.,;:!?]{2,}")),
    ("date", re.compile(r"\b(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2}))\b|"
                        rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})\.?,?\s+\d{{4}}\b|"
                        rf"\b(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b", re.IGNORECASE)),
    ("time", re.compile(r"\b(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?(?:\s?[AaPp][Mm])?\b")),
)  # fmt: skip

#: A watermark is read in at least this share of the frames read ...
WATERMARK_SHARE = 0.6
#: ... and sits within this distance of an edge of the frame (normalised).
EDGE = 0.22


def text_leads(item: TextItem) -> list[Lead]:
    out: list[Lead] = []
    seen: set[tuple[str, str]] = set()
    for kind, rx in PATTERNS:
        for m in rx.finditer(item.text):
            value = m.group(0).rstrip(".")
            if kind == "url" and "@" in item.text[max(0, m.start() - 1) : m.start()]:
                continue  # the domain part of an e-mail address or handle
            if (kind, value.lower()) not in seen:
                seen.add((kind, value.lower()))
                out.append(Lead(kind, value, item.text, item.first, item.last))
    return out


def watermarks(items: Sequence[TextItem], frames_read: int) -> list[Lead]:
    if frames_read < 2:
        return []
    out = []
    for i in items:
        x0, y0, x1, y1 = i.box
        at_edge = (
            y0 < EDGE or y1 > 1 - EDGE or (x0 < EDGE / 2 and x1 < 0.5) or (x1 > 1 - EDGE / 2 and x0 > 0.5)
        )
        if i.frames >= max(2, WATERMARK_SHARE * frames_read) and at_edge:
            out.append(Lead("watermark", i.text, i.text, i.first, i.last))
    return out


def find_leads(items: Sequence[TextItem], frames_read: int) -> list[Lead]:
    """Every lead of the items: patterns first (in item order), then watermarks."""
    return [lead for i in items for lead in text_leads(i)] + watermarks(items, frames_read)
