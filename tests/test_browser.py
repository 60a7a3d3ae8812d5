"""The workbench in a real browser: `streamlit run app.py` driven by Debian chromium through Playwright.

A first run on an empty data folder (the sample library is built), then a real phone clip is
uploaded through the page's file input; the test waits for its device and GPS position to show
and saves a screenshot to artifacts/. Skips cleanly when /usr/bin/chromium is absent.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts"
PHONE = ROOT / "samples" / "phone" / "iphone-train.mov"  # lychee-train.mov from the corpus (MIT)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.xdist_group("workbench"),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = dict(os.environ, VERIFY_DATA=str(tmp_path / "data"), PYTHONUNBUFFERED="1")
    log = (tmp_path / "streamlit.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((tmp_path / "streamlit.log").read_text()) from None
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    assert "Traceback" not in (tmp_path / "streamlit.log").read_text()


def test_upload_a_phone_clip_shows_device_and_gps(server: str) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(server)
            # first run: the sample library is built and the sample clip opens
            page.get_by_text("smoke-plume-claim.mp4").first.wait_for(timeout=120_000)
            page.get_by_text("Provenance signals").first.wait_for(timeout=120_000)
            # background matching finishes and the page refreshes itself: the sample clip was seen before
            page.get_by_text("Seen before").first.wait_for(timeout=180_000)
            page.locator('input[type="file"]').first.set_input_files(str(PHONE))
            page.get_by_text("iPhone 6s").first.wait_for(timeout=120_000)
            page.get_by_text("52.209700, -0.895500").first.wait_for(timeout=60_000)
            osm = page.get_by_role("link", name="Open in OpenStreetMap")
            href = osm.get_attribute("href") or ""
            body = page.inner_text("body")
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "workbench-upload.png"), full_page=True)
        finally:
            browser.close()
    assert "mlat=52.209700" in href and "mlon=-0.895500" in href
    assert "iphone-train.mov" in body  # the uploaded file is the one under examination
    assert "Traceback" not in body
    assert (ARTIFACTS / "workbench-upload.png").stat().st_size > 20_000
