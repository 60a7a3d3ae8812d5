"""What Streamlit interprets, measured in chromium, and that ``ui.safe`` makes each kind of call inert.

``tests/apps/markup_sinks.py`` renders one hostile string through every kind of call that takes
Markdown (bodies, alerts, headings, progress text, status/expander/tab labels, buttons, checkbox,
radio options, metric label/value/delta, select_slider options, help tooltips): raw, prefixed
``R``, and through ``ui.safe.md``, prefixed ``S``. Raw, Streamlit makes live images, links
(``data:`` too) and autolinks of ``www.``/``https://``/e-mail addresses; with backslash escapes
alone (``B``) the autolinks stay (``tests/test_ui_safe.py`` covers CommonMark itself). Through ``ui.safe``,
nothing is live and the text reads as written. The scan in ``tests/test_ui_markup_scan.py`` relies
on this list of calls.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import workbench as wb

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.xdist_group("workbench"),
    pytest.mark.skipif(not wb.CHROMIUM.exists(), reason="Debian chromium is not installed"),
]

APP = wb.ROOT / "tests" / "apps" / "markup_sinks.py"
LIVE = r"""(tag) => {
  const head = new RegExp('^' + tag + '(\\d\\d) ');
  const owner = (el) => {  // the nearest element whose text starts with the sink's marker (R01 ...)
    for (let e = el; e; e = e.parentElement) {
      const m = (e.innerText || '').trim().match(head);
      if (m) return m[1];
    }
    return null;
  };
  const out = [];
  for (const el of document.querySelectorAll('a[href], img[src], strong, em, code, .katex')) {
    const where = owner(el);
    if (where === null) continue;
    const what = el.tagName === 'A' ? 'a ' + el.getAttribute('href')
      : el.tagName === 'IMG' ? 'img ' + el.getAttribute('src') : el.tagName.toLowerCase();
    out.push([where, what]);
  }
  return out;
}"""


@pytest.mark.timeout(600)
def test_raw_strings_are_markup_everywhere_and_safe_ones_are_text(tmp_path: Path) -> None:
    import subprocess
    import time
    import urllib.request

    port = wb.free_port()
    log = (tmp_path / "probe.log").open("w")
    proc = subprocess.Popen(
        [*wb.streamlit_command(), "run", str(APP), "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=wb.ROOT, stdout=log, stderr=subprocess.STDOUT,
        env={**__import__("os").environ, "PYTHONPATH": str(wb.ROOT)},
    )  # fmt: skip
    requests: list[str] = []
    blocked: list[str] = []
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).close()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, (
                    tmp_path / "probe.log"
                ).read_text()
                time.sleep(0.3)
        with wb.browser(requests, blocked, {"width": 1400, "height": 4000}) as page:
            page.goto(url)
            page.get_by_text("S24 link").first.wait_for(timeout=120_000)
            for testid in (
                "stProgress",
                "stButton",
                "stCheckbox",
                "stRadio",
                "stMetric",
                "stTextInput",
                "stSlider",
            ):
                page.locator(f'[data-testid="{testid}"]').last.wait_for(
                    timeout=120_000
                )  # widgets load lazily
            page.wait_for_timeout(2000)
            tooltips = {}
            for i, tag in enumerate(("R", "B", "S")):  # the order the app draws them in
                icon = page.get_by_text("tooltip").filter(visible=True).nth(i)
                icon.locator("xpath=..").locator('[data-testid="stTooltipIcon"]').first.hover()
                tip = page.locator('[data-testid="stTooltipContent"]').filter(visible=True).first
                tip.wait_for(timeout=20_000)
                tooltips[tag] = (tip.inner_text(), tip.locator("a, img").count())
                page.mouse.move(0, 0)
                page.wait_for_timeout(800)
            raw = page.evaluate(LIVE, "R")
            backslashed = page.evaluate(LIVE, "B")
            escaped = page.evaluate(LIVE, "S")
            text = page.inner_text("body").replace("\u2060", "")
    finally:
        proc.terminate()
        proc.wait(20)
        log.close()
    raw_sinks = {where for where, _ in raw}
    # raw: every one of these calls interprets Markdown (so every one needs ui.safe) ...
    assert raw_sinks >= {f"{i:02d}" for i in range(1, 23)}, sorted(raw_sinks)
    assert any(w.startswith("a data:") for _, w in raw)  # a data: link is kept
    assert any(w == "a http://www.attacker.example/w" for _, w in raw)  # autolinks
    assert tooltips["R"][1] > 0  # help tooltips too
    # backslash escapes stop images, links and emphasis, but not the autolinks (found after parsing)
    assert {w for _, w in backslashed} == {
        "a http://www.attacker.example/w", "a https://attacker.example/auto", "a mailto:a@attacker.example",
        "a https://attacker.example/angle", "a https://attacker.example/raw.png",
        "a https://attacker.example/img.png",  # the image's URL, no longer an image, is linked
    }, sorted({w for _, w in backslashed})  # fmt: skip
    # ... and through ui.safe none of them does: the one link is the http(s) URL shown in full
    assert escaped == [["24", "a https://example.org/a_%28b%29"]] or escaped == [
        ["24", "a https://example.org/a_(b)"]
    ], escaped
    assert tooltips["S"][1] == 0, tooltips
    for i in range(1, 23):
        assert f"S{i:02d} ![q](https://attacker.example/img.png) [x](javascript:alert(1))" in text, i
    assert "https://attacker.example/img.png" in " ".join(blocked)  # the raw image did try to load
    assert not [r for r in blocked if "raw.png" in r]  # raw HTML is not rendered even unescaped
