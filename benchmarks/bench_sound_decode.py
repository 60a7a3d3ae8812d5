"""What the sound costs inside the product's one decode (issue 10: picture + sound <= 1.3x bare decode).

On bench_audio's 2-minute 720p H.264 clip with stereo AAC (built by ``bench_audio.py`` into the
cache), in one process, alternating, ``rounds`` times:

* ``bare``: PyAV decode of the video stream only (the baseline);
* ``picture``: ``verify.fingerprint.fingerprint(path, REFERENCE)`` (what ``verify hash`` did before);
* ``picture+sound``: ``verify.audio.tap.fingerprint_with_sound`` (what ``verify hash`` does now:
  the sound demuxed and fingerprinted in the same pass).

Wall and CPU seconds (median), ratios against ``bare`` and ``picture`` of the same run.

    nice -n 10 .venv/bin/python benchmarks/bench_sound_decode.py [--cache /work/audio-cache] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

RESULTS = Path(__file__).parent / "results"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", default="/work/audio-cache")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    from benchmarks.bench_audio import bare_decode, make_clip
    from verify.audio.tap import fingerprint_with_sound
    from verify.fingerprint import REFERENCE, fingerprint
    from verify.probe import probe

    path = make_clip(Path(args.cache))
    info = probe(path)
    jobs = {
        "bare": lambda: bare_decode(path),
        "picture": lambda: fingerprint(path, REFERENCE, info=info),
        "picture+sound": lambda: fingerprint_with_sound(path, REFERENCE, info=info),
    }
    wall: dict[str, list[float]] = {k: [] for k in jobs}
    cpu: dict[str, list[float]] = {k: [] for k in jobs}
    peaks = 0
    for _ in range(args.rounds):
        for name, job in jobs.items():
            t, c = time.perf_counter(), time.process_time()
            out = job()
            wall[name].append(time.perf_counter() - t)
            cpu[name].append(time.process_time() - c)
            if name == "picture+sound":
                peaks = len(out[1]) if isinstance(out, tuple) and out[1] is not None else 0
    med = {k: statistics.median(v) for k, v in wall.items()}
    medc = {k: statistics.median(v) for k, v in cpu.items()}
    r: dict[str, Any] = {
        "clip": path.name,
        "rounds": args.rounds,
        "load": os.getloadavg(),
        "wall_s": med,
        "cpu_s": medc,
        "all_wall": wall,
        "peaks": peaks,
        "wall_sound_over_picture": med["picture+sound"] / med["picture"],
        "wall_sound_over_bare": med["picture+sound"] / med["bare"],
        "cpu_sound_over_picture": medc["picture+sound"] / medc["picture"],
        "cpu_sound_over_bare": medc["picture+sound"] / medc["bare"],
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_sound_decode.json").write_text(json.dumps(r, indent=1))
    lines = [
        "# The sound in the one decode (`benchmarks/bench_sound_decode.py`)",
        "",
        f"{path.name}, median of {args.rounds} rounds in one process, load average {r['load'][0]:.1f} "
        "(a shared 2-core machine: ratios, not absolute times)",
        "",
        "| run | wall s | CPU s | wall / bare | CPU / bare |",
        "|---|---|---|---|---|",
    ]
    for k in jobs:
        lines.append(
            f"| {k} | {med[k]:.2f} | {medc[k]:.2f} | {med[k] / med['bare']:.2f}x | {medc[k] / medc['bare']:.2f}x |"
        )
    lines += [
        "",
        f"Sound added to the picture fingerprint: **{r['wall_sound_over_picture']:.2f}x wall, "
        f"{r['cpu_sound_over_picture']:.2f}x CPU** ({peaks} peaks).",
        "",
    ]
    (RESULTS / "bench_sound_decode.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
