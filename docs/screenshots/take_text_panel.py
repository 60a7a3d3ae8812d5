"""Take ``docs/screenshots/text-panel.png``: the Keyframes page's Text panel on the demo clip.

Like ``take_screenshots.py`` (fresh data folder, ``streamlit run app.py``, Debian chromium through
Playwright): waits for the background OCR, chooses the keyframe chooser's default (the first
keyframe with text) and captures the panel with the boxes drawn on the keyframe.

Run: ``.venv/bin/python docs/screenshots/take_text_panel.py``
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from take_screenshots import ARGS, OUT, ROOT, free_port


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
        for _ in range(1000):
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.3)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 3000})
            page.goto(f"{url}/keyframes")
            page.get_by_text("Leads (to follow up by hand").wait_for(timeout=600_000)
            page.wait_for_load_state("networkidle")
            time.sleep(4)
            panel = page.get_by_role("heading", name="Text on screen")
            panel.scroll_into_view_if_needed()
            time.sleep(1)
            box = panel.bounding_box()
            assert box is not None
            top = max(0.0, box["y"] - 20)
            shot = page.screenshot(clip={"x": 0, "y": top, "width": 1280, "height": min(1500.0, 3000 - top)})
            tmp = OUT / ".text-panel.raw.png"
            tmp.write_bytes(shot)
            from PIL import Image

            img = Image.open(tmp).convert("RGB")
            tmp.unlink()
            img.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
                OUT / "text-panel.png", optimize=True
            )
            print("text-panel.png", img.size, (OUT / "text-panel.png").stat().st_size)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(20)


if __name__ == "__main__":
    main()
