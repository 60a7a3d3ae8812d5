"""Take the workbench screenshots in docs/screenshots/ (1280 px wide, palette PNGs).

Runs ``streamlit run app.py`` on a fresh data folder (a first run: the sample library is built,
the sample clip opens), walks the pages in Debian chromium with Playwright and saves one PNG per
page. The notes shown on the Notes page are typed in through the page, as an analyst would.

Run: ``.venv/bin/python docs/screenshots/take_screenshots.py`` (``overview`` as its argument: that one only)
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def save(png: bytes, name: str) -> None:
    """Trim the empty space below the content and store as an optimised palette PNG."""
    tmp = OUT / f".{name}.raw.png"
    tmp.write_bytes(png)
    img = Image.open(tmp).convert("RGB")
    tmp.unlink()
    a = np.asarray(img)
    main = a[:, 320:]  # the page body, right of the sidebar
    busy = np.where((np.abs(main.astype(int) - main[-1:, :, :].astype(int)).sum(axis=2) > 30).any(axis=1))[0]
    bottom = min(a.shape[0], int(busy[-1]) + 40) if len(busy) else a.shape[0]
    img = img.crop((0, 0, img.width, max(bottom, 700)))
    img.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        OUT / f"{name}.png", optimize=True
    )
    print(f"{name}.png {img.width}x{img.height} {(OUT / f'{name}.png').stat().st_size:,} bytes")


def main() -> None:
    from playwright.sync_api import sync_playwright

    data = Path(tempfile.mkdtemp(prefix="verify-shots-"))
    port = free_port()
    env = dict(os.environ, VERIFY_DATA=str(data))
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1"],
        cwd=ROOT, env=env, stdout=(data / "server.log").open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.3)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 1500})

            def settle(seconds: float = 2.5) -> None:
                page.wait_for_load_state("networkidle")
                page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=120_000)
                time.sleep(seconds)

            def goto(title: str) -> None:
                page.get_by_role("link", name=title, exact=True).first.click()
                settle()

            page.goto(url)
            page.get_by_text("Seen before").first.wait_for(timeout=300_000)
            settle()
            save(page.screenshot(), "overview")
            if sys.argv[1:] == ["overview"]:
                return

            goto("Metadata")
            save(page.screenshot(), "metadata")

            goto("Keyframes")
            page.get_by_text("Download all (ZIP)").wait_for(timeout=120_000)
            settle()
            save(page.screenshot(), "keyframes")
            page.get_by_role("button", name="Enlarge").last.click()
            page.get_by_role("dialog").get_by_text("Download frame (PNG)").wait_for(timeout=60_000)
            settle(3)
            save(page.screenshot(), "keyframe-viewer")
            page.keyboard.press("Escape")
            settle()

            goto("Matches")
            page.get_by_text("Frame pairs at aligned times").first.wait_for(timeout=120_000)
            settle(4)
            save(page.screenshot(full_page=True), "matches")

            goto("Library")
            save(page.screenshot(), "library")

            goto("Notes")
            page.get_by_label("Analyst").fill("Desk editor (demo)")
            page.get_by_label("Summary").fill(
                "Recycled footage: the aerial half is a 2017 drone clip of coastal cliffs, mirrored and reframed; "
                "nothing shows smoke or a military camp."
            )
            page.get_by_label("Notes").first.fill(
                "Match 1: 0:08–0:16 is 'Drone flight over coastal cliffs', first seen 2017-10-02 (sample library)."
            )
            for i in range(2):  # the overall verdict, then the provenance check: "false"
                page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').nth(i).click()
                page.get_by_role("option", name="False", exact=True).click()
                time.sleep(0.5)
            page.get_by_role("button", name="Save notes").click()
            page.get_by_text("Notes saved").wait_for(timeout=60_000)
            settle()
            save(page.screenshot(), "notes")

            goto("Export")
            page.get_by_text("HTML (self-contained)").click()
            page.get_by_role("button", name="Build the report").click()
            page.get_by_text("is ready").wait_for(timeout=300_000)
            settle()
            save(page.screenshot(), "export")
            browser.close()
    finally:
        proc.terminate()
        proc.wait(20)


if __name__ == "__main__":
    main()
