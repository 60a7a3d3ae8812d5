"""Exports of a hostile clip: no live markup anywhere, the text still visible, JSON faithful."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests import test_report_fixtures as fx
from tests.test_report_fixtures import BIG_TAG, COMMENT, TITLE
from verify.errors import UnsafePathError
from verify.export import export
from verify.report import Report

pytestmark = pytest.mark.slow


@pytest.fixture
def hostile_report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    return fx.hostile_report(tmp_path_factory)


class Elements(HTMLParser):
    """Every start tag with its attributes, and the visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> Elements:
    p = Elements()
    p.feed(html)
    p.close()
    return p


def test_html_has_no_live_markup_and_shows_the_text(hostile_report: Report, tmp_path: Path) -> None:
    out = export(hostile_report, "html", tmp_path)
    doc = parse(out.read_text(encoding="utf-8"))
    names = [t for t, _ in doc.tags]
    assert "script" not in names
    assert "iframe" not in names and "object" not in names and "embed" not in names
    for tag, attrs in doc.tags:
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)
        for key in ("src", "href"):
            value = attrs.get(key) or ""
            assert not value.lower().startswith("javascript:"), (tag, attrs)
        if tag == "img":
            assert (attrs.get("src") or "").startswith("data:image/"), attrs
        if tag == "link":
            pytest.fail(f"external link element {attrs}")
    text = "".join(doc.text)
    assert TITLE in text  # visible as text
    assert "<img src=x onerror=alert(1)>" in text
    assert "^[[31mred" in text and "\x1b" not in text  # the escape code is shown, not acted on
    assert "[truncated: " in text and BIG_TAG not in text  # huge value cut with a note
    # nothing could load: only data: images, and a CSP forbidding everything else
    assert "default-src 'none'" in out.read_text()
    # a published document names files, not the analyst's folders (the JSON keeps the full path)
    assert str(Path(hostile_report.file.path).parent) not in out.read_text()


MD_HTML = re.compile(r"<\s*[A-Za-z!/?]")


def test_markdown_has_no_markup_and_no_injected_links(hostile_report: Report, tmp_path: Path) -> None:
    out = export(hostile_report, "md", tmp_path)
    text = out.read_text(encoding="utf-8")
    assert MD_HTML.search(text) is None  # not one raw HTML tag can pass
    assert "&lt;script&gt;alert\\(1\\)&lt;/script&gt;" in text
    assert "javascript:" not in text.replace("javascript\\:", "")  # the [x](javascript:…) tag is inert
    assert "](javascript" not in text
    assert "\x1b" not in text and "^\\[\\[31mred" in text
    assert "truncated" in text
    # every picture it links is a file written beside it, inside the folder
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert links and all((tmp_path / link).is_file() for link in links)
    # table rows are not broken by the newline in the comment
    assert "onerror=alert\\(1\\)&gt;^Jline2" in text


def test_json_holds_the_strings_faithfully(hostile_report: Report, tmp_path: Path) -> None:
    out = export(hostile_report, "json", tmp_path)
    data = json.loads(out.read_text(encoding="utf-8"))
    tags = data["probe"]["container"]["tags"]
    assert tags["title"] == TITLE
    assert tags["comment"] == COMMENT
    assert tags["description"] == BIG_TAG and len(tags["description"]) == 20_000
    assert data["file"]["sha256"] == hostile_report.file.sha256 and len(data["file"]["sha256"]) == 64
    assert data["file"]["name"] == hostile_report.file.name
    assert "images" not in data  # pictures by reference, not base64
    assert all(len(k["image"]["sha256"]) == 64 for k in data["keyframes"])
    embedded = json.loads(
        export(hostile_report, "json", tmp_path, name="e.json", embed_images=True).read_text()
    )
    assert set(embedded["images"]) == {r.name for r in hostile_report.image_refs()}
    assert Report.from_dict(embedded).images == {k: hostile_report.images[k] for k in embedded["images"]}


def test_pdf_renders_with_pictures(hostile_report: Report, tmp_path: Path) -> None:
    out = export(hostile_report, "pdf", tmp_path)
    data = out.read_bytes()
    assert data.startswith(b"%PDF-")
    assert data.count(b"/Subtype /Image") >= len(hostile_report.image_refs())
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm absent: PDF not rasterised")
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(out), str(tmp_path / "page")], check=True, timeout=60)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert pages and all(p.stat().st_size > 1000 for p in pages)
    if shutil.which("pdftotext"):
        txt = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
        assert "<script>alert(1)</script>" in txt  # shown as text, not markup
    artifacts = Path(__file__).resolve().parent.parent / "artifacts"
    artifacts.mkdir(exist_ok=True)
    for i, page in enumerate(pages, start=1):  # look at them: keyframes on page 1, frame pairs after
        shutil.copy(page, artifacts / f"report-pdf-page{i}.png")


@pytest.mark.parametrize("name", ["../x.html", "a/b.html", "..", "", "x\\y.html", "/etc/x.html"])
def test_export_refuses_names_that_leave_the_folder(
    hostile_report: Report, tmp_path: Path, name: str
) -> None:
    with pytest.raises(UnsafePathError):
        export(hostile_report, "html", tmp_path / "out", name=name or "..")
    assert not (tmp_path / "x.html").exists()


def test_export_does_not_follow_a_symlink(hostile_report: Report, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "report.html").symlink_to(outside)
    with pytest.raises(UnsafePathError):
        export(hostile_report, "html", folder, name="report.html")
    assert outside.read_text() == "keep"


def test_export_is_logged_in_custody(hostile_report: Report, tmp_path: Path) -> None:
    before = len(hostile_report.custody)
    out = export(hostile_report, "html", tmp_path, name="c.html")
    assert len(hostile_report.custody) == before + 1
    last = hostile_report.custody.entries[-1]
    assert last.step == "exported" and "c.html" in last.detail and last.at.endswith("Z")
    assert "c.html" in out.read_text()


def test_markdown_rendered_by_commonmark_has_no_live_markup(hostile_report: Report, tmp_path: Path) -> None:
    """Render the Markdown the way a CMS would (raw HTML allowed, links on) and parse the result."""
    markdown_it = pytest.importorskip("markdown_it")
    text = export(hostile_report, "md", tmp_path).read_text(encoding="utf-8")
    html = markdown_it.MarkdownIt("commonmark", {"html": True, "linkify": False}).enable("table").render(text)
    doc = parse(html)
    assert "script" not in [t for t, _ in doc.tags]
    for tag, attrs in doc.tags:
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)
        assert not (attrs.get("href") or "").lower().startswith("javascript"), attrs
        if tag == "img":  # only the pictures the export wrote beside the file
            assert (tmp_path / (attrs.get("src") or "")).is_file(), attrs
    shown = "".join(doc.text)
    assert TITLE in shown and "<img src=x onerror=alert(1)>" in shown  # the text reads as it was
    assert "[x](javascript:alert(1))" in shown
