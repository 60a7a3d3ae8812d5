"""What the background OCR adds to the workbench's keyframe stage, and that the Overview does not wait.

For each clip, twice in the same run (``VERIFY_OCR=0`` then ``1``), on a fresh data folder with the
sample library: the workbench (Streamlit ``AppTest``, in-process) opens the clip by path and we time
the run that shows the Overview; then the background tasks finish and their own clocks give the
keyframe stage (decode, from the match task that makes it, to the keyframes task's end) and the text
task (from the end of the keyframes to the end of OCR). Results: ``benchmarks/results/workbench_ocr.md``.

    nice -n 10 .venv/bin/python benchmarks/bench_workbench_ocr.py [CLIP ...]   # REPEAT=3: medians of 3
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT = [
    ROOT / "samples" / "viral" / "smoke-plume-claim.mp4",
    ROOT / "samples" / "known" / "stream-of-water.mp4",
]


def run(clip: Path, ocr: bool, data: Path) -> dict[str, float]:
    from streamlit.testing.v1 import AppTest

    from ui import analysis, jobs

    os.environ["VERIFY_OCR"] = "1" if ocr else "0"
    jobs.runner().wait_idle(600)
    jobs.runner().clear()
    analysis.CACHE.clear()
    analysis.TEXTS.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.run()
    jobs.runner().wait_idle(600)  # the first-run sample clip (the demo clip itself), out of the way
    jobs.runner().clear()  # and forgotten: the clip opened next is analysed from nothing
    analysis.CACHE.clear()
    analysis.TEXTS.clear()
    at.text_input(key="loader.path").input(str(clip))
    t0 = time.perf_counter()
    next(b for b in at.button if b.label == "Open file").click()
    at.run()
    overview = time.perf_counter() - t0
    sha = at.session_state["loader.current"].sha256
    jobs.runner().wait_idle(600)
    lib = data / "sample-library.db"
    m = jobs.runner().get(analysis.match_key(sha, lib))
    k = jobs.runner().get(analysis.keyframes_key(sha))
    out = {"overview_s": overview, "keyframes_s": k.finished - (m.started if m else k.started)}
    t = jobs.runner().get(analysis.text_key(sha))
    if t is not None:
        r = analysis.text_of(sha)
        out.update(ocr_added_s=t.finished - k.finished, keyframes=r.frames_read, texts=len(r.items),
                   ocr_per_keyframe_ms=r.per_frame_ms())  # fmt: skip
    return out


def main(clips: list[Path]) -> None:
    from ui import samples
    from ui.config import DataPaths

    data = Path(tempfile.mkdtemp(prefix="verify-bench-ocr-"))
    os.environ["VERIFY_DATA"] = str(data)
    samples.build(DataPaths(data))
    load = os.getloadavg()[0]
    rows = []
    repeat = int(os.environ.get("REPEAT", "1"))
    for clip in clips:
        offs, ons = [], []
        for _ in range(repeat):  # alternated, so load changes hit both alike
            offs.append(run(clip, False, data))
            ons.append(run(clip, True, data))
        off = {k: statistics.median(r[k] for r in offs) for k in offs[0]}
        on = {k: statistics.median(r[k] for r in ons) for k in ons[0]}
        rows.append((clip.name, off, on))
        print(clip.name, offs, ons, flush=True)
    lines = [
        "# Background OCR in the workbench (`benchmarks/bench_workbench_ocr.py`)",
        "",
        f"Shared 2-core machine, load average {load:.1f} at the start: wall times are noisy; compare "
        f"within a row (same run); medians of {repeat} alternated run(s) each.",
        "",
        "| clip | Overview shown, OCR off | Overview shown, OCR on | keyframe stage | OCR added after it "
        "| keyframes read | texts | OCR per keyframe |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, off, on in rows:
        lines.append(
            f"| {name} | {off['overview_s']:.2f} s | {on['overview_s']:.2f} s | {on['keyframes_s']:.2f} s | "
            f"{on.get('ocr_added_s', 0):.2f} s | {on.get('keyframes', 0)} | {on.get('texts', 0)} | "
            f"{on.get('ocr_per_keyframe_ms', 0):.0f} ms |"
        )
    out = ROOT / "benchmarks" / "results" / "workbench_ocr.md"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(out.read_text())


if __name__ == "__main__":
    main([Path(a).resolve() for a in sys.argv[1:]] or DEFAULT)
