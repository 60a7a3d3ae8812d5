"""Small display formatters (times, sizes, dates). No Streamlit here, no analysis."""

from __future__ import annotations

from verify.text import clock, safe_text
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


def shown(value: object, limit: int = 300) -> str:
    """Untrusted text (from a file) made safe to show: control characters visible, long values cut."""
    if value is None:
        return "–"
    return safe_text(value, limit=limit)


def md_escape(text: str) -> str:
    """Neutralise Markdown in untrusted text shown with st.markdown."""
    out = []
    for ch in text:
        if ch in "\\`*_[]|<>~$#:":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * float(x):.0f}%"
