"""The one rule for untrusted strings in the workbench: they reach Streamlit as text, never as markup.

Anything that came from a file, a case file, the library or a user (names, tags, titles, paths,
source URLs, error messages that quote them) is *untrusted*. Streamlit renders Markdown (and a
few extensions) in far more places than ``st.markdown``: ``st.caption``, ``st.write``, the alert
boxes, ``st.toast``, headings, every widget label and ``help=`` tooltip, ``st.progress`` text,
``st.status``/``st.spinner``/``st.expander``/``st.tabs`` labels, ``st.metric`` labels and values,
radio options. There, a name like ``![q](https://attacker.example)`` loads a remote image and
``[x](javascript:…)`` makes a link. ``tests/test_ui_markup_scan.py`` checks every such call in
``ui/`` and ``app.py``: what it is given must be a literal or come from this module.

* :func:`text` for elements that never interpret markup (``st.text``, ``st.code``, ``st.json``,
  dataframe cells, selectbox options): control characters made visible, long values cut.
* :func:`md` for Markdown contexts: :func:`text`, then every ASCII punctuation character is
  backslash-escaped (CommonMark allows it for all of them), and the GitHub-style *autolinks*
  are broken with an invisible WORD JOINER (U+2060). Escaping alone does not stop them:
  Streamlit's Markdown renderer finds ``www.``, ``https://`` and ``name@host`` in the text
  *after* parsing, so ``https\\:\\/\\/attacker.example`` still becomes a link (measured in
  chromium, ``tests/test_browser_markup.py``). The joiner is invisible and does not change
  how the text reads; a value that must be copied exactly belongs in :func:`text` elements.
* :func:`code` for an inline code span (a fence longer than any backtick run inside).
* :func:`link`: only ``http``/``https`` URLs become links, and the link text is the URL itself,
  in full; ``javascript:``, ``data:`` and everything else is shown as text.
* :func:`fmt` and :func:`join` build Markdown from literal templates and :class:`Md` parts.
* :func:`html` escapes for the one ``st.html`` table the Overview draws.

Components that pass a parameter on to Markdown annotate it :data:`Markdown`; the scan then checks
their callers instead.
"""

from __future__ import annotations

import html as _html
import re
from collections.abc import Iterable
from typing import TypeAlias
from urllib.parse import quote, urlsplit

from verify.text import MAX_SHOWN, safe_text

#: WORD JOINER: zero width, no line break; it splits ``https:`` from ``//`` so no autolink forms.
WJ = "\u2060"
#: Shown for a missing value.
NONE = "–"

_PUNCT = re.compile(r"([!-/:-@\[-`{-~])")
_WWW = re.compile(r"(?i)(www)(\\\.)")
_SCHEME = re.compile(r"(\\:)(\\/)")
_AT = re.compile(r"\\@")
_BACKTICKS = re.compile(r"`+")
#: Characters left as they are in a link target; everything else is percent-encoded.
_URL_SAFE = "/:?#@!$&'*+,;=%-._~"


class Md(str):
    """Markdown that is safe to hand to Streamlit: literal text of ours plus escaped untrusted parts."""

    __slots__ = ()


#: A parameter annotated ``Markdown`` is rendered as Markdown by the function that takes it: the scan
#: (``tests/test_ui_markup_scan.py``) checks that every call passes a literal or a ``ui.safe`` result.
Markdown: TypeAlias = str


def text(value: object, limit: int = 300) -> str:
    """An untrusted value for elements that show text as text (control characters visible, cut)."""
    if value is None:
        return NONE
    return safe_text(value, limit=limit)


def lines(value: object, limit: int = MAX_SHOWN) -> str:
    """Like :func:`text`, keeping line breaks (for ``st.text`` blocks)."""
    if value is None:
        return NONE
    return safe_text(value, limit=limit, keep_newlines=True)


