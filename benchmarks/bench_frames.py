"""Frame decoding speed: verify.frames and verify.shots as ratios to a bare PyAV decode.

    .venv/bin/python benchmarks/bench_frames.py [--repeats 2] [--seconds 120]

The clip: 2 minutes of 1280x720 H.264 (libx264 preset medium, CRF 23, 30 fps, keyframe
every 250 frames as x264 defaults), made once with ffmpeg from the corpus real-footage clip
gopro-karma.mp4 (854x480, 12 s, Apache-2.0/MIT) scaled to 720p and looped 10 times, cached in
artifacts/bench/frames120.mp4 (git-ignored). Without the corpus a synthetic textured clip is
encoded with PyAV instead (the table says which).

All cases run in this one process, interleaved, ``--repeats`` times; the table keeps the
fastest run of each. Ratios are wall time over the baseline's wall time from the same run
(the machine is shared: absolute numbers move, ratios much less). Results are written to
benchmarks/results/frames.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import av  # noqa: E402
import cv2  # noqa: E402

from verify.analysis import begin, decode  # noqa: E402
from verify.frames import Sampling, iter_frames  # noqa: E402

CACHE = ROOT / "artifacts" / "bench"
CORPUS = Path(os.environ.get("VERIFY_CORPUS", ROOT.parent / "shared" / "corpus")) / "files"
SOURCE = "gopro-karma.mp4"
SMALL_GRAY = {"max_side": 64, "pixel_format": "gray"}


def make_clip(seconds: float) -> tuple[Path, str]:
    CACHE.mkdir(parents=True, exist_ok=True)
    clip = CACHE / f"frames{int(seconds)}.mp4"
    src = CORPUS / SOURCE
    what = f"corpus {SOURCE} scaled to 1280x720 and looped, libx264 medium CRF 23, 30 fps, {seconds:.0f} s"
    if clip.exists():
        return clip, what if src.exists() else "synthetic textured pan, 1280x720, 30 fps"
    if src.exists():
        exe = shutil.which("ffmpeg")
        if exe is None:
            import imageio_ffmpeg

            exe = imageio_ffmpeg.get_ffmpeg_exe()
        loops = int(seconds // 12) + 1
        subprocess.run(
            [exe, "-hide_banner", "-loglevel", "error", "-y", "-stream_loop", str(loops), "-i", str(src),
             "-t", str(seconds), "-an", "-vf", "scale=1280:720,fps=30", "-c:v", "libx264", "-preset", "medium",
             "-crf", "23", "-pix_fmt", "yuv420p", str(clip)],
            check=True,
        )  # fmt: skip
        return clip, what
    from tests import media

    media.make_video(clip, seconds=seconds, fps=30, width=1280, height=720, gop=250)
    return clip, "synthetic textured pan, 1280x720, 30 fps"


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def bare_decode(path: Path) -> int:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        return sum(1 for _ in c.decode(s))


def bare_decode_new_scaler(path: Path) -> int:
    """What iter_frames did before: to_ndarray(width=, height=) builds a scaler per frame."""
    n = 0
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        for f in c.decode(s):
            f.to_ndarray(width=64, height=36, format="gray", interpolation="AREA")
            n += 1
    return n


def frames(sampling: Sampling) -> Callable[[Path], int]:
    return lambda path: sum(1 for _ in iter_frames(path, sampling))


def opencv(path: Path) -> int:
    cap = cv2.VideoCapture(str(path))
    n = 0
    while True:
        ok, _ = cap.read()
        if not ok:
            break
        n += 1
    cap.release()
    return n


CASES: list[tuple[str, Callable[[Path], int]]] = [
    ("bare PyAV decode, thread_type AUTO, no conversion (baseline)", bare_decode),
    ("iter_frames every frame, gray 64 px", frames(Sampling(**SMALL_GRAY))),
    ("  same, a new FFmpeg scaler per frame (previous code)", bare_decode_new_scaler),
    ("iter_frames every frame, RGB 320 px", frames(Sampling(max_side=320))),
    ("iter_frames 1 fps, gray 64 px", frames(Sampling(mode="fps", fps=1, **SMALL_GRAY))),
    ("iter_frames keyframes only (skip_frame NONKEY), gray 64 px", frames(Sampling(mode="keyframes", **SMALL_GRAY))),
    ("analysis decode (query fingerprint 2/s, shot features 8/s, sample pictures, keyframes)",
     lambda p: len(decode(begin(p)).keyframes)),
    ("cv2.VideoCapture every frame (full-size BGR)", opencv),
]  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=120.0)
    args = ap.parse_args()
    clip, what = make_clip(args.seconds)
    with av.open(str(clip)) as c:
        total = c.streams.video[0].frames or bare_decode(clip)
    best: dict[str, tuple[float, float, int]] = {}
    for _ in range(args.repeats):
        for name, fn in CASES:
            c0, t0 = cpu_seconds(), time.perf_counter()
            out = fn(clip)
            wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
            old = best.get(name)
            best[name] = (min(wall, old[0]) if old else wall, min(cpu, old[1]) if old else cpu, out)
            print(f"  {wall:7.2f} s wall {cpu:7.2f} s cpu  {name}", file=sys.stderr)
    base_wall, base_cpu, _ = best[CASES[0][0]]
    lines = [
        "# Frame decoding benchmark (`benchmarks/bench_frames.py`)",
        "",
        f"- clip: {what}; {total} frames ({clip.stat().st_size / 1e6:.1f} MB)",
        f"- machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores (shared with other jobs), "
        f"Python {platform.python_version()}, PyAV {av.__version__} (FFmpeg {av.ffmpeg_version_info}), "
        f"OpenCV {cv2.__version__}",
        f"- best of {args.repeats} interleaved runs (wall and CPU minimised separately); fps = clip frames / wall;"
        " CPU = user+sys of all threads of this process, the steadier measure on a loaded machine",
        "",
        "| case | wall s | clip fps | CPU s | items out | wall ratio | CPU ratio |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, _ in CASES:
        wall, cpu, out = best[name]
        lines.append(
            f"| {name.strip()} | {wall:.2f} | {total / wall:.0f} | {cpu:.2f} | {out} | {wall / base_wall:.2f}x "
            f"| {cpu / base_cpu:.2f}x |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    (ROOT / "benchmarks" / "results").mkdir(parents=True, exist_ok=True)
    (ROOT / "benchmarks" / "results" / "frames.md").write_text(text)


if __name__ == "__main__":
    main()
