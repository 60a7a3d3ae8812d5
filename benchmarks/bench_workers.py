"""`verify hash FOLDER --workers 1` vs `--workers 2`: whole-process wall time on real corpus clips.

Copies ~8 real-footage clips from the corpus into a temporary folder, then runs the real
CLI in a fresh process, each time into a new library, alternating 1 and 2 workers for
``--rounds`` rounds, and reports the best time of each (the machine is shared: the minimum
is the least disturbed run). Goal: 2 workers >= 1.7x faster than 1.

    .venv/bin/python benchmarks/bench_workers.py [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "bench_workers.md"
CORPUS = Path(os.environ.get("VERIFY_CORPUS", ROOT.parent / "shared" / "corpus"))

CLIPS = [
    "te-chair-orig-22-sd-bar.mp4",
    "te-chair-19-sd-bar.mp4",
    "te-chair-20-sd-bar.mp4",
    "imageio-cockatoo.mp4",
    "hachoir-flashmob.mkv",
    "moviepy-chaplin.mp4",
    "te-pattern-hd-no-bar.mp4",
    "mdn-flower.mp4",
]


def run(folder: Path, workers: int, tmp: Path, tag: str) -> tuple[float, int]:
    db = tmp / f"lib-{tag}-{workers}.db"
    cmd = [sys.executable, "-m", "verify", "hash", str(folder), "--library", str(db), "--json", "--workers",
           str(workers)]  # fmt: skip
    t = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
    elapsed = time.perf_counter() - t
    added = sum(json.loads(line)["status"] == "added" for line in out.stdout.splitlines() if line.strip())
    if out.returncode != 0:
        print(out.stderr, file=sys.stderr)
    return elapsed, added


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    files = [CORPUS / "files" / n for n in CLIPS if (CORPUS / "files" / n).exists()]
    if not files:
        sys.exit(f"corpus not found at {CORPUS}")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        folder = tmp / "clips"
        folder.mkdir()
        for f in files:
            shutil.copy(f, folder / f.name)
        manifest = {m["name"]: m for m in json.loads((CORPUS / "manifest.json").read_text())["files"]}
        total_s = sum(float(manifest[f.name].get("duration") or 0) for f in files)
        times: dict[int, list[float]] = {1: [], 2: []}
        for r in range(args.rounds):
            for w in (1, 2) if r % 2 == 0 else (2, 1):
                elapsed, added = run(folder, w, tmp, f"r{r}")
                assert added == len(files), f"{added} of {len(files)} added with {w} workers"
                times[w].append(elapsed)
                print(f"round {r} workers {w}: {elapsed:.2f} s", flush=True)
    best1, best2 = min(times[1]), min(times[2])
    load = os.getloadavg()
    print(f"load average {load[0]:.1f}")
    lines = [
        "# Parallel hashing benchmark",
        "",
        f"`verify hash FOLDER --library NEW.db --json --workers N`, whole process (start-up, spawn of workers, "
        f"decode, hashing, one SQLite transaction per clip). {len(files)} real-footage corpus clips, "
        f"{total_s:.0f} s of video in all: {', '.join(f.name for f in files)}.",
        f"Machine: {os.cpu_count()} cores shared with other jobs (load average at the end {load[0]:.1f}), "
        f"Python {platform.python_version()}. {args.rounds} rounds alternating the order; best of each.",
        "",
        "| workers | best wall time | all runs | speed-up vs 1 worker (best) | (median) |",
        "|---|---|---|---|---|",
        f"| 1 | {best1:.2f} s | {', '.join(f'{t:.2f}' for t in times[1])} | 1.00x | 1.00x |",
        f"| 2 | {best2:.2f} s | {', '.join(f'{t:.2f}' for t in times[2])} | {best1 / best2:.2f}x "
        f"| {statistics.median(times[1]) / statistics.median(times[2]):.2f}x |",
        "",
    ]
    text = "\n".join(lines)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
