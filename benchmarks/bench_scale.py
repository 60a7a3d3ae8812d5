"""Scale benchmark: synthetic libraries fitted to real footage, 10 h ... 10,000 h, a real copy planted.

    nice -n 15 .venv/bin/python benchmarks/bench_scale.py fit
    nice -n 15 .venv/bin/python benchmarks/bench_scale.py run --sizes 10,100,1000 [--backends sqlite,postgresql]
        [--cluster] [--root /work/scale-bench] [--keep] [--pg-url URL]
    nice -n 15 .venv/bin/python benchmarks/bench_scale.py cluster-hash [--rounds 2]

``fit`` fingerprints one clip per near-duplicate group of the corpus's real footage with verify's
REFERENCE settings, fits the model of :mod:`scale_model` (saved to results/scale_model.json) and
checks it against the real clips (results/bench_scale_model.md). ``run`` builds, per size and
backend, a library of synthetic 10-minute references (streamed: one reference in memory at a
time) plus one real reference (32 s of corpus footage), builds its persistent index, and measures
in fresh processes: index open, ``verify match`` of a real 30 s edited copy of the planted
reference (wall, CPU, peak RSS, found?), and ``verify hash`` of a new real 10-minute clip into the
big library against fingerprinting that clip alone. Libraries live under ``--root`` (outside the
repository) and are deleted after each size unless ``--keep``. A size whose projected bytes would
leave less than ``--min-free-gb`` free on that disk is skipped and reported as such.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # the generator's small matrix products
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import hashlib
import json
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import scale_model as sm  # noqa: E402

RESULTS = HERE / "results"
MODEL = RESULTS / "scale_model.json"
REF_SECONDS = 600.0
ALG = "phash-64/v1"
PY = sys.executable

# real footage for the planted reference (landscape, ~32 s together) and for the new 10-minute clip
PLANT = ["gopro-karma.mp4", "decord-flipping-a-pancake.mkv", "gopro-max-heromode.mp4"]
TEN_MINUTES = [
    "te-chair-orig-22-sd-bar.mp4",
    "hachoir-flashmob.mkv",
    "imageio-cockatoo.mp4",
    "mdn-friday.mp4",
]


def corpus() -> Path:
    env = os.environ.get("VERIFY_CORPUS")
    for c in [env, str(ROOT.parent / "shared" / "corpus"), "/work/shared/corpus"]:
        if c and (Path(c) / "files").is_dir():
            return Path(c)
    raise SystemExit("corpus not found: set VERIFY_CORPUS")


def ffmpeg(*args: str) -> None:
    """Run ffmpeg; the last argument is the output, written under a temporary name then renamed."""
    from eval.ffmpeg import ffmpeg_exe

    out = Path(args[-1])
    tmp = out.with_name(out.stem + ".part" + out.suffix)
    subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args[:-1], str(tmp)], check=True
    )
    tmp.replace(out)


def media(root: Path) -> tuple[Path, Path, Path]:
    """(planted reference, its 30 s edited copy, a new 10-minute clip), made once under root/media."""
    files = corpus() / "files"
    out = root / "media"
    out.mkdir(parents=True, exist_ok=True)
    ref, query, ten = out / "planted.mp4", out / "query30.mp4", out / "ten-minutes.mp4"
    norm = (
        "scale=854:480:force_original_aspect_ratio=decrease,pad=854:480:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=30"
    )
    if not ref.exists():
        inputs = [a for s in PLANT for a in ("-i", str(files / s))]
        chains = ";".join(f"[{i}:v]{norm}[v{i}]" for i in range(len(PLANT)))
        joined = "".join(f"[v{i}]" for i in range(len(PLANT)))
        ffmpeg(*inputs, "-filter_complex", f"{chains};{joined}concat=n={len(PLANT)}:v=1:a=0,format=yuv420p[v]",
               "-map", "[v]", "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", str(ref))  # fmt: skip
    if not query.exists():  # the edit: excerpt 1-31 s, crop to 90 %, news caption bar, re-encoded
        font = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
        chain = (
            "crop=iw*0.9:ih*0.9:iw*0.05:ih*0.05,scale=trunc(iw/2)*2:trunc(ih/2)*2,"
            "drawbox=x=0:y=ih*0.82:w=iw:h=ih*0.18:color=navy@0.85:t=fill,"
            f"drawtext=fontfile={font}:text='BREAKING  flood footage':x=w*0.04:y=h*0.86:fontsize=h*0.06:fontcolor=white"
        )
        ffmpeg("-ss", "1.0", "-i", str(ref), "-t", "30", "-vf", chain, "-c:v", "libx264", "-preset", "veryfast",
               "-crf", "26", "-pix_fmt", "yuv420p", "-an", str(query))  # fmt: skip
    if not ten.exists():
        mix = out / "mix.mp4"
        inputs = [] if mix.exists() else [a for s in TEN_MINUTES for a in ("-i", str(files / s))]
        n720 = "scale=1280:720:force_original_aspect_ratio=decrease,pad=1280:720:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=30"
        chains = ";".join(f"[{i}:v]{n720}[v{i}]" for i in range(len(TEN_MINUTES)))
        joined = "".join(f"[v{i}]" for i in range(len(TEN_MINUTES)))
        if inputs:
            ffmpeg(*inputs, "-filter_complex", f"{chains};{joined}concat=n={len(TEN_MINUTES)}:v=1:a=0,format=yuv420p[v]",
                   "-map", "[v]", "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", str(mix))  # fmt: skip
        ffmpeg("-stream_loop", "-1", "-i", str(mix), "-t", "600", "-c", "copy", str(ten))  # no re-encode
        mix.unlink()
    return ref, query, ten


# -- fit and realism check --------------------------------------------------------------------


def cmd_fit(args: argparse.Namespace) -> None:
    real = sm.real_fingerprints(corpus(), Path(args.root) / "real_fingerprints.npz")
    t = time.perf_counter()
    model = sm.fit(real)
    model.notes = {"clips": sorted(real), "fit_seconds": round(time.perf_counter() - t, 1),
                   "compaction": f"stand-in, threshold {args.threshold} bits"}  # fmt: skip
    RESULTS.mkdir(exist_ok=True)
    model.save(MODEL)
    rs = sm.stats(sm.real_clips(real), args.threshold)
    # synthetic clips of the same durations as the real ones, several draws pooled
    g = sm.Generator(model, 12345)
    durations = [len(d["t"]) / sm.FPS for d in real.values()]
    draws = []
    for _ in range(5):
        draws += [g.frames(max(d, 1.0)) for d in durations]
    ss = sm.stats(draws, args.threshold)
    # the nearest-neighbour and unrelated statistics need equal pools: per draw, then averaged
    per = [sm.stats([g.frames(max(d, 1.0)) for d in durations], args.threshold) for _ in range(3)]
    ss["nearest_unrelated_percentiles_5_25_50"] = list(
        np.mean([p["nearest_unrelated_percentiles_5_25_50"] for p in per], axis=0)
    )
    lines = [
        "# Scale benchmark: the synthetic model against real footage",
        "",
        f"Real: {len(real)} corpus clips (one per near-duplicate group, real footage, >= 2 s), "
        f"{rs['frames']} frames, fingerprinted with verify's REFERENCE settings (every frame; full, "
        "crop85, crop60). Synthetic: the same durations, 5 draws pooled (nearest-neighbour row: 3 "
        "draws of equal pools, averaged). Model: `benchmarks/scale_model.py` (docstring), parameters in "
        "`results/scale_model.json`. Compaction: "
        f"{model.notes['compaction']} (joint over the three variants).",
        "",
        *sm.compare(rs, ss),
        "",
        "Reading: `consecutive_full` is the share of consecutive frames at each distance (runs of "
        "near-identical frames); `lag15`/`lag90` the median distance 0.5 s / 3 s apart in a shot; "
        "`unrelated_within` the share of (frame, row of another clip) pairs within k bits, the number "
        "that sets search cost; `unrelated_vs_uniform` the same over uniform random hashes; "
        "`nearest_unrelated` the distance from a frame to the nearest row of the other clips.",
    ]
    (RESULTS / "bench_scale_model.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


# -- building a library -----------------------------------------------------------------------


def open_library(target: str, index: Path | None = None) -> Any:
    from verify.library import Library

    return Library(target, index_folder=index)


def pg_schema(base: str, name: str) -> str:
    """A fresh schema ``name`` on the server of ``base``; returns the URL that uses it."""
    from urllib.parse import quote

    import psycopg

    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        admin.execute(f"CREATE SCHEMA {name}")
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options={quote(f'-csearch_path={name}')}"


def drop_pg_schema(base: str, name: str) -> None:
    import psycopg

    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


_GEN: dict[str, Any] = {}


def _generate(job: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray, float]:
    """Reference ``i`` of seed ``seed`` (its own random stream, so workers need no order):
    compacted (times, hashes) and the CPU seconds it took."""
    seed, i, threshold = job
    t0 = time.process_time()
    if "g" not in _GEN:
        _GEN["g"] = sm.Generator(sm.Model.load(MODEL), seed)
    g = _GEN["g"]
    g.rng = np.random.default_rng([seed, i])
    times, frames = g.frames(REF_SECONDS)
    keep = sm.compact(times, frames, threshold)
    return times[keep], frames[keep], time.process_time() - t0


def build(
    target: str, hours: float, seed: int, threshold: int, index: Path | None, workers: int = 1,
    with_index: bool = True,
) -> dict[str, Any]:  # fmt: skip
    """Stream synthetic references into ``target`` (a file or URL), then build the index once.

    ``workers`` processes generate references (each from its own seeded stream) while this one
    stores them in order; ``with_index`` False leaves the index to :func:`finish_index`."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from verify.fingerprint import Fingerprint, FingerprintSettings
    from verify.library import Provenance

    settings = FingerprintSettings(fps=None, variants=sm.VARIANTS)
    n_refs = max(1, round(hours * 3600 / REF_SECONDS))
    gen_s = store_s = 0.0
    samples = 0
    jobs = ((seed, i, threshold) for i in range(n_refs))
    pool = (
        ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) if workers > 1 else None
    )
    made = pool.map(_generate, jobs, chunksize=4) if pool else map(_generate, jobs)
    lib = open_library(target, index)
    try:
        with lib.deferred_index():
            lib._index_synced = float("inf")  # one build at the end, not one per 30 s of ingest
            for i, (times, frames, cpu) in enumerate(made):
                fp = Fingerprint(
                    ALG, settings, times, frames, np.ones(times.size, bool), duration=REF_SECONDS
                )
                w0 = time.perf_counter()
                sha = hashlib.sha256(f"synthetic {seed} {i}".encode()).hexdigest()
                lib.add_fingerprint(
                    fp, f"/synthetic/{seed}/{i:06d}.mp4", Provenance(title=f"synthetic {i}"), sha256=sha
                )
                store_s += time.perf_counter() - w0
                gen_s += cpu
                samples += times.size
                if (i + 1) % 200 == 0:
                    print(f"  {i + 1}/{n_refs} references, {samples * 3:,} rows", flush=True)
            lib._index_dirty.clear()
        index_s = finish_index(lib) if with_index else None
    finally:
        lib.close()
        if pool is not None:
            pool.shutdown()
    return {
        "refs": n_refs,
        "rows": samples * 3,
        "generate_cpu_s": gen_s,
        "store_s": store_s,
        "index_s": index_s,
        "workers": workers,
    }


