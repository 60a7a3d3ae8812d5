"""OCR cost per keyframe, and what was read, on clips with burned-in text.

    nice -n 10 .venv/bin/python benchmarks/bench_ocr.py [--det-sides 480,640,960]

For each clip (the bundled samples/viral clips, and corpus clips with text in the picture when
VERIFY_CORPUS is there): the workbench's keyframe stage (``verify.analysis.decode`` at 960 px, the
baseline, measured in this run) and OCR of those keyframes (``verify.ocr.read_text``), wall and CPU
time (user+sys of all threads), the per-keyframe cost and the ratio OCR / keyframe stage. The engine is
loaded once first (its load time is reported on its own). A second table reads the sample clips with
other detection sizes. Writes benchmarks/results/ocr.md and ocr.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from verify.analysis import AnalysisSettings, begin, decode  # noqa: E402
from verify.ocr import OcrSettings, get_engine, read_text  # noqa: E402
from verify.pictures import decode as decode_picture  # noqa: E402

CORPUS = Path(os.environ.get("VERIFY_CORPUS", ROOT.parent / "shared" / "corpus")) / "files"
SAMPLES = sorted((ROOT / "samples" / "viral").glob("*.mp4"))
CORPUS_TEXT = [  # corpus clips with text in the picture (title cards, a TV screen, logos)
    "mdn-stream-of-water-audioless.webm",
    "pigallery2-bunny-1sec.mp4",
    "photoprism-isom-avc1.mp4",
    "te-chair-22-with-large-logo-bar.mp4",
    "te-pattern-sd-with-large-logo-bar.mp4",
    "moviepy-chaplin.mp4",
]
SIZE = 960


def keyframes(clip: Path, size: int) -> list[tuple[float, object]]:
    """The workbench's keyframe stage: the analysis decode (fingerprint, shots, keyframe pictures)."""
    a = decode(begin(clip, settings=AnalysisSettings(picture_side=size)))
    return [(k.time, decode_picture(a.images[k.image.name])) for k in a.keyframes if k.image is not None]


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def timed(fn):  # type: ignore[no-untyped-def]
    w, c = time.perf_counter(), cpu()
    out = fn()
    return out, time.perf_counter() - w, cpu() - c


def run(args: argparse.Namespace) -> dict:
    clips = [*SAMPLES, *(CORPUS / n for n in CORPUS_TEXT if (CORPUS / n).exists())]
    _, load_wall, load_cpu = timed(lambda: get_engine(OcrSettings()))
    rows = []
    for clip in clips:
        kfs, kw, kc = timed(lambda clip=clip: keyframes(clip, size=SIZE))
        res, ow, oc = timed(lambda kfs=kfs: read_text(kfs))
        n = max(1, len(kfs))
        rows.append({
            "clip": clip.name, "keyframes": len(kfs), "keyframe_wall": kw, "keyframe_cpu": kc,
            "ocr_wall": ow, "ocr_cpu": oc, "ms_per_keyframe_wall": 1000 * ow / n, "ms_per_keyframe_cpu": 1000 * oc / n,
            "ratio_wall": ow / kw if kw else None, "ratio_cpu": oc / kc if kc else None,
            "items": [{"text": i.text, "first": i.first, "last": i.last, "confidence": i.confidence,
                       "box": i.box, "frames": i.frames} for i in res.items],
            "leads": [{"kind": lead.kind, "value": lead.value} for lead in res.leads],
        })  # fmt: skip
        print(f"{clip.name}: {len(kfs)} keyframes, keyframes {kw:.2f} s, OCR {ow:.2f} s "
              f"({1000 * ow / n:.0f} ms/keyframe), {len(res.items)} texts", flush=True)  # fmt: skip
    sides = []
    for side in args.det_sides:
        s = OcrSettings(det_side=side)
        get_engine(s)
        for clip in SAMPLES:
            kfs = keyframes(clip, size=SIZE)
            res, ow, oc = timed(lambda kfs=kfs, s=s: read_text(kfs, s))
            sides.append({"det_side": side, "clip": clip.name, "keyframes": len(kfs),
                          "ms_per_keyframe_wall": 1000 * ow / max(1, len(kfs)),
                          "ms_per_keyframe_cpu": 1000 * oc / max(1, len(kfs)),
                          "texts": [i.text for i in res.items]})  # fmt: skip
    return {"engine": get_engine().id, "load_wall": load_wall, "load_cpu": load_cpu, "size": SIZE,
            "rows": rows, "det_sides": sides, "machine": platform.platform(),
            "load_average": os.getloadavg()}  # fmt: skip


def markdown(r: dict) -> str:
    out = [
        "# OCR cost per keyframe (`benchmarks/bench_ocr.py`)",
        "",
        f"Engine: {r['engine']}; keyframes at {r['size']} px longest side; detection at 640 px. "
        f"Engine load (once per process): {r['load_wall']:.1f} s wall, {r['load_cpu']:.1f} s CPU. "
        f"Machine: {r['machine']}, 2 shared cores, load average {r['load_average'][0]:.1f} at the end "
        "(absolute times are inflated by the other jobs; the ratios are from the same run).",
        "",
        "Baseline: the workbench's keyframe stage (`verify.analysis.decode`: the one decode, shot detection, "
        "keyframe pick) on the same clip.",
        "",
        "| clip | keyframes | keyframe stage wall / CPU | OCR wall / CPU | OCR per keyframe wall / CPU | OCR / keyframe stage (wall, CPU) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for x in r["rows"]:
        out.append(
            f"| {x['clip']} | {x['keyframes']} | {x['keyframe_wall']:.2f} s / {x['keyframe_cpu']:.2f} s | "
            f"{x['ocr_wall']:.2f} s / {x['ocr_cpu']:.2f} s | {x['ms_per_keyframe_wall']:.0f} / "
            f"{x['ms_per_keyframe_cpu']:.0f} ms | {x['ratio_wall']:.1f}x, {x['ratio_cpu']:.1f}x |"
        )
    out += ["", "## What was read", ""]
    for x in r["rows"]:
        out.append(f"**{x['clip']}**" + (" (nothing)" if not x["items"] else ""))
        out.append("")
        for i in x["items"]:
            span = f"{i['first']:.2f}–{i['last']:.2f} s" if i["last"] > i["first"] else f"{i['first']:.2f} s"
            text = i["text"].replace("|", "\\|")
            out.append(f"- `{text}` at {span}, confidence {i['confidence']:.2f}, in {i['frames']} keyframe(s), "
                       f"box {tuple(round(v, 2) for v in i['box'])}")  # fmt: skip
        if x["leads"]:
            leads = "; ".join(f"{lead['kind']} `{lead['value']}`" for lead in x["leads"])
            out.append(f"- leads: {leads}")
        out.append("")
    if r["det_sides"]:
        out += ["## Detection size (sample clips)", "", "| detection side | clip | ms per keyframe wall / CPU | texts |",
                "|---:|---|---:|---|"]  # fmt: skip
        for x in r["det_sides"]:
            out.append(f"| {x['det_side']} | {x['clip']} | {x['ms_per_keyframe_wall']:.0f} / "
                       f"{x['ms_per_keyframe_cpu']:.0f} | {len(x['texts'])} |")  # fmt: skip
    return "\n".join(out) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--det-sides", type=lambda s: [int(x) for x in s.split(",") if x], default=[480, 960])
    args = ap.parse_args()
    r = run(args)
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "ocr.json").write_text(json.dumps(r, indent=2, ensure_ascii=False) + "\n")
    (out / "ocr.md").write_text(markdown(r))
    print(markdown(r))


if __name__ == "__main__":
    main()
