"""Small display formatters (times, sizes, percentages) of numbers. No Streamlit here, no analysis.

They only ever return digits, punctuation and fixed words, so their results may go into Markdown
as they are (``tests/test_ui_markup_scan.py`` trusts them); untrusted text goes through ``ui.safe``.
"""

from __future__ import annotations

from verify.text import clock
from verify.text import span as verify_span


def timecode(seconds: float | None, *, millis: bool = False) -> str:
    """``75.4`` → ``1:15`` (``1:15.400`` with millis): verify's one time formatter."""
    return clock(seconds, 3 if millis else 0)


def span(start: float, end: float) -> str:
    """A match span, the way every page, the CLI and the reports show it (``0:08.5–0:16.0``)."""
    return verify_span(start, end)


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
