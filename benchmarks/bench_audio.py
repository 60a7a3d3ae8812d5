"""Cost of verify's audio fingerprint: time vs the bare video decode, bytes per hour, 100-hour search.

    nice -n 10 .venv/bin/python benchmarks/bench_audio.py [--cache /work/audio-cache] [--hours 100]

1. A 2-minute 720p H.264 clip with stereo AAC (corpus footage ``imageio-cockatoo.mp4`` looped,
   sound from ``arcade``'s ``1918.mp3``, see eval/audio_sources.py), made once with ffmpeg. In one
   process, alternating, 3 rounds (median): the bare video decode (PyAV, every frame, no
   conversion), ``audio_fingerprint`` of the file, and one demux loop that decodes the video and
   pushes the sound into ``AudioFingerprinter`` (what a single-decode analysis would do).
2. Bytes per hour of sound: the stored peaks and the derived index postings.
3. Search: a library of ``--hours`` of sound made from real fingerprints (every recording of the
   evaluation sets, each cut into pieces and re-timed/transposed so no two are the same: real
   peak statistics without decoding 100 hours), then queries of 10 s / 60 s of a real copy and a
   negative, timed.
4. A 2-hour sound track (a real recording looped, AAC mono): fingerprinted in a child process,
   its peak RSS reported.
Results: benchmarks/results/bench_audio.md (+ .json).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from eval.audio_sources import source  # noqa: E402
from eval.ffmpeg import ffmpeg_exe  # noqa: E402
from eval.report import machine  # noqa: E402

RESULTS = HERE / "results"
CORPUS = Path("/work/shared/corpus/files")


def make_clip(cache: Path) -> Path:
    out = cache / "bench" / "clip-720p-aac-stereo-120s.mp4"
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    music = source("arcade:1918", cache)
    args = [
        ffmpeg_exe(),
        "-v",
        "error",
        "-y",
        "-stream_loop",
        "-1",
        "-i",
        str(CORPUS / "imageio-cockatoo.mp4"),
        "-i",
        str(music),
    ]
    args += ["-t", "120", "-map", "0:v", "-map", "1:a", "-vf", "scale=1280:720,fps=25"]
    args += [
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-crf",
        "23",
        "-c:a",
        "aac",
        "-b:a",
        "128k",
        "-ac",
        "2",
        str(out),
    ]
    subprocess.run(args, check=True)
    return out


def bare_decode(path: Path) -> int:
    import av

    n = 0
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        for _ in c.decode(s):
            n += 1
    return n


def one_loop(path: Path) -> int:
    """Video decoded and sound fingerprinted from one demux loop (push API)."""
    import av

    from verify.audio import AudioFingerprinter

    fp = AudioFingerprinter()
    n = 0
    with av.open(str(path)) as c:
        v, a = c.streams.video[0], c.streams.audio[0]
        v.thread_type = "AUTO"
        for packet in c.demux(v, a):
            for frame in packet.decode():
                if packet.stream is a:
                    fp.add_frame(frame)
                else:
                    n += 1
    fp.finish()
    return n


def timings(path: Path, rounds: int = 3) -> dict[str, Any]:
    from verify.audio import audio_fingerprint

    runs: dict[str, list[float]] = {
        "bare_video_decode": [],
        "audio_fingerprint": [],
        "one_loop_video_plus_audio": [],
    }
    for _ in range(rounds):
        for name, fn in (
            ("bare_video_decode", lambda: bare_decode(path)),
            ("audio_fingerprint", lambda: audio_fingerprint(path)),
            ("one_loop_video_plus_audio", lambda: one_loop(path)),
        ):
            t = time.perf_counter()
            fn()
            runs[name].append(time.perf_counter() - t)
    med = {k: statistics.median(v) for k, v in runs.items()}
    return {
        "seconds": med,
        "all": runs,
        "audio_over_bare_decode": med["audio_fingerprint"] / med["bare_video_decode"],
        "one_loop_over_bare_decode": med["one_loop_video_plus_audio"] / med["bare_video_decode"],
    }


def storage(cache: Path) -> dict[str, Any]:
    from verify.audio import AudioIndex, audio_fingerprint

    out = {}
    for label, key in (
        ("speech (Allison, 73 s)", "allison:demo-instruct"),
        ("music (1918, 172 s)", "arcade:1918"),
    ):
        fp = audio_fingerprint(source(key, cache))
        idx = AudioIndex.build([("x", fp)])
        out[label] = {
            "seconds": fp.duration,
            "peaks_per_second": len(fp) / fp.duration,
            "fingerprint_bytes_per_hour": fp.nbytes / fp.duration * 3600,
            "json_bytes_per_hour": len(json.dumps(fp.to_dict())) / fp.duration * 3600,
            "index_postings_per_second": idx.hashes.size / fp.duration,
            "index_bytes_per_hour": (idx.hashes.nbytes + idx.post_ref.nbytes + idx.post_frame.nbytes)
            / fp.duration
            * 3600,
        }
    return out


def synthetic_library(
    cache: Path, hours: float, seed: int = 7
) -> tuple[list[tuple[str, Any]], dict[str, Any]]:
    """``hours`` of reference fingerprints from the peaks of real recordings (re-timed, transposed)."""
    from verify.audio import audio_fingerprint

    refs = sorted((cache / "dev" / "refs").glob("*.m4a")) + sorted((cache / "holdout" / "refs").glob("*.m4a"))
    real = [audio_fingerprint(p) for p in refs]
    rng = np.random.default_rng(seed)
    items: list[tuple[str, Any]] = []
    total, piece = 0.0, 360.0
    n = 0
    while total < hours * 3600:
        parts_t, parts_f, parts_s, t0 = [], [], [], 0.0
        while t0 < piece:
            fp = real[rng.integers(len(real))]
            stretch, transpose = rng.uniform(0.9, 1.1), 2 ** (rng.uniform(-3, 3) / 12)
            parts_t.append(fp.times * stretch + t0)
            parts_f.append(np.clip(fp.freqs * transpose, 150, 3800))
            parts_s.append(fp.strengths)
            t0 += fp.duration * stretch
        t = np.concatenate(parts_t).astype(np.float32)
        keep = t < piece
        base = real[0]
        items.append(
            (
                f"synthetic-{n:05d}",
                replace(
                    base,
                    times=t[keep],
                    freqs=np.concatenate(parts_f)[keep],
                    strengths=np.concatenate(parts_s)[keep],
                    duration=piece,
                ),
            )
        )
        total += piece
        n += 1
    return items, {"references": n, "hours": total / 3600, "sources": [p.stem for p in refs]}


def search(cache: Path, hours: float) -> dict[str, Any]:
    from verify.audio import AudioIndex, audio_fingerprint, match_audio

    items, info = synthetic_library(cache, hours)
    real_ref = cache / "dev" / "refs" / "sp-allison-instruct.m4a"
    items.append(("sp-allison-instruct", audio_fingerprint(real_ref)))
    t = time.perf_counter()
    index = AudioIndex.build(items)
    info["index_build_s"] = time.perf_counter() - t
    info["postings"] = int(index.hashes.size)
    info["index_mb"] = index.nbytes / 1e6
    del items
    queries = {
        "copy, tempo 1.5x, 40 s": cache / "dev" / "queries" / "speed-tempo-fast--sp-allison-instruct.m4a",
        "copy, excerpt 3 s": cache / "dev" / "queries" / "excerpt-3s--sp-allison-instruct.m4a",
        "copy, street noise, 60 s": cache / "dev" / "queries" / "street-noise--sp-allison-instruct.m4a",
        "negative, same speaker, 30 s": cache / "dev" / "queries" / "same-speaker--allison-congrats.m4a",
    }
    out = {}
    for label, q in queries.items():
        fp = audio_fingerprint(q)
        t = time.perf_counter()
        ms = match_audio(fp, index)
        out[label] = {
            "query_seconds": fp.duration,
            "match_s": time.perf_counter() - t,
            "matches": [f"{m.reference} q[{m.query_start:.1f},{m.query_end:.1f}] x{m.speed:.3f}" for m in ms],
        }
    info["queries"] = out
    info["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return info


def long_track(cache: Path) -> dict[str, Any]:
    out = cache / "bench" / "two-hours.m4a"
    if not out.exists():
        args = [
            ffmpeg_exe(),
            "-v",
            "error",
            "-y",
            "-stream_loop",
            "-1",
            "-i",
            str(source("moh:reno_project-system", cache)),
        ]
        args += ["-t", "7200", "-ac", "1", "-ar", "16000", "-c:a", "aac", "-b:a", "32k", str(out)]
        subprocess.run(args, check=True)
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as ex:
        return ex.submit(_fingerprint_child, str(out)).result()


def _fingerprint_child(path: str) -> dict[str, Any]:
    from verify.audio import audio_fingerprint

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t = time.perf_counter()
    fp = audio_fingerprint(path)
    return {
        "seconds_of_sound": fp.duration,
        "fingerprint_s": time.perf_counter() - t,
        "peaks": len(fp),
        "rss_before_mb": before,
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def markdown(r: dict[str, Any]) -> str:
    if not all(k in r for k in ("timing", "storage", "search", "long_track")):
        return "# Audio fingerprint cost\n\nIncomplete run: " + ", ".join(k for k in r if k != "when") + "\n"
    t = r["timing"]["seconds"]
    lines = [
        "# Audio fingerprint cost",
        "",
        f"Machine: {machine()} (heavily loaded: load average 15-25 on 2 cores from other agents while it ran, so absolute times are several times slower than on a quiet machine; the ratios are from one run). {r['when']}.",
        "Command: `nice -n 10 .venv/bin/python benchmarks/bench_audio.py`.",
        "",
        "## 2-minute 720p H.264 clip with stereo AAC (median of 3 rounds, same process)",
        "",
        "| what | seconds | vs bare video decode |",
        "|---|---|---|",
        f"| bare video decode (PyAV, every frame) | {t['bare_video_decode']:.2f} | 1.00x |",
        f"| `audio_fingerprint(path)` (own demux of the sound) | {t['audio_fingerprint']:.2f} | {r['timing']['audio_over_bare_decode']:.3f}x |",
        f"| one demux loop: video decoded + sound pushed to `AudioFingerprinter` | {t['one_loop_video_plus_audio']:.2f} | {r['timing']['one_loop_over_bare_decode']:.3f}x |",
        "",
        "## Storage per hour of sound",
        "",
        "| recording | peaks/s | fingerprint (peaks) | as JSON (base64) | index postings/s | index postings |",
        "|---|---|---|---|---|---|",
    ]
    for label, s in r["storage"].items():
        lines.append(
            f"| {label} | {s['peaks_per_second']:.1f} | {s['fingerprint_bytes_per_hour'] / 1e6:.2f} MB | {s['json_bytes_per_hour'] / 1e6:.2f} MB | "
            f"{s['index_postings_per_second']:.0f} | {s['index_bytes_per_hour'] / 1e6:.2f} MB |"
        )
    s = r["search"]
    lines += [
        "",
        f"## Search in {s['hours']:.0f} hours of sound ({s['references']} synthetic references + 1 real)",
        "",
        f"Index: {s['postings']:,} postings, {s['index_mb']:.0f} MB in memory, built in {s['index_build_s']:.1f} s; process max RSS {s['max_rss_mb']:.0f} MB.",
        "",
        "| query | seconds of sound | match time | matches |",
        "|---|---|---|---|",
    ]
    for label, q in s["queries"].items():
        real = [m for m in q["matches"] if not m.startswith("synthetic-")]
        synth = len(q["matches"]) - len(real)
        text = "; ".join(real) or "none"
        if synth:
            text += f"; and {synth} synthetic references (each holds re-timed, transposed copies of the real recordings)"
        lines.append(f"| {label} | {q['query_seconds']:.1f} | {q['match_s']:.2f} s | {text} |")
    lines += [
        "",
        "The synthetic references are built from the peaks of the evaluation's real recordings, each piece",
        "stretched 0.9-1.1x and transposed +-3 semitones: a query of one of those recordings is *meant* to",
        "find the pieces that contain it (at the speed they were stretched to); they test the search, not",
        "false matches (the evaluation does that). The same-speaker negative finds nothing.",
    ]
    lt = r["long_track"]
    lines += [
        "",
        "## A 2-hour sound track (AAC mono 32 kbps), child process",
        "",
        f"{lt['seconds_of_sound']:.0f} s of sound fingerprinted in {lt['fingerprint_s']:.1f} s, {lt['peaks']:,} peaks; "
        f"max RSS {lt['max_rss_mb']:.0f} MB (interpreter + imports before: {lt['rss_before_mb']:.0f} MB).",
        "",
    ]
    return "\n".join(lines)


def report_only() -> None:
    r = json.loads((RESULTS / "bench_audio.json").read_text())
    (RESULTS / "bench_audio.md").write_text(markdown(r))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", default="/work/audio-cache")
    ap.add_argument("--hours", type=float, default=100.0)
    ap.add_argument("--skip", default="", help="comma list of parts to skip: timing,storage,search,long")
    ap.add_argument("--report-only", action="store_true", help="rewrite the markdown from the JSON")
    args = ap.parse_args(argv)
    if args.report_only:
        report_only()
        return 0
    cache = Path(args.cache)
    skip = set(args.skip.split(","))
    RESULTS.mkdir(exist_ok=True)
    jpath = RESULTS / "bench_audio.json"
    r: dict[str, Any] = json.loads(jpath.read_text()) if jpath.exists() else {}
    r["when"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    if "timing" not in skip:
        r["timing"] = timings(make_clip(cache))
        print("timing", r["timing"]["seconds"], flush=True)
    if "storage" not in skip:
        r["storage"] = storage(cache)
    if "long" not in skip:
        r["long_track"] = long_track(cache)
        print("long", r["long_track"], flush=True)
    if "search" not in skip:
        r["search"] = search(cache, args.hours)
        print("search", r["search"]["queries"], flush=True)
    jpath.write_text(json.dumps(r, indent=1))
    (RESULTS / "bench_audio.md").write_text(markdown(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
