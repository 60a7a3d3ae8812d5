# ruff: noqa: F811 - the server fixture of tests/test_browser.py is imported, then taken as an argument
"""What a new user tripped over, in a real browser (issue 9, item 5): `streamlit run app.py` in Debian
chromium through Playwright (the ``server`` fixture of ``tests/test_browser.py``).

* After an upload, the page never shows two files' data at once: a watcher in the page looks at
  what is visible on every change of the page (and every animation frame) while the new file
  is read, and records any moment the sidebar names the new file while the main area still
  shows the previous one.
* The file under examination is in the address: a reload (F5) returns to it, not to the demo.
* Notes edited and not saved: the page says so, and the browser asks before leaving (beforeunload).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, PHONE, server  # noqa: F401 - fixture

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.xdist_group("workbench"),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed"),
]

#: Installed in the page before the upload: samples what is visible (innerText skips hidden elements).
WATCH = """
() => {
  window.__seen = {samples: 0, newShown: 0, mixed: []};
  const look = () => {
    const side = document.querySelector('[data-testid="stSidebar"]');
    const main = document.querySelector('[data-testid="stMain"]');
    if (!side || !main) return;
    const s = side.innerText, m = main.innerText;
    window.__seen.samples += 1;
    const isNew = /Examining\\s+iphone-train\\.mov/.test(s) || m.includes('iphone-train.mov');
    if (!isNew) return;
    window.__seen.newShown += 1;
    const old = ['smoke-plume-claim.mp4', 'Seen before', 'smoke-plume'].filter(x => m.includes(x));
    if (old.length && window.__seen.mixed.length < 5) window.__seen.mixed.push(old.join(', '));
  };
  new MutationObserver(look).observe(document.body, {subtree: true, childList: true, characterData: true,
                                                     attributes: true});
  const frame = () => { look(); requestAnimationFrame(frame); };
  requestAnimationFrame(frame);
}
"""


def test_upload_reload_and_unsaved_notes_in_a_real_browser(server: str) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(server)
            page.get_by_text("Seen before").first.wait_for(timeout=180_000)  # the demo clip, matched
            assert "file=" in page.url  # the demo clip is in the address too

            # a. upload: never the new name beside the previous clip's page
            page.evaluate(WATCH)
            page.locator('input[type="file"]').first.set_input_files(str(PHONE))
            page.get_by_text("iPhone 6s").first.wait_for(timeout=120_000)
            page.wait_for_timeout(1500)
            seen: dict[str, Any] = page.evaluate("window.__seen")
            assert seen["newShown"] > 0 and seen["samples"] > seen["newShown"], seen
            assert not seen["mixed"], seen

            # d. the address names the file; a reload returns to it
            m = re.search(r"[?&]file=([0-9a-f]{64})", page.url)
            assert m, page.url
            page.reload()
            page.get_by_text("iPhone 6s").first.wait_for(timeout=120_000)
            body = page.inner_text("body")
            assert "iphone-train.mov" in body and "smoke-plume-claim.mp4" not in body
            assert m.group(1) in page.url

            # d. unsaved notes: a notice, and the browser's leave-page question
            # A click on another page while a background task's end reruns the page can be
            # swallowed (1 run in ~15 on a loaded machine: the rerun keeps the page it started on);
            # an analyst clicks again, and so does this test, once. Known, not fixed (stop 17 note).
            page.get_by_role("link", name="Notes").first.click()
            try:
                page.get_by_text("Save notes").first.wait_for(timeout=20_000)
            except sync_api.TimeoutError:
                page.get_by_role("link", name="Notes").first.click()
                page.get_by_text("Save notes").first.wait_for(timeout=60_000)
            page.wait_for_url(re.compile("file=" + m.group(1)), timeout=30_000)  # on every page
            assert page.evaluate("window.onbeforeunload") is None
            box = page.get_by_label("Notes").first
            box.fill("The train is the 10:14 to Northampton.")
            box.press("Tab")  # the text area hands its value to the page when it loses focus
            page.get_by_text("Unsaved changes").first.wait_for(timeout=60_000)
            page.wait_for_function("typeof window.onbeforeunload === 'function'", timeout=30_000)
            page.get_by_role("link", name="Overview").first.click()
            page.get_by_text("Unsaved notes").first.wait_for(timeout=60_000)
            page.get_by_role("link", name="Back to the notes").first.click()
            page.get_by_text("Save notes").first.wait_for(timeout=60_000)
            kept = page.get_by_label("Notes").first  # the kept text arrives with the page's rerun
            for _ in range(120):  # up to 30 s on a loaded machine
                if kept.input_value() == "The train is the 10:14 to Northampton.":
                    break
                page.wait_for_timeout(250)
            assert kept.input_value() == "The train is the 10:14 to Northampton."
            page.get_by_role("button", name="Save notes").click()
            try:  # the same swallowed click as above (a rerun in flight keeps its page): click again, once
                page.get_by_text("Notes saved").first.wait_for(timeout=20_000)
            except sync_api.TimeoutError:
                page.get_by_role("button", name="Save notes").click()
                page.get_by_text("Notes saved").first.wait_for(timeout=60_000)
            page.wait_for_function("window.onbeforeunload === null", timeout=30_000)
            assert "Unsaved" not in page.inner_text("body")
        finally:
            browser.close()
