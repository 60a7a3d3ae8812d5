"""Random bytes are not footage: how many random files does verify take for video, against plain FFmpeg?

For each of N seeded random files (64 B, 512 B or 4 KB; named ``.bin``, ``.mp4``, ``.mov``,
``.jpg``, ``.ts`` in turn), in this process:

* **plain FFmpeg** (the baseline, what verify did before its format whitelist): ``av.open``
  succeeds and at least one video frame decodes;
* **verify**: ``Library(":memory:").add(path)`` adds it (what ``verify hash`` does), and
  ``verify.probe.probe`` calls it video or image.

    .venv/bin/python benchmarks/random_bytes.py --files 20000 --seed 1
    # -> benchmarks/results/random_bytes.md
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

EXTENSIONS = (".bin", ".mp4", ".mov", ".jpg", ".ts")
SIZES = (64, 512, 4096)


def plain_ffmpeg_accepts(path: Path) -> str | None:
    """The FFmpeg format name when plain PyAV opens the file and decodes a video frame."""
    import av

    try:
        with av.open(str(path)) as c:
            if not c.streams.video:
                return None
            for _frame in c.decode(c.streams.video[0]):
                return c.format.name
    except (av.error.FFmpegError, ValueError, IndexError, OSError, RuntimeError, NotImplementedError):
        return None
    return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "random_bytes.md")
    args = ap.parse_args()

    import av

    from verify.errors import VerifyError
    from verify.library import Library
    from verify.probe import probe

    av.logging.set_level(av.logging.PANIC)
    rng = np.random.default_rng(args.seed)
    plain: collections.Counter[str] = collections.Counter()
    added: list[str] = []
    probed: list[str] = []
    unexpected: collections.Counter[str] = collections.Counter()
    t_plain = t_verify = 0.0
    with tempfile.TemporaryDirectory(prefix="verify-random-") as tmp, Library(":memory:") as lib:
        for i in range(args.files):
            path = Path(tmp) / f"r{i:05d}{EXTENSIONS[i % len(EXTENSIONS)]}"
            path.write_bytes(
                rng.integers(0, 256, SIZES[(i // len(EXTENSIONS)) % len(SIZES)], dtype=np.uint8).tobytes()
            )
            t0 = time.perf_counter()
            fmt = plain_ffmpeg_accepts(path)
            t1 = time.perf_counter()
            if fmt:
                plain[fmt] += 1
            try:
                if lib.add(path).status == "added":
                    added.append(path.name)
            except VerifyError:
                pass
            except Exception as exc:  # the benchmark counts, it does not stop
                unexpected[f"add: {type(exc).__name__}"] += 1
            try:
                if probe(path).file.kind in ("video", "image"):
                    probed.append(path.name)
            except VerifyError:
                pass
            except Exception as exc:
                unexpected[f"probe: {type(exc).__name__}"] += 1
            t_plain += t1 - t0
            t_verify += time.perf_counter() - t1
            os.unlink(path)
    n = args.files
    lines = [
        "# Random bytes are not footage",
        "",
        f"Command: `python benchmarks/random_bytes.py --files {n} --seed {args.seed}`: {n:,} random files "
        f"({', '.join(map(str, SIZES))} bytes; named {', '.join(EXTENSIONS)}), loaded 2-core machine.",
        "",
        "| | files taken for footage | of | rate |",
        "|---|---:|---:|---:|",
        f"| plain FFmpeg (PyAV open + one decoded video frame; the baseline) | {sum(plain.values())} | {n:,} | "
        f"{sum(plain.values()) / n:.2%} |",
        f"| `verify hash` (library add) | {len(added)} | {n:,} | {len(added) / n:.2%} |",
        f"| `verify probe` says video or image | {len(probed)} | {n:,} | {len(probed) / n:.2%} |",
        f"| unexpected exceptions (must be 0) | {sum(unexpected.values())} | | |",
        "",
        "Formats plain FFmpeg read them as: "
        + (", ".join(f"{k} {v}" for k, v in plain.most_common()) or "none")
        + ".",
        "",
        f"Time: plain FFmpeg {t_plain / n * 1000:.2f} ms a file, verify (add + probe) {t_verify / n * 1000:.2f} ms.",
        "",
    ]
    if added or probed or unexpected:
        lines += ["Taken by verify (must be none):", "", *[f"- {x}" for x in (added + probed)[:50]],
                  *[f"- {k}: {v}" for k, v in unexpected.items()], ""]  # fmt: skip
    text = "\n".join(lines)
    args.out.write_text(text)
    print(text)
    return 0 if not (added or probed or unexpected) else 1


if __name__ == "__main__":
    sys.exit(main())
