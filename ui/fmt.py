"""Small display formatters (times, sizes, percentages) of numbers. No Streamlit here, no analysis.

They only ever return digits, punctuation and fixed words, so their results may go into Markdown
as they are (``tests/test_ui_markup_scan.py`` trusts them); untrusted text goes through ``ui.safe``.
"""

from __future__ import annotations

import math


def timecode(seconds: float | None, *, millis: bool = False) -> str:
    """``75.4`` → ``1:15`` (``1:15.400`` with millis); hours when needed."""
    if seconds is None or not math.isfinite(seconds):
        return "–"
    seconds = max(0.0, float(seconds))
    whole = int(seconds)
    h, rem = divmod(whole, 3600)
    m, s = divmod(rem, 60)
    frac = f".{round((seconds - whole) * 1000):03d}" if millis else ""
    if millis and frac == ".1000":
        frac = ".999"
    return f"{h}:{m:02d}:{s:02d}{frac}" if h else f"{m}:{s:02d}{frac}"


def span(start: float, end: float) -> str:
    return f"{timecode(start)}–{timecode(end)}"


def size(n: int | None) -> str:
    if n is None:
        return "–"
    value = float(n)
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{int(value):,} bytes" if unit == "bytes" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{n} bytes"


def pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * float(x):.0f}%"
