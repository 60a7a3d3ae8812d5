"""Search cost with real pHash statistics, and the search work of a real query (issue 13.1/13.3).

    .venv/bin/python benchmarks/bench_search_real.py [--size 10000000] [--corpus DIR]

``bench_search.py`` draws uniform random hashes; real pHashes have 32 ones and correlated bits, so
unrelated rows fall within 10 bits far more often. Here the 10-million-row table is made of real
reference hashes (the compact rows of real corpus and package footage, ``REFERENCE``) each with a
few random bits flipped (Poisson, mean 6: as far as neighbouring frames and re-encodes drift), and
the query hashes are a real query's (``QUERY``: all its variant columns) from footage *not* in the
table. Reported: multi-index-hashing ms per query hash at radius 10 (CPU, one thread) on that
table and on a uniform one, rows hit per query hash, and for the query the distinct hashes a
search sends with every column at once vs plain columns first (``verify.matching``: the guessed
regions only for samples the plain ones did not place -- for a query that is *not* in the
library that is all of them, for a copy in it far fewer).
"""

from __future__ import annotations

import os

os.environ["OMP_NUM_THREADS"] = "1"
os.environ["OPENBLAS_NUM_THREADS"] = "1"

import argparse
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

TABLE_CLIPS = ["gopro-karma.mp4", "decord-flipping-a-pancake.mkv", "mdn-flower.mp4", "mdn-friday.mp4",
               "moviepy-chaplin.mp4", "te-chair-orig-22-sd-bar.mp4", "imageio-cockatoo.mp4", "hachoir-flashmob.mkv"]  # fmt: skip
QUERY_CLIP = "gopro-max-heromode.mp4"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=10_000_000)
    ap.add_argument("--queries", type=int, default=512)
    ap.add_argument("--corpus", default=os.environ.get("VERIFY_CORPUS", "/work/shared/corpus"))
    args = ap.parse_args()
    from verify.fingerprint import QUERY, REFERENCE, fingerprint
    from verify.index import MultiIndexHashing
    from verify.library import rows as fp_rows
    from verify.matching.candidates import is_hypothesis, variant_parts

    files = Path(args.corpus) / "files"
    base = []
    for f in TABLE_CLIPS:
        fp = fingerprint(files / f, REFERENCE)
        r = fp_rows.compact(fp.times, fp.hashes, fp.quality, fp.settings.variants)
        base.append(r.hashes[r.quality])
    real = np.concatenate(base)
    rng = np.random.default_rng(0)
    pick = real[rng.integers(0, len(real), args.size)]
    flips = rng.poisson(6, args.size)
    masks = np.zeros(args.size, np.uint64)
    for b in range(int(flips.max())):
        on = flips > b
        masks[on] |= np.uint64(1) << rng.integers(0, 64, int(on.sum())).astype(np.uint64)
    table = pick ^ masks
    uniform = rng.integers(0, 2**64, args.size, dtype=np.uint64, endpoint=False)
    q = fingerprint(files / QUERY_CLIP, QUERY)
    usable = q.hashes[q.quality]
    names = q.settings.variants
    plain = np.array([not is_hypothesis(variant_parts(v)[0]) for v in names])
    all_distinct = np.unique(usable.reshape(-1))
    plain_distinct = np.unique(usable[:, plain].reshape(-1))
    sample = rng.choice(all_distinct, min(args.queries, len(all_distinct)), replace=False)
    lines = [
        "# Search with real pHash statistics",
        "",
        f"Table: {args.size:,} rows made of {len(real):,} real reference rows ({', '.join(TABLE_CLIPS)}; compact,"
        " usable) with Poisson(6) random bits flipped; queries: distinct hashes of a real query "
        f"({QUERY_CLIP}, {len(usable)} usable samples x {len(names)} columns). One thread, CPU time, radius 10.",
        f"Ones per hash: real table {np.bitwise_count(table[:100000]).mean():.1f} (uniform 32.0), "
        f"bit correlation |r| mean {np.abs(np.corrcoef(np.unpackbits(table[:20000].view(np.uint8)).reshape(-1, 64).T.astype(float))[np.triu_indices(64, 1)]).mean():.3f}.",
        "",
        "| table | index build (s) | ms per query hash | rows hit per query hash |",
        "|---|---|---|---|",
    ]
    for label, tab in (("uniform random", uniform), ("real statistics", table)):
        t = time.process_time()
        mih = MultiIndexHashing(tab)
        build = time.process_time() - t
        t = time.process_time()
        qi, _, _ = mih.range_search(sample, 10)
        ms = (time.process_time() - t) / len(sample) * 1e3
        lines.append(f"| {label} | {build:.1f} | {ms:.2f} | {len(qi) / len(sample):.1f} |")
        print(lines[-1], flush=True)
        del mih
    lines += [
        "",
        "Search work of that query: query hashes (usable samples x columns) "
        f"{usable.size:,}; distinct {len(all_distinct):,} with every column at once; "
        f"{len(plain_distinct):,} for the plain columns alone ({len(all_distinct) / max(len(plain_distinct), 1):.0f}x fewer), "
        "which is all a query whose plain columns place every sample searches.",
    ]
    text = "\n".join(lines) + "\n"
    (HERE / "results" / "bench_search_real.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
