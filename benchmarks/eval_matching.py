"""Score verify's matching and its peers on edited copies of real footage.

    .venv/bin/python benchmarks/eval_matching.py [--set dev|holdout|te|all]
        [--systems verify,imagehash,vpdq,videohash] [--cache /work/eval-cache] [--corpus DIR] [--seed N]

Builds (or reuses) the labelled sets in the cache, runs each system in its own process (library
build, then every query), scores found / localised / false matches, merges the run into
benchmarks/results/eval_matching.json and rewrites benchmarks/results/eval_matching.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from multiprocessing import get_context
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from eval import build, peers, report  # noqa: E402
from eval.edits import Case, Ref  # noqa: E402
from eval.score import score_case  # noqa: E402

RESULTS = HERE / "results"


def run_system(
    name: str, library: list[Ref], cases: list[Case], workdir: Path, options: dict[str, Any] | None = None
) -> dict[str, Any]:
    """In a child process: build the system's library, run every query, return predictions + costs.

    ``options`` (verify only, for measurements): ``run_bits`` sets the library's compaction, the
    rest are ``MatchSettings`` fields."""
    options = dict(options or {})
    if "run_bits" in options:
        from verify.library import rows

        rows.RUN_BITS = int(options.pop("run_bits"))
    system = peers.SYSTEMS[name](**({"settings": options} if options else {}))
    t0 = time.perf_counter()
    system.prepare(library, workdir)
    t1 = time.perf_counter()
    out = []
    for c in cases:
        try:
            pred = system.query(c.path)
            err = ""
        except Exception as exc:  # a crash on one query is a miss, the run goes on
            pred, err = [], f"{type(exc).__name__}: {exc}"
            traceback.print_exc()
        s = score_case(c, pred)
        d = asdict(s)
        if err:
            d["detail"] = f"ERROR {err}"
        out.append(d)
    t2 = time.perf_counter()
    work = getattr(system, "work", None)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # largest ffmpeg child
    return {
        "prepare_s": t1 - t0,
        "query_s": t2 - t1,
        "max_rss_mb": rss,
        "max_child_rss_mb": kids,
        "cases": out,
        **({"search_work": work} if work else {}),
    }


def _options(text: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, _, value = part.partition("=")
        low = value.strip().lower()
        out[key.strip()] = (
            low == "true" if low in ("true", "false") else float(value) if "." in value else int(value)
        )
    return out


def corpus_files(arg: str | None) -> Path:
    env = os.environ.get("VERIFY_CORPUS")
    for c in [arg, env and str(Path(env) / "files"), str(HERE.parent.parent / "shared" / "corpus" / "files")]:
        if c and Path(c).is_dir():
            return Path(c)
    raise SystemExit("corpus not found: pass --corpus DIR (the folder holding the corpus files)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", default="all", choices=["dev", "holdout", "te", "all"])
    ap.add_argument("--systems", default="verify,imagehash,vpdq,videohash")
    ap.add_argument("--cache", default="/work/eval-cache")
    ap.add_argument("--corpus", default=None)
    ap.add_argument("--seed", type=int, default=build.DEFAULT_SEED)
    ap.add_argument("--sound", action="store_true", help="the sets with sound (eval/sound_sets.py): every "
                    "reference carries speech, every copy the sound of what it shows; te is skipped; default "
                    "system verify+sound")  # fmt: skip
    ap.add_argument("--build-only", action="store_true", help="generate the sets and stop")
    ap.add_argument("--check-truth", action="store_true", help="re-derive simple copies' offsets by pixels")
    ap.add_argument("--report-only", action="store_true", help="rewrite the markdown from the JSON and stop")
    ap.add_argument("--verify-options", default="", help="key=value,... MatchSettings fields (and run_bits) "
                    "for a measurement of verify or verify+sound; the run is stored as "
                    "'verify[key=value,...]'")  # fmt: skip
    args = ap.parse_args(argv)
    files, cache = corpus_files(args.corpus), Path(args.cache)
    sets = [] if args.report_only else ["dev", "holdout", "te"] if args.set == "all" else [args.set]
    if args.sound:
        sets = [s for s in sets if s != "te"]  # the ThreatExchange variants are the corpus's own files
        if args.systems == ap.get_default("systems"):
            args.systems = "verify+sound"
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = set(systems) - set(peers.SYSTEMS)
    if unknown:
        raise SystemExit(f"unknown systems {sorted(unknown)}; known: {sorted(peers.SYSTEMS)}")
    RESULTS.mkdir(exist_ok=True)
    jpath = RESULTS / "eval_matching.json"
    results: dict[str, Any] = json.loads(jpath.read_text()) if jpath.exists() else {}
    for set_name in sets:
        print(f"== {set_name}: building / reusing {cache / set_name}")
        refs, dis, cases = build.build_set(set_name, files, cache, args.seed)
        if args.sound:
            from eval import sound_sets

            refs, dis, cases = sound_sets.with_sound(set_name, refs, dis, cases, cache)
        print(f"   {len(refs)} references + {len(dis)} distractors, {len(cases)} queries"
              f"{' (with sound)' if args.sound else ''}")  # fmt: skip
        if args.check_truth:
            problems = build.check_truth(cases, {r.name: r for r in refs})
            print(
                "   ground truth: " + ("; ".join(problems) if problems else "consistent with pixel alignment")
            )
        if args.build_only:
            continue
        options = _options(args.verify_options)
        for name in systems:
            ours = name in ("verify", "verify+sound")  # the systems --verify-options applies to
            label = f"{name}[{args.verify_options}]" if options and ours else name
            t = time.perf_counter()
            with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as ex:
                run = ex.submit(
                    run_system, name, refs + dis, cases,
                    cache / "work" / (set_name + ("+sound" if args.sound else "")) / label,
                    options if ours else None,
                ).result()  # fmt: skip
            run["wall_s"] = time.perf_counter() - t
            results = json.loads(jpath.read_text()) if jpath.exists() else {}  # merge with parallel runs
            results.setdefault(set_name, {})[label] = run
            loc = sum(c["localised"] for c in run["cases"])
            exp = sum(c["expected"] for c in run["cases"])
            false = sum(c["false"] for c in run["cases"])
            print(f"   {label:10s} localised {loc}/{exp}, false {false}, {run['wall_s']:.0f} s")
            jpath.write_text(json.dumps(results, indent=1))
    if not args.build_only:
        results = json.loads(jpath.read_text()) if jpath.exists() else {}
        header = f"Machine: {report.machine()}. Holdout seed {args.seed}. Last run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}."
        md = report.markdown(results, header)
        (RESULTS / "eval_matching.md").write_text(md)
        print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
