"""The HTML report in headless Debian chromium with the network cut: every picture renders, nothing loads.

Skips cleanly when /usr/bin/chromium is absent. The screenshot goes to artifacts/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import test_report_fixtures as fx
from tests.test_report_fixtures import TITLE
from verify.export import export
from verify.report import Report

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed"),
]


@pytest.fixture
def hostile_report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    return fx.hostile_report(tmp_path_factory)


def test_html_renders_offline_with_all_images(hostile_report: Report, tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    out = export(hostile_report, "html", tmp_path, name="report.html")
    requests: list[str] = []
    blocked: list[str] = []
    dialogs: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--no-first-run"],
        )  # fmt: skip
        try:
            context = browser.new_context(offline=True, viewport={"width": 1100, "height": 900})
            page = context.new_page()

            def route(r: object) -> None:
                url = r.request.url  # type: ignore[attr-defined]
                if url.startswith(("file:", "data:")):
                    r.continue_()  # type: ignore[attr-defined]
                else:
                    blocked.append(url)
                    r.abort()  # type: ignore[attr-defined]

            page.route("**/*", route)
            page.on("request", lambda req: requests.append(req.url))
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(out.as_uri(), wait_until="load")
            images = page.eval_on_selector_all(
                "img", "els => els.map(e => [e.complete, e.naturalWidth, e.getAttribute('alt')])"
            )
            scripts = page.eval_on_selector_all("script", "els => els.length")
            title_visible = page.get_by_text(TITLE, exact=False).count()
            verdict = page.inner_text("#verdict")
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "report-html.png"), full_page=True)
            page.emulate_media(media="print")
            page.screenshot(path=str(ARTIFACTS / "report-html-print.png"), full_page=False)
        finally:
            browser.close()
    assert not blocked, f"the report tried to load {blocked}"
    assert all(u.startswith(("file:", "data:")) for u in requests), requests
    assert not dialogs and scripts == 0  # the <script> and onerror in the metadata did nothing
    expected = len(hostile_report.image_refs())
    assert len(images) == expected and expected >= 5
    assert all(complete and width > 0 for complete, width, _ in images), images
    assert title_visible >= 1  # the hostile title is on the page as text
    assert verdict == "Unverified"
    assert (ARTIFACTS / "report-html.png").stat().st_size > 10_000
