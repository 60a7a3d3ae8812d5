"""ui.safe: untrusted strings become inert Markdown (CommonMark checked here with markdown-it-py;
Streamlit's own renderer, autolinks included, in tests/test_browser_markup.py)."""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ui import safe

markdown_it = pytest.importorskip("markdown_it")
MD = markdown_it.MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])

HOSTILE = [
    "![q](https:attacker.example) clip.mp4",
    "![q](https://attacker.example/i.png)",
    "[x](javascript:alert(1))",
    "[d](data:text/html,<script>alert(1)</script>)",
    "**bold** _it_ ~~struck~~",
    "<img src=https://attacker.example/h.png> <b>b</b> &amp; &#x3C;",
    "`code` ``x`` $x^2$ :red[red] :material/home: :smile:",
    "# heading",
    "- item",
    "1. one",
    "> quote",
    "| a | b |\n|---|---|",
    "[r]: https://attacker.example/ref",
    "<https://attacker.example/angle>",
    "www.attacker.example https://attacker.example a@attacker.example",
    "line\nbreak  \nhard\\",
    "\x1b]0;title\x07 \u202eevil",
]


def rendered(markdown: str) -> str:
    return MD.render(markdown).strip()


def plain(value: str) -> str:
    """What the reader should see: the value with control characters made visible."""
    return safe.text(value, limit=2000)


@pytest.mark.parametrize("value", HOSTILE)
def test_md_renders_as_one_paragraph_of_the_literal_text(value: str) -> None:
    out = rendered(safe.md(value, limit=2000))
    assert out.startswith("<p>") and out.endswith("</p>")
    inner = out[3:-4]
    assert "<" not in inner.replace("&lt;", ""), out  # no element at all inside the paragraph
    assert html.unescape(inner).replace(safe.WJ, "") == plain(value)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
def test_md_is_inert_and_lossless_for_any_text(value: str) -> None:
    out = rendered(safe.md(value, limit=2000))
    expected = plain(value)
    if not expected.strip():
        return
    assert out.startswith("<p>") and out.endswith("</p>"), out
    inner = out[3:-4]
    assert not re.search(r"<[a-z/]", inner), out
    # CommonMark strips a paragraph's leading/trailing blanks; everything else reads as written
    assert html.unescape(inner).replace(safe.WJ, "").strip() == expected.strip()


@pytest.mark.parametrize(
    "value", ["www.example.org", "WWW.Example.org", "https://x.example/a", "a@b.example"]
)
def test_md_breaks_autolink_triggers(value: str) -> None:
    out = safe.md(value)
    assert safe.WJ in out
    assert (
        "www." not in out.lower() and "://" not in out and "\\:\\/" not in out and not re.search(r"\w@", out)
    )


def test_code_span_cannot_be_closed_from_inside() -> None:
    raw = "+52.2097-000.8955/` ![q](https://attacker.example) ``x"
    out = rendered(safe.code(raw))
    assert out.count("<code>") == 1 and "<img" not in out
    assert html.unescape(re.sub(r"</?(p|code)>", "", out)) == raw


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/a_(b)",
        "http://example.org/x?y=<z>&w=1#f",
        "HTTPS://EXAMPLE.ORG/",
        "https://example.org/[1]",
    ],
)
def test_link_keeps_web_urls_and_shows_them_in_full(url: str) -> None:
    out = rendered(safe.link(url))
    hrefs = re.findall(r'<a href="([^"]*)"', out)
    assert len(hrefs) == 1 and hrefs[0].lower().startswith(("http://", "https://"))
    text = html.unescape(re.sub(r"<[^>]+>", "", out)).replace(safe.WJ, "")
    assert text == url  # the link text is the whole URL


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,<b>x</b>",
        "vbscript:x",
        "file:///etc/passwd",
        "//attacker.example/x",
        "https:attacker.example",
        "https://",
        "https://exa mple.org",
        "https://example.org/\x00",
        "ftp://example.org/",
    ],
)
def test_link_refuses_everything_but_http_urls(url: str) -> None:
    out = rendered(safe.link(url))
    assert "<a " not in out and "<img" not in out


def test_fmt_escapes_arguments_but_not_the_template_or_md_parts() -> None:
    out = safe.fmt("Add **{}** to {} ({} files, {}).", "*x*", "lib", 3, safe.link("https://example.org"))
    html_out = rendered(out)
    assert html_out.count("<strong>") == 1 and "<em>" not in html_out
    assert '<a href="https://example.org">' in html_out and "3 files" in html_out


def test_join_refuses_plain_strings() -> None:
    assert safe.join(" · ", [safe.md("a"), safe.md("b")]) == "a · b"
    with pytest.raises(TypeError):
        safe.join(" · ", [safe.md("a"), "**b**"])  # type: ignore[list-item]


def test_html_escapes_quotes_and_tags() -> None:
    assert safe.html('<b x="1">&') == "&lt;b x=&quot;1&quot;&gt;&amp;"
