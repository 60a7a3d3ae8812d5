"""Untrusted text: anything that came from a file (titles, tags, EXIF, names).

Metadata is attacker-controlled. Before it reaches a terminal, a table or a
report it goes through :func:`safe_text`: control characters (ANSI escapes, NUL,
bidi overrides) are shown visibly instead of acting, and huge values are cut
with a note saying how much was cut. HTML/Markdown escaping happens on top of
this in the exporters; the stored record keeps the value verbatim.
"""

from __future__ import annotations

import math
import unicodedata

#: Longest value shown before it is truncated with a note.
MAX_SHOWN = 2000

_BIDI = {
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
    "\u200e",
    "\u200f",
}


def _visible(ch: str, keep_newlines: bool) -> str:
    if ch in "\n\t" and keep_newlines:
        return ch
    if ch in _BIDI:
        return f"<U+{ord(ch):04X}>"
    if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co"):
        code = ord(ch)
        if code < 0x20:
            return "^" + chr(code + 64)  # ESC -> ^[, NUL -> ^@, newline -> ^J
        if code == 0x7F:
            return "^?"
        return f"<U+{code:04X}>"
    return ch


def safe_text(value: object, *, limit: int = MAX_SHOWN, keep_newlines: bool = False) -> str:
    """A printable, bounded rendering of an untrusted value."""
    text = value if isinstance(value, str) else str(value)
    cut = 0
    if limit and len(text) > limit:
        cut = len(text) - limit
        text = text[:limit]
    text = "".join(_visible(ch, keep_newlines) for ch in text)
    if cut:
        text += f" … [truncated: {cut:,} more characters]"
    return text


def has_control_chars(value: str) -> bool:
    return any(_visible(ch, True) != ch for ch in value)


def json_text(value: object, **kwargs: object) -> str:
    """``json.dumps`` that keeps non-ASCII text readable but never emits a lone surrogate.

    File names that are not valid UTF-8 reach Python as surrogate escapes (``'\\udcff'``);
    such a string cannot be written as UTF-8. Then the JSON is written ASCII-only instead
    (``\\udcff`` escapes), which is still valid JSON with the same meaning.
    """
    import json

    text = json.dumps(value, ensure_ascii=False, **kwargs)  # type: ignore[arg-type]
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(value, ensure_ascii=True, **kwargs)  # type: ignore[arg-type]
    return text


def clock(seconds: float | None, decimals: int = 0) -> str:
    """A time as a player shows it: ``75.4`` -> ``"1:15"``, with ``decimals=1`` ``"1:15.4"``.

    Hours appear when needed (``"1:02:03"``), negative times get a sign, and a missing or
    non-finite value is ``"–"``. The one time formatter of verify: the CLI, the workbench and
    the reports all show times through it.
    """
    if seconds is None or not math.isfinite(seconds):
        return "–"
    sign = "-" if seconds < 0 and round(abs(seconds), decimals) > 0 else ""
    scale = 10**decimals
    units = round(abs(float(seconds)) * scale)
    whole, frac = divmod(units, scale)
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    tail = f".{frac:0{decimals}d}" if decimals > 0 else ""
    return f"{sign}{h}:{m:02d}:{s:02d}{tail}" if h else f"{sign}{m}:{s:02d}{tail}"


def span(start: float, end: float, decimals: int = 1) -> str:
    """``"0:08.5–0:16.0"``: the form every match span is shown in."""
    return f"{clock(start, decimals)}–{clock(end, decimals)}"


def plural(n: int, one: str, many: str | None = None) -> str:
    """``plural(1, "reference")`` -> ``"1 reference"``; ``plural(3, "match", "matches")`` -> ``"3 matches"``."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"
