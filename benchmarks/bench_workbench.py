"""Workbench timings and memory, measured in a real browser.

Starts ``streamlit run app.py`` on a fresh data folder, drives Debian chromium with Playwright and
measures, for a 60 s 720p H.264 clip made from the bundled footage (re-framed, re-encoded):

* upload → Overview shown (metadata read), and upload → matches shown (the Overview's
  "Seen before" line, filled in by the background matching), each upload made once the app is
  idle again (keyframes and frame pairs of the previous clip done, as when an analyst reads them);
* the app process's RSS (``/proc/<pid>/status`` VmRSS) after the first run, and after ten
  uploads of distinct 60 s clips (each a remux with a different title tag: a new sha256, so a
  full analysis each time).

Run: ``.venv/bin/python benchmarks/bench_workbench.py``; writes benchmarks/results/workbench.md.
Timings are noisy on a shared machine: the script also times a bare ``verify.probe`` and
``match_file`` of the same clip in this process, so the UI overhead can be read as a ratio.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
KNOWN = ROOT / "samples" / "known"
RESULTS = ROOT / "benchmarks" / "results" / "workbench.md"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]  # fmt: skip


def ffmpeg() -> str:
    return shutil.which("ffmpeg") or __import__("imageio_ffmpeg").get_ffmpeg_exe()


def make_clip(out: Path) -> Path:
    """60 s at 1280x720, 30 fps: the known clips one after another (looped), letterboxed, re-encoded."""
    parts = ["airliner-over-airfield.mp4", "drone-coastal-cliffs.mp4", "pancake-kitchen.mkv", "flower-close-up.mp4",
             "newsroom-archive-film.mp4"]  # fmt: skip
    args = [ffmpeg(), "-v", "error", "-y"]
    for p in parts:
        args += ["-stream_loop", "1", "-i", str(KNOWN / p)]
    chains = "".join(
        f"[{i}:v]scale=1280:720:force_original_aspect_ratio=decrease,pad=1280:720:(ow-iw)/2:(oh-ih)/2,"
        f"setsar=1,fps=30,format=yuv420p[v{i}];"
        for i in range(len(parts))
    )
    concat = "".join(f"[v{i}]" for i in range(len(parts))) + f"concat=n={len(parts)}:v=1:a=0[out]"
    args += ["-filter_complex", chains + concat, "-map", "[out]", "-t", "60", "-c:v", "libx264", "-preset", "veryfast",
             "-crf", "23", "-movflags", "+faststart", str(out)]  # fmt: skip
    subprocess.run(args, check=True)
    return out


def variant(src: Path, out: Path, n: int) -> Path:
    subprocess.run([ffmpeg(), "-v", "error", "-y", "-i", str(src), "-c", "copy", "-metadata", f"title=upload {n}",
                    str(out)], check=True)  # fmt: skip
    return out


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def idle(page: object) -> None:
    """Wait until the sidebar shows no background work (its progress bars are gone)."""
    time.sleep(1.5)
    page.wait_for_function(  # type: ignore[attr-defined]
        "document.querySelectorAll('[data-testid=stSidebar] [data-testid=stProgress]').length === 0",
        timeout=600_000,
    )
    time.sleep(1.0)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    from playwright.sync_api import sync_playwright

    from verify.library import Library
    from verify.matching import match_file
    from verify.probe import probe

    work = Path(tempfile.mkdtemp(prefix="bench-workbench-"))
    clip = make_clip(work / "clip60.mp4")
    uploads = [variant(clip, work / f"upload-{i:02d}.mp4", i) for i in range(10)]
    # the same work without the UI, in this process, for a ratio (sample library built the UI's way)
    from ui import samples
    from ui.config import DataPaths

    ref_data = work / "ref-data"
    ref_data.mkdir()
    samples.build(DataPaths(ref_data))
    t = time.monotonic()
    probe(clip)
    bare_probe = time.monotonic() - t
    with Library(ref_data / "sample-library.db") as lib:
        t = time.monotonic()
        result = match_file(clip, lib)
        bare_match = time.monotonic() - t
    port = free_port()
    env = dict(os.environ, VERIFY_DATA=str(work / "data"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1"],
        cwd=ROOT, env=env, stdout=(work / "server.log").open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    rows: list[tuple[str, str]] = []
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.3)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            t = time.monotonic()
            page.goto(url)
            page.get_by_text("Seen before").first.wait_for(timeout=300_000)
            first_run = time.monotonic() - t
            idle(page)
            rss_first = rss_mb(proc.pid)
            times = []
            for i, up in enumerate(uploads):
                t0 = time.monotonic()
                page.locator('input[type="file"]').first.set_input_files(str(up))
                page.locator("table.vf-facts", has_text=up.name).wait_for(timeout=300_000)
                t_overview = time.monotonic() - t0
                page.get_by_text("Seen before").first.wait_for(timeout=600_000)
                t_matches = time.monotonic() - t0
                times.append((t_overview, t_matches))
                idle(page)  # keyframes and frame pairs finish: the analyst reads before the next upload
                print(f"upload {i + 1}: overview {t_overview:.1f} s, matches {t_matches:.1f} s, "
                      f"RSS {rss_mb(proc.pid):.0f} MB", flush=True)  # fmt: skip
            rss_after = rss_mb(proc.pid)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(20)
    first = times[0]
    med_o = sorted(x[0] for x in times)[len(times) // 2]
    med_m = sorted(x[1] for x in times)[len(times) // 2]
    size = clip.stat().st_size
    rows += [
        (
            "clip",
            f"60 s, 1280x720, 30 fps, H.264, {size / 1e6:.1f} MB (the bundled footage looped, letterboxed)",
        ),
        ("first run (empty data folder → sample clip's matches shown)", f"{first_run:.1f} s"),
        ("upload → Overview shown (first upload / median of 10)", f"{first[0]:.1f} s / {med_o:.1f} s"),
        ("upload → matches shown (first upload / median of 10)", f"{first[1]:.1f} s / {med_m:.1f} s"),
        (
            "bare `probe` + `match_file` of the same clip, no UI",
            f"{bare_probe:.1f} s + {bare_match:.1f} s ({len(result.matches)} matches)",
        ),
        ("UI overhead: matches shown / (bare probe + match)", f"{med_m / (bare_probe + bare_match):.2f}x"),
        ("app RSS after the first run", f"{rss_first:.0f} MB"),
        ("app RSS after ten 60 s uploads", f"{rss_after:.0f} MB"),
    ]
    text = "# Workbench: upload to overview, upload to matches, memory\n\n"
    text += "Measured by `benchmarks/bench_workbench.py` (streamlit + Debian chromium via Playwright), machine shared "
    text += "with other jobs (2 cores).\n\n| measure | value |\n|---|---|\n"
    text += "".join(f"| {a} | {b} |\n" for a, b in rows)
    text += "\nPer upload (overview s, matches s): " + ", ".join(f"{a:.1f}/{b:.1f}" for a, b in times) + "\n"
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    print(text)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