def md(value: object, limit: int = 300) -> Md:
    """An untrusted value made inert for a Markdown context (see the module docstring)."""
    escaped = _PUNCT.sub(r"\\\1", text(value, limit))
    escaped = _WWW.sub(lambda m: m.group(1) + WJ + m.group(2), escaped)
    escaped = _SCHEME.sub(lambda m: m.group(1) + WJ + m.group(2), escaped)
    escaped = _AT.sub(lambda m: WJ + m.group(0), escaped)
    return Md(escaped)


def code(value: object, limit: int = 300) -> Md:
    """An untrusted value as an inline code span (nothing inside a code span is interpreted)."""
    body = text(value, limit)
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(body)), default=0) + 1)
    return Md(f"{fence} {body} {fence}")


def is_web_url(url: str) -> bool:
    """True for an absolute ``http``/``https`` URL with a host and no whitespace or control characters."""
    if not url or len(url) > MAX_SHOWN or safe_text(url, limit=0) != url or any(c.isspace() for c in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def link(url: object) -> Md:
    """A link to ``url`` when it is an http(s) URL, its text the whole URL; otherwise the URL as text."""
    raw = "" if url is None else str(url)
    if not is_web_url(raw):
        return md(raw, limit=MAX_SHOWN) if raw else Md(NONE)
    target = quote(raw, safe=_URL_SAFE)
    return Md(f"[{md(raw, limit=MAX_SHOWN)}](<{target}>)")


def fmt(template: str, *args: object) -> Md:
    """``template`` (a literal of ours, Markdown allowed) with ``{}`` filled by escaped arguments.

    Arguments that are already :class:`Md` are inserted as they are; numbers as numbers; anything
    else goes through :func:`md`.
    """
    return Md(template.format(*(_part(a) for a in args)))


def join(sep: str, parts: Iterable[Md]) -> Md:
    """``sep.join(parts)`` for parts that are all :class:`Md` (raises ``TypeError`` otherwise)."""
    items = list(parts)
    for p in items:
        if not isinstance(p, Md):
            raise TypeError(f"safe.join takes Md parts (from safe.md/fmt/link/code), not {type(p).__name__}")
    return Md(sep.join(items))


def word(value: object, limit: int = 40) -> Md:
    """An identifier (a severity, a crop variant's name) reduced to ASCII letters, digits and ``-``.

    For Markdown that shows backslash escapes instead of honouring them (``st.badge`` labels).
    """
    return Md("".join(c for c in str(value)[:limit] if c.isascii() and (c.isalnum() or c == "-")))


def words(value: object, limit: int = 120) -> Md:
    """A phrase of ours or verify's ("cropped to 85 %, off centre") for labels that show backslash
    escapes (``st.badge``): ASCII letters, digits, spaces and ``% , . ( ) -`` kept, ``:`` shown as
    the ratio sign (``16∶9``: no ``:name:`` icon code can form), everything else dropped."""
    kept = (c for c in str(value)[:limit] if c == ":" or (c.isascii() and (c.isalnum() or c in " %,.()-")))
    return Md("".join(kept).replace(":", "\u2236"))


def checked(value: object) -> Md:
    """A value built earlier (e.g. kept in session state) that must already be :class:`Md`."""
    if not isinstance(value, Md):
        raise TypeError(f"expected Md from ui.safe, not {type(value).__name__}")
    return value


def html(value: object, limit: int = 300) -> str:
    """An untrusted value escaped for HTML text or attribute content."""
    return _html.escape(text(value, limit), quote=True)


def html_table(rows: Iterable[tuple[object, object]], css_class: str) -> str:
    """A two-column HTML table (label, value) with every cell escaped (for ``st.html``)."""
    body = "".join(
        f"<tr><th>{html(label)}</th><td>{html(value, MAX_SHOWN)}</td></tr>" for label, value in rows
    )
    return f'<table class="{_html.escape(css_class, quote=True)}">{body}</table>'


def _part(value: object) -> str:
    if isinstance(value, Md):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return md(value)
