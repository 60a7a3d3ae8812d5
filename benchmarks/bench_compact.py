"""Library bytes and hashes per hour of real footage, before and after compact rows (issue 13.1).

    .venv/bin/python benchmarks/bench_compact.py [--corpus DIR] [--cache /work/eval-cache-matching]

Fingerprints real footage (the corpus's camera clips and the package footage of the matching
evaluation) with ``verify.fingerprint.REFERENCE`` once, then counts what a library stores for them:

* **before** (schema 1): one hash per frame and variant, a float64 time and a quality byte per frame;
* **after** (schema 2, ``verify.library.rows``): one row per run of consecutive hashes within
  ``RUN_BITS`` bits (hash 8 B, start and end 4 B each, a quality bit), for several
  ``RUN_BITS``; plus the fine block-mean series (zlib) that low-motion placement needs;
* the SQLite file of the whole set, written both ways (VACUUMed), as a check on the arithmetic.

Writes benchmarks/results/compact.md.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

CORPUS_CLIPS = [
    "gopro-karma.mp4", "gopro-max-heromode.mp4", "decord-flipping-a-pancake.mkv", "mdn-flower.mp4",
    "mdn-friday.mp4", "moviepy-chaplin.mp4", "te-chair-orig-22-sd-bar.mp4", "imageio-cockatoo.mp4",
    "te-doorknob-hd-no-bar.mp4", "te-pattern-hd-no-bar.mp4", "moviepy-video-with-failing-audio.mp4",
    "mdn-stream-of-water.mp4", "hachoir-flashmob.mkv",
]  # fmt: skip
FOOTAGE = ["speaker.mp4", "cctv.avi", "tree.avi", "carphone.mp4", "webcam.mp4"]
ROW_BYTES = 8 + 4 + 4 + 1 / 8  # hash, start and end in ms, a quality bit


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=os.environ.get("VERIFY_CORPUS", "/work/shared/corpus"))
    ap.add_argument("--cache", default="/work/eval-cache-matching")
    args = ap.parse_args(argv)
    from eval import footage

    from verify.fingerprint import REFERENCE, fingerprint
    from verify.library import Library
    from verify.library import rows as fp_rows

    files = [Path(args.corpus) / "files" / f for f in CORPUS_CLIPS]
    files += [footage.fetch(Path(args.cache)) / f for f in FOOTAGE]
    fps = []
    t0 = time.perf_counter()
    for f in files:
        fps.append((f, fingerprint(f, REFERENCE)))
    seconds = sum(fp.duration for _, fp in fps)
    hours = seconds / 3600
    lines = [
        "# Compact references: library bytes and hashes per hour of real footage",
        "",
        f"{len(fps)} real clips ({seconds:.0f} s: {', '.join(f.name for f, _ in fps)}), fingerprinted with",
        f"`REFERENCE` (every frame, variants {', '.join(REFERENCE.variants)}) in {time.perf_counter() - t0:.0f} s.",
        "Per hour of footage; `benchmarks/bench_compact.py`.",
        "",
        "| layout | hashes stored / h | hash rows bytes / h | fine series bytes / h | total / h |",
        "|---|---|---|---|---|",
    ]
    n_hash = sum(fp.hashes.size for _, fp in fps)
    before = sum(fp.hashes.size * 8 + len(fp) * 9 for _, fp in fps)
    lines.append(f"| before (schema 1: per frame) | {n_hash / hours:,.0f} | {before / hours / 1e6:.2f} MB | - | "
                 f"{before / hours / 1e6:.2f} MB |")  # fmt: skip
    fine = sum(len(fp_rows.encode_fine(fp.fine, fp.fine_times)[0] or b"") for _, fp in fps)
    per_clip = {}
    for bits in (0, 1, 2, 3, 4, 6):
        rows = [fp_rows.compact(fp.times, fp.hashes, fp.quality, fp.settings.variants, bits) for _, fp in fps]
        n = sum(len(r) for r in rows)
        per_clip[bits] = [len(fp.hashes.reshape(-1)) / max(len(r), 1) for (_, fp), r in zip(fps, rows)]
        mark = " **(default)**" if bits == fp_rows.RUN_BITS else ""
        lines.append(
            f"| rows, runs within {bits} bits{mark} | {n / hours:,.0f} | {n * ROW_BYTES / hours / 1e6:.2f} MB | "
            f"{fine / hours / 1e6:.2f} MB | {(n * ROW_BYTES + fine) / hours / 1e6:.2f} MB |"
        )
    lines += ["", "Hashes per stored row, per clip (runs within 0 / 2 / 4 bits):", ""]
    for i, (f, fp) in enumerate(fps):
        lines.append(
            f"- {f.name} ({fp.duration:.1f} s): " + " / ".join(f"{per_clip[b][i]:.1f}x" for b in (0, 2, 4))
        )
    # the SQLite files, both ways
    with tempfile.TemporaryDirectory() as tmp:
        sizes = {}
        for label, bits in (("before", None), ("after", fp_rows.RUN_BITS)):
            db = Path(tmp) / f"{label}.db"
            with Library(db) as lib:
                for f, fp in fps:
                    if bits is None:
                        _add_legacy(lib, f, fp)
                    else:
                        lib.add_fingerprint(fp, f)
            conn = sqlite3.connect(db)
            conn.execute("VACUUM")
            conn.close()
            sizes[label] = db.stat().st_size
    lines += [
        "",
        f"SQLite file of these clips (VACUUMed): before {sizes['before'] / 1e6:.2f} MB, after "
        f"{sizes['after'] / 1e6:.2f} MB (with the fine series) = {sizes['before'] / hours / 1e6:.1f} MB/h -> "
        f"{sizes['after'] / hours / 1e6:.1f} MB/h (the SQLite figures include the reference rows and JSON extras).",
    ]
    text = "\n".join(lines) + "\n"
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "compact.md").write_text(text)
    print(text)
    return 0


def _add_legacy(lib: object, path: Path, fp: object) -> None:
    """Store a fingerprint the way schema 1 did (format 1: hashes per frame), for the size check."""
    from verify import serial
    from verify.library import rows as fp_rows

    lib.add_fingerprint(fp, path)  # type: ignore[attr-defined]
    conn = lib._conn  # type: ignore[attr-defined]
    h = np.ascontiguousarray(fp.hashes, dtype="<u8")  # type: ignore[attr-defined]
    conn.execute(
        "UPDATE fingerprints SET format = ?, n = ?, times = ?, ends = NULL, hashes = ?,"
        " quality = ?, fine = NULL, settings = ? WHERE id = (SELECT max(id) FROM fingerprints)",
        (fp_rows.FORMAT_SAMPLES, len(fp), np.asarray(fp.times, "<f8").tobytes(), h.tobytes(),  # type: ignore[attr-defined, arg-type]
         np.asarray(fp.quality, np.uint8).tobytes(), serial.dumps(fp.settings)),  # type: ignore[attr-defined]
    )  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