def finish_index(lib: Any) -> float:
    """Build the library's index in one go; its wall seconds."""
    t = time.perf_counter()
    lib.rebuild_index(ALG)
    return time.perf_counter() - t


ENV: dict[str, str] = {}  # extra environment of the measured processes (VERIFY_INDEX_DIR)


def timed_child(cmd: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``cmd`` in a fresh process (through a wrapper that has only that child): wall, CPU, RSS."""
    wrapper = (
        "import json, resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "r = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "wall = time.perf_counter() - t\n"
        "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(json.dumps({'rc': r.returncode, 'wall': wall, 'cpu': u.ru_utime + u.ru_stime,"
        " 'rss_mb': u.ru_maxrss / 1024, 'out': r.stdout[-200000:], 'err': r.stderr[-4000:]}))\n"
    )
    full = {**os.environ, **ENV, **(env or {})}
    res = subprocess.run([PY, "-c", wrapper, *cmd], capture_output=True, text=True, env=full, check=True)
    return json.loads(res.stdout)


def size_of(target: str, index: Path | None) -> int:
    """Bytes of the library itself (the SQLite file and its WAL, or the PostgreSQL tables)."""
    with open_library(target, index) as lib:
        return int(lib.stats().size_bytes)


def index_bytes(target: str, index: Path | None) -> int:
    with open_library(target, index) as lib:
        folder = lib.index_folder
    return (
        sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) if folder and folder.exists() else 0
    )


OPEN = """
import os, sys, time
from verify.library import Library
lib = Library(sys.argv[1], index_folder=os.environ.get("VERIFY_INDEX_DIR") or None)
t = time.perf_counter()
table = lib.hash_table("phash-64/v1")
print(round((time.perf_counter() - t) * 1e3, 2), len(table), int(getattr(table, "sampled", False)))
"""

# the phases of one `verify match` in one fresh process: imports, query fingerprint, index open, search+align
PHASES = """
import json, os, resource, sys, time
import numpy as np
w0, c0 = time.perf_counter(), time.process_time()
from verify import fingerprint as f
from verify.library import Library
from verify.matching import MatchSettings, match_fingerprint
w1, c1 = time.perf_counter(), time.process_time()
settings = MatchSettings(**json.loads(sys.argv[3] if len(sys.argv) > 3 else "{}"))
fp = f.fingerprint(sys.argv[2], f.QUERY)
w2, c2 = time.perf_counter(), time.process_time()
lib = Library(sys.argv[1], index_folder=os.environ.get("VERIFY_INDEX_DIR") or None)
table = lib.hash_table(fp.algorithm)
w3, c3 = time.perf_counter(), time.process_time()
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
res = match_fingerprint(fp, lib, settings=settings)
w4, c4 = time.perf_counter(), time.process_time()
q = np.unique(np.asarray(fp.hashes)[np.asarray(fp.quality, bool)].ravel())
print(json.dumps({"import_cpu": c1 - c0, "fingerprint_cpu": c2 - c1, "fingerprint_wall": w2 - w1, "open_cpu": c3 - c2,
                  "search_cpu": c4 - c3, "search_wall": w4 - w3, "query_hashes": int(q.size),
                  "searched_hashes": int(res.query.searched_hashes), "pairs": int(res.query.candidate_pairs),
                  "coarse_pairs": int(res.query.coarse_pairs), "candidate_refs": int(res.query.candidate_references),
                  "rss_before_search_mb": rss0, "found_refs": [m.reference.id for m in res.matches]}))
"""

FINGERPRINT = """
import sys
from verify import fingerprint as f
fp = f.fingerprint(sys.argv[1], f.REFERENCE)
print(len(fp))
"""


def measure(
    target: str, planted_id: int, query: Path, ten: Path | None, cluster: str | None
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    opened = timed_child([PY, "-c", OPEN, target])
    ms, rows, sampled = opened["out"].split()
    out.update(open_ms=float(ms), index_rows=int(rows), index_sampled=bool(int(sampled)))
    plans: list[tuple[str, dict[str, Any]]] = [("phase", {})]
    if not out["index_sampled"]:  # a sampled index holds no whole library to search in one stage
        plans.append(("one_stage", {"coarse_radius": 64}))
    for prefix, options in plans:
        # the default two-stage search, and the whole library at the full radius (as before issue 13's
        # coarse stage): the search work before/after, same query, fresh processes
        for _ in range(2):  # the second run is measured: the index's pages in the page cache, as in use
            ph = timed_child([PY, "-c", PHASES, target, str(query), json.dumps(options)])
            if ph["rc"] != 0:
                raise RuntimeError(ph["err"])
        got = json.loads(ph["out"])
        out.update({f"{prefix}_{k}": v for k, v in got.items() if k != "found_refs"})
        out[f"{prefix}_rss_mb"] = ph["rss_mb"]
        out[f"{prefix}_found"] = planted_id in got["found_refs"]
    m = timed_child([PY, "-m", "verify", "match", str(query), "--library", target, "--json"])
    if m["rc"] != 0:
        raise RuntimeError(m["err"])
    res = json.loads(m["out"])
    hits = [x for x in res["matches"] if x["reference"]["id"] == planted_id]
    out.update(match_wall=m["wall"], match_cpu=m["cpu"], match_rss_mb=m["rss_mb"], found=bool(hits),
               rank=(res["matches"].index(hits[0]) + 1) if hits else None,
               matches=len(res["matches"]))  # fmt: skip
    if hits:
        h = hits[0]
        out["offset"] = round(h["reference_start"] - h["query_start"], 2)
    if cluster:
        c = timed_child(
            [PY, "-m", "verify", "match", str(query), "--library", target, "--json", "--cluster", cluster]
        )
        cres = json.loads(c["out"]) if c["rc"] == 0 else {"matches": []}
        out.update(cluster_wall=c["wall"], cluster_cpu=c["cpu"], cluster_rss_mb=c["rss_mb"],
                   cluster_same=[x["reference"]["id"] for x in cres["matches"]] == [x["reference"]["id"] for x in res["matches"]])  # fmt: skip
    if ten is not None:
        fp = timed_child([PY, "-c", FINGERPRINT, str(ten)])
        add = timed_child([PY, "-m", "verify", "hash", str(ten), "--library", target, "--json"])
        if add["rc"] != 0:
            raise RuntimeError(add["err"])
        out.update(
            fingerprint10_wall=fp["wall"], add10_wall=add["wall"], add10_ratio=add["wall"] / fp["wall"]
        )
    return out


def record(root: Path, row: dict[str, Any]) -> None:
    """Print one measured row and append it to ``bench_scale.jsonl`` under ``root``."""
    print(json.dumps(row), flush=True)
    with (root / "bench_scale.jsonl").open("a") as f:
        f.write(json.dumps(row) + "\n")


def latest_sqlite(root: Path, stage: str | None = None) -> dict[float, dict[str, Any]]:
    """The latest SQLite row per size under ``root``: measured rows, or with ``stage="library"``
    the library-only builds (``run --library-only``) that ``finish`` completes."""
    latest: dict[float, dict[str, Any]] = {}
    for line in (root / "bench_scale.jsonl").read_text().splitlines():
        r = json.loads(line)
        if r.get("backend") == "sqlite" and "skipped" not in r and r.get("stage") == stage:
            latest[r["hours"]] = r
    return latest


def cmd_run(args: argparse.Namespace) -> None:
    root = Path(args.root)
    root.mkdir(parents=True, exist_ok=True)
    if not MODEL.exists():
        raise SystemExit("no fitted model: run `bench_scale.py fit` first")
    ref, query, ten = media(root)
    sizes = [float(h) for h in args.sizes.split(",")]
    cluster = None
    if args.cluster:
        from distributed import LocalCluster

        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    rows_out: list[dict[str, Any]] = []
    try:
        for backend in args.backends.split(","):
            for hours in sizes:
                row = run_one(args, root, backend, hours, ref, query, ten if hours == max(sizes) else None,
                              cluster.scheduler_address if cluster else None)  # fmt: skip
                rows_out.append(row)
                record(root, row)
    finally:
        if cluster is not None:
            cluster.close()
    cmd_report(args)


def cmd_remeasure(args: argparse.Namespace) -> None:
    """Measure the libraries a ``run --keep`` left under --root again (after a change to matching),
    without rebuilding them: the build columns are taken from that size's latest row."""
    root = Path(args.root)
    _, query, _ = media(root)
    latest = latest_sqlite(root)
    for hours in [float(h) for h in args.sizes.split(",")]:
        target = root / f"sqlite-{int(hours)}h" / "lib.db"
        if hours not in latest or not target.exists():
            raise SystemExit(
                f"no kept {hours:g} h library under {root}: run `run --sizes {hours:g} --keep` first"
            )
        with open_library(str(target)) as lib:
            planted = [r.id for r in lib.references(search="planted real reference")]
        keep = {k: v for k, v in latest[hours].items()
                if k in ("backend", "hours", "refs", "rows", "generate_cpu_s", "store_s", "index_s", "planted_add_wall",
                         "add10_wall", "fingerprint10_wall", "add10_ratio")}  # fmt: skip
        row = {
            **keep,
            "library_bytes": size_of(str(target), None),
            "index_bytes": index_bytes(str(target), None),
        }
        row.update(measure(str(target), planted[0], query, None, None))
        record(root, row)
    cmd_report(args)


def cmd_report(args: argparse.Namespace) -> None:
    """results/bench_scale.md from every size measured so far under --root (the latest per backend and size)."""
    latest: dict[tuple[str, float], dict[str, Any]] = {}
    for path in sorted(Path(args.root).rglob("bench_scale.jsonl"), key=lambda p: p.stat().st_mtime):
        for line in path.read_text().splitlines():
            r = json.loads(line)
            if r.get("stage") != "library":  # a library-only build is reported once `finish` measured it
                latest[(r["backend"], r["hours"])] = r
    write_results([latest[k] for k in sorted(latest)], args)


def run_one(args: argparse.Namespace, root: Path, backend: str, hours: float, ref: Path, query: Path,
            ten: Path | None, scheduler: str | None) -> dict[str, Any]:  # fmt: skip
    started = time.perf_counter()
    row: dict[str, Any] = {"backend": backend, "hours": hours}
    est_bytes = hours * 3600 * args.rows_per_second * args.bytes_per_row
    free = shutil.disk_usage(root).free
    if free - est_bytes < args.min_free_gb * 1e9:
        row["skipped"] = f"needs ~{est_bytes / 1e9:.0f} GB, {free / 1e9:.0f} GB free"
        return row
    folder = root / f"{backend}-{int(hours)}h"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    schema = f"bench_{int(hours)}h"
    index: Path | None = None
    if backend == "sqlite":
        target = str(folder / "lib.db")
        ENV.pop("VERIFY_INDEX_DIR", None)
    else:
        if not args.pg_url:
            raise SystemExit("--pg-url (or VERIFY_TEST_PG_URL) is needed for the postgresql backend")
        target = pg_schema(args.pg_url, schema)
        index = folder / "index"
        ENV["VERIFY_INDEX_DIR"] = str(index)
    try:
        print(f"== {backend} {hours:g} h", flush=True)
        row.update(build(target, hours, seed=int(hours) + 1, threshold=args.threshold, index=index,
                         workers=args.workers, with_index=not args.library_only))  # fmt: skip
        if args.library_only:
            row["stage"] = "library"  # `finish` indexes and measures it
            return row
        plant_and_measure(row, target, index, ref, query, ten, scheduler)
        row["total_s"] = time.perf_counter() - started
    finally:
        if not args.keep and not args.library_only:
            shutil.rmtree(folder, ignore_errors=True)
            if backend == "postgresql":
                drop_pg_schema(args.pg_url, schema)
    return row


def plant_and_measure(row: dict[str, Any], target: str, index: Path | None, ref: Path, query: Path,
                      ten: Path | None, scheduler: str | None) -> None:  # fmt: skip
    """Add the real reference to a built library, then measure sizes and queries into ``row``."""
    add = timed_child([PY, "-m", "verify", "hash", str(ref), "--library", target, "--json",
                       "--title", "planted real reference"])  # fmt: skip
    if add["rc"] != 0:
        raise RuntimeError(add["err"])
    planted = json.loads(add["out"].splitlines()[0])["reference_id"]
    row["planted_add_wall"] = add["wall"]
    row["library_bytes"] = size_of(target, index)
    row["index_bytes"] = index_bytes(target, index)
    row.update(measure(target, planted, query, ten, scheduler))


def cmd_finish(args: argparse.Namespace) -> None:
    """Index, plant and measure the SQLite libraries a ``run --library-only`` left under --root."""
    root = Path(args.root)
    ref, query, ten = media(root)
    built = latest_sqlite(root, stage="library")
    for hours in [float(h) for h in args.sizes.split(",")]:
        target = root / f"sqlite-{int(hours)}h" / "lib.db"
        if hours not in built or not target.exists():
            raise SystemExit(
                f"no library-only {hours:g} h build under {root}: run `run --library-only` first"
            )
        row = {k: v for k, v in built[hours].items() if k != "stage"}
        with open_library(str(target)) as lib:
            row["index_s"] = finish_index(lib)
        plant_and_measure(row, str(target), None, ref, query, ten, None)
        record(root, row)
    cmd_report(args)


def cmd_cluster_hash(args: argparse.Namespace) -> None:
    """Hash a folder of real clips with one process and with a LocalCluster of 2 workers."""
    from distributed import LocalCluster

    root = Path(args.root) / "cluster-hash"
    clips = root / "clips"
    clips.mkdir(parents=True, exist_ok=True)
    files = corpus() / "files"
    sources = [*PLANT, *TEN_MINUTES]
    for i, name in enumerate(sources):
        out = clips / f"c{i}.mp4"
        if not out.exists():  # each corpus clip looped to 40 s at 720p
            ffmpeg("-stream_loop", "-1", "-i", str(files / name), "-t", "40", "-vf",
                   "scale=1280:720:force_original_aspect_ratio=decrease,pad=1280:720:(ow-iw)/2:(oh-ih)/2,setsar=1",
                   "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-an", str(out))  # fmt: skip
    results: dict[str, Any] = {}
    for rnd in range(args.rounds):
        for mode in ("one process", "LocalCluster, 2 workers"):
            db = root / f"lib-{rnd}-{mode[:3]}.db"
            for f in root.glob(db.name + "*"):
                shutil.rmtree(f) if f.is_dir() else f.unlink()
            cmd = [PY, "-m", "verify", "hash", str(clips), "--library", str(db), "--json"]
            cluster = None
            if mode.startswith("Local"):
                cluster = LocalCluster(
                    n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
                )
                cmd += ["--cluster", cluster.scheduler_address]
            try:
                r = timed_child(cmd)
            finally:
                if cluster is not None:
                    cluster.close()
            if r["rc"] != 0:
                raise RuntimeError(r["err"])
            results.setdefault(mode, []).append(r["wall"])
            print(mode, r["wall"], flush=True)
    one, two = min(results["one process"]), min(results["LocalCluster, 2 workers"])
    lines = [
        "# Dask: hashing a folder on a LocalCluster of 2 workers vs one process",
        "",
        f"{len(sources)} real corpus clips looped to 40 s each at 720p ({len(sources) * 40} s of footage), "
        f"`verify hash FOLDER` in a fresh process, best of {args.rounds}; machine: 2 cores shared with other "
        f"agents (load average {os.getloadavg()[0]:.1f} at the end).",
        "",
        "| mode | wall |",
        "|---|---:|",
        f"| one process | {one:.1f} s |",
        f"| LocalCluster, 2 worker processes | {two:.1f} s |",
        f"| ratio (one process / cluster) | {one / two:.2f}x |",
    ]
    (RESULTS / "bench_scale_cluster.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def write_results(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    lines = [
        "# Scale benchmark",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores shared with other agents (load average "
        f"{os.getloadavg()[0]:.1f} at the end), Python {platform.python_version()}. "
        "Commands: `bench_scale.py fit`, `bench_scale.py run --sizes S --backends B [--cluster]`, `bench_scale.py report`. "
        "The rows are the latest run of each backend and size (`bench_scale.jsonl` under --root); on a machine "
        "loaded by other jobs the wall times can be several times the CPU times: then read the CPU columns. "
        "Peak RSS counts the pages of the memory-mapped index the search touched.",
        "Synthetic 10-minute references from the fitted model (`results/bench_scale_model.md`), compacted by "
        f"the stand-in (threshold {args.threshold} bits), plus one real 32 s reference; the query is a real "
        "30 s edited copy of it (crop 90 %, caption bar, re-encoded). Every measurement is a fresh process.",
        "",
        "The index of a library of 4 million samples or more is sampled (`store.SAMPLE_FROM_SAMPLES`, about one "
        "row per second of each reference and variant; docs/library.md): *index rows* says how many rows it holds. "
        "The same sizes with the whole library indexed: `bench_scale_whole_index.md`.",
        "",
        "| backend | hours | references | rows | index rows | library bytes | index bytes | library + index "
        "| index open (CPU / wall) | match wall | match CPU | match peak RSS | found (rank) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        if "skipped" in r:
            lines.append(f"| {r['backend']} | {r['hours']:g} | skipped: {r['skipped']} |||||||||")
            continue
        irows = (f"{r['index_rows']:,}{' (sampled)' if r.get('index_sampled') else ''}" if "index_rows" in r
                 else "-")  # fmt: skip
        lines.append(
            f"| {r['backend']} | {r['hours']:g} | {r['refs'] + 1:,} | {r['rows']:,} | {irows} | {r['library_bytes'] / 1e9:.2f} GB "
            f"| {r['index_bytes'] / 1e9:.2f} GB | {(r['library_bytes'] + r['index_bytes']) / 1e9:.2f} GB "
            f"| {r.get('phase_open_cpu', 0) * 1e3:.0f} ms / {r['open_ms']:.0f} ms | {r['match_wall']:.2f} s | {r['match_cpu']:.2f} s "
            f"| {r['match_rss_mb']:.0f} MB | {'yes' if r['found'] else 'NO'} ({r['rank']}) |"
        )
    lines += ["", "Where a fresh `verify match` spends its CPU (one process, same query): imports, the query's own "
              "fingerprint (30 s, QUERY settings), opening the index, then search + alignment over the library.", "",
              "| backend | hours | imports | query fingerprint | index open | search + align (CPU) | distinct query hashes (searched) |",
              "|---|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    for r in rows:
        if "phase_search_cpu" in r:
            lines.append(f"| {r['backend']} | {r['hours']:g} | {r['phase_import_cpu']:.2f} s | {r['phase_fingerprint_cpu']:.2f} s "
                         f"| {r['phase_open_cpu'] * 1e3:.0f} ms | {r['phase_search_cpu']:.2f} s | {r['phase_query_hashes']:,}"
                         f"{' (' + format(r['phase_searched_hashes'], ',') + ')' if 'phase_searched_hashes' in r else ''} |")  # fmt: skip
    if any("one_stage_search_cpu" in r for r in rows):
        lines += ["", "Search in two stages (the default from 2 million rows, `coarse_from_rows`: the whole library at `coarse_radius` = 8 bits, then the 64 "
                  "references hit by the most distinct query hashes at 10 bits) against one stage (the whole library "
                  "at 10 bits, `coarse_radius=64`, as before): same query, each a fresh process, the second of two "
                  "runs (the index's pages in the page cache) (`PHASES`: "
                  "search + alignment CPU and wall after the query's fingerprint and the index open; RSS of the "
                  "whole process).", "",
                  "| backend | hours | one stage: search CPU / wall | RSS | found | two stages: search CPU / wall | RSS "
                  "| found | coarse pairs | references searched at 10 bits | search CPU one / two |",
                  "|---|---:|---:|---:|---|---:|---:|---|---:|---:|---:|"]  # fmt: skip
        for r in rows:
            if "one_stage_search_cpu" in r:
                lines.append(
                    f"| {r['backend']} | {r['hours']:g} | {r['one_stage_search_cpu']:.2f} s / {r['one_stage_search_wall']:.2f} s "
                    f"| {r['one_stage_rss_mb']:.0f} MB | {'yes' if r['one_stage_found'] else 'NO'} "
                    f"| {r['phase_search_cpu']:.2f} s / {r['phase_search_wall']:.2f} s | {r['phase_rss_mb']:.0f} MB "
                    f"| {'yes' if r['phase_found'] else 'NO'} | {r['phase_coarse_pairs']:,} | {r['phase_candidate_refs']} "
                    f"| {r['one_stage_search_cpu'] / max(r['phase_search_cpu'], 1e-9):.1f}x |"
                )  # fmt: skip
    sampled = [r for r in rows if r.get("index_sampled") and "phase_search_cpu" in r]
    if sampled:
        lines += ["", "A sampled index (no whole library to search in one stage): the first stage over the sample at "
                  "8 bits, then the chosen references' full rows read from the library and searched at 10 bits. "
                  "Same query and runs as above.", "",
                  "| backend | hours | index rows | search CPU / wall | RSS | found | coarse pairs | references searched at 10 bits |",
                  "|---|---:|---:|---:|---:|---|---:|---:|"]  # fmt: skip
        for r in sampled:
            lines.append(f"| {r['backend']} | {r['hours']:g} | {r['index_rows']:,} | {r['phase_search_cpu']:.2f} s / "
                         f"{r['phase_search_wall']:.2f} s | {r['phase_rss_mb']:.0f} MB | {'yes' if r['phase_found'] else 'NO'} "
                         f"| {r['phase_coarse_pairs']:,} | {r['phase_candidate_refs']} |")  # fmt: skip
    if any("cluster_wall" in r for r in rows):
        lines += ["", "| backend | hours | match via LocalCluster (2 workers): wall | client CPU | client RSS | same matches |",
                  "|---|---:|---:|---:|---:|---|"]  # fmt: skip
        for r in rows:
            if "cluster_wall" in r:
                lines.append(f"| {r['backend']} | {r['hours']:g} | {r['cluster_wall']:.2f} s | {r['cluster_cpu']:.2f} s "
                             f"| {r['cluster_rss_mb']:.0f} MB | {'yes' if r['cluster_same'] else 'NO'} |")  # fmt: skip
    lines += ["", "| backend | hours | generate (CPU) | store | index build | add a real 10-min clip vs fingerprinting it |",
              "|---|---:|---:|---:|---:|---|"]  # fmt: skip
    for r in rows:
        if "skipped" in r:
            continue
        ten = (f"{r['add10_wall']:.1f} s vs {r['fingerprint10_wall']:.1f} s ({r['add10_ratio']:.2f}x)"
               if "add10_wall" in r else "-")  # fmt: skip
        lines.append(f"| {r['backend']} | {r['hours']:g} | {r['generate_cpu_s']:.0f} s | {r['store_s']:.0f} s "
                     f"| {r['index_s']:.0f} s | {ten} |")  # fmt: skip
    path = RESULTS / "bench_scale.md"
    path.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fit")
    r = sub.add_parser("run")
    c = sub.add_parser("cluster-hash")
    c.add_argument("--rounds", type=int, default=2)
    rep = sub.add_parser("report")
    rem = sub.add_parser("remeasure", help="measure kept libraries again (no rebuild)")
    rem.add_argument("--sizes", default="100,1000")
    fin = sub.add_parser("finish", help="index, plant and measure libraries built with run --library-only")
    fin.add_argument("--sizes", default="10000")
    for p in (f, r, c, rep, rem, fin):
        p.add_argument("--root", default="/work/scale-bench")
        p.add_argument("--threshold", type=int, default=4, help="stand-in compaction threshold (bits)")
    r.add_argument("--sizes", default="10,100,1000")
    r.add_argument("--backends", default="sqlite")
    r.add_argument("--pg-url", default=os.environ.get("VERIFY_TEST_PG_URL", ""))
    r.add_argument("--cluster", action="store_true", help="also match through a LocalCluster of 2 workers")
    r.add_argument("--rows-per-second", type=float, default=36.0)
    r.add_argument("--bytes-per-row", type=float, default=60.0, help="library + index, for the disk check")
    r.add_argument("--min-free-gb", type=float, default=20.0)
    r.add_argument("--keep", action="store_true")
    r.add_argument("--workers", type=int, default=1, help="processes generating synthetic references")
    r.add_argument(
        "--library-only", action="store_true", help="store the library, keep it, no index (see finish)"
    )
    args = ap.parse_args()
    if args.cmd in ("report", "remeasure", "finish"):
        args.backends, args.cluster = "(as measured)", False
    {"fit": cmd_fit, "run": cmd_run, "cluster-hash": cmd_cluster_hash, "report": cmd_report,
     "remeasure": cmd_remeasure, "finish": cmd_finish}[args.cmd](args)  # fmt: skip


if __name__ == "__main__":
    main()
