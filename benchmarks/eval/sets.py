"""The labelled sets: dev (fixed parameters), holdout (seeded-random parameters), te (ThreatExchange).

Static-camera hard negatives: three corpus clips filmed from a fixed camera are split in time; one
part is a library reference, the other (same camera, same place, another moment) is a query that
must match nothing. Dev and holdout swap the parts, so their libraries differ.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from . import edits
from .edits import Ref
from .ffmpeg import ENCODE, EVEN, probe, run

#: footage shipped in packages (``eval.footage``): a file name under ``<cache>/footage``
FOOTAGE = "footage:"

CHAPLIN = "moviepy-chaplin.mp4"  # fixed camera on a street corner, 9.6 s, pillarboxed
PLANE = "moviepy-video-with-failing-audio.mp4"  # tripod on a field after the plane leaves, 3.5-11.2 s
FRIDAY = "mdn-friday.mp4"  # fixed camera in an office, 6.2 s

# name -> (corpus file, start, end); start/end None = the corpus file itself
DEV_REFS: dict[str, tuple[str, float | None, float | None]] = {
    "chair": ("te-chair-orig-22-sd-bar.mp4", None, None),
    "karma": ("gopro-karma.mp4", None, None),
    "pancake": ("decord-flipping-a-pancake.mkv", None, None),
    "flower": ("mdn-flower.mp4", None, None),
    "pattern": ("te-pattern-hd-no-bar.mp4", None, None),
    "chaplin-a": (CHAPLIN, 0.0, 4.6),
    "plane-a": (PLANE, 3.6, 7.2),
    "friday-a": (FRIDAY, 0.0, 3.0),
}
HOLDOUT_REFS: dict[str, tuple[str, float | None, float | None]] = {
    "gopromax": ("gopro-max-heromode.mp4", None, None),
    "cockatoo": ("imageio-cockatoo.mp4", None, None),
    "flashmob": ("hachoir-flashmob.mkv", 0.0, 12.4),
    "doorknob": ("te-doorknob-hd-no-bar.mp4", None, None),
    "chaplin-b": (CHAPLIN, 5.0, 9.64),
    "plane-b": (PLANE, 7.4, 11.2),
    "friday-b": (FRIDAY, 3.2, 6.16),
}
#: issue 12: people talking and fixed cameras (package footage), and references whose picture
#: repeats; dev and holdout use different sources
LOW_MOTION_REFS: dict[str, dict[str, tuple[str, float | None, float | None]]] = {
    "dev": {"speaker": (FOOTAGE + "speaker.mp4", 0.0, 9.6), "tree": (FOOTAGE + "tree.avi", 0.0, 14.0)},
    "holdout": {"cctv": (FOOTAGE + "cctv.avi", 0.0, 38.0), "carphone": (FOOTAGE + "carphone.mp4", None, None),
                "webcam": (FOOTAGE + "webcam.mp4", None, None)},
}  # fmt: skip
#: name -> (kind, source, a, b): "still" holds the frame at a for b seconds; "looped" repeats a..b 3 times
#: (sources not otherwise in that set's library: a looped copy of a reference would really be in it)
REPEATING_REFS: dict[str, dict[str, tuple[str, str, float, float]]] = {
    "dev": {"still-a": ("still", "imageio-cockatoo.mp4", 6.0, 12.0),
            "looped-a": ("looped", "gopro-max-heromode.mp4", 2.0, 5.1)},
    "holdout": {"still-b": ("still", "mdn-flower.mp4", 2.5, 14.0),
                "looped-b": ("looped", "te-pattern-longer-no-bar.mp4", 2.0, 5.6)},
}  # fmt: skip
# same fixed camera, the other moment (the part that is not in that set's library)
STATIC_NEG = {
    "dev": [(CHAPLIN, 5.0, 9.64), (PLANE, 7.5, 11.2), (FRIDAY, 3.2, 6.16),
            (FOOTAGE + "speaker.mp4", 10.2, 19.6), (FOOTAGE + "tree.avi", 15.0, 29.0)],
    "holdout": [(CHAPLIN, 0.0, 4.4), (PLANE, 3.6, 7.1), (FRIDAY, 0.0, 2.9),
                (FOOTAGE + "cctv.avi", 41.0, 79.0)],
}  # fmt: skip
# unrelated clips in every library (never edited, never queried as copies)
DISTRACTORS = [
    "imageio-realshort.mp4",
    "photoprism-gopher-video.mp4",
    "lychee-train.mov",
    "pigallery2-IMG_7943_HEVC.mov",
    "mdn-stream-of-water.mp4",
    "hachoir-quicktime.mp4",
    "pigallery2-video.mp4",
    "moviepy-fire2.mp4",
]
# unrelated queries (file, start, end): not in that set's library
UNRELATED = {
    "dev": [
        ("photoprism-earth.avi", 5.0, 15.0),
        ("photoprism-quicktime-hvc1.mov", None, None),
        ("hachoir-10min.mkv", 0.0, 15.0),
        ("te-test-padded-dimensions.mp4", None, None),
        ("pigallery2-20240128-105420.mp4", None, None),
    ],
    "holdout": [
        ("gopro-karma.mp4", 2.0, 10.0),
        ("decord-flipping-a-pancake.mkv", None, None),
        ("photoprism-mp42-hvc1.mp4", None, None),
        ("photoprism-isom-avc1.mp4", None, None),
        ("pigallery2-20240128-120909.mp4", None, None),
        ("photoprism-earth.avi", 12.0, 26.0),
    ],
}
PIP_BACKGROUND = {"dev": ("photoprism-earth.avi", 0.0), "holdout": ("gopro-karma.mp4", 0.0)}
#: the other panel of a split screen (a "reaction"): footage not in that set's library
SPLIT_OTHER = {"dev": "hachoir-flashmob.mkv", "holdout": "decord-flipping-a-pancake.mkv"}
#: unrelated people talking (not in that set's library): must match nothing
UNRELATED_TALK = {
    "dev": [(FOOTAGE + "webcam.mp4", None, None)],
    "holdout": [(FOOTAGE + "speaker.mp4", 2.0, 12.0)],
}
TE_ORIGINALS = {"chair": "te-chair-orig-22-sd-bar.mp4", "pattern": "te-pattern-hd-no-bar.mp4"}
TE_VARIANTS = {
    "chair": [
        "te-chair-19-sd-bar.mp4",
        "te-chair-20-sd-bar.mp4",
        "te-chair-22-sd-grey-bar.mp4",
        "te-chair-22-sd-sepia-bar.mp4",
        "te-chair-22-with-large-logo-bar.mp4",
        "te-chair-22-with-small-logo-bar.mp4",
    ],
    "pattern": [
        "te-pattern-longer-no-bar.mp4",
        "te-pattern-sd-grey-bar.mp4",
        "te-pattern-sd-with-large-logo-bar.mp4",
        "te-pattern-sd-with-small-logo-bar.mp4",
    ],
}


def _cut(src: Path, a: float, b: float, out: Path, crf: int = 16) -> Path:
    if not out.exists():
        run(["-i", str(src), "-ss", f"{a:.3f}", "-t", f"{b - a:.3f}", "-vf", EVEN, *ENCODE[:-3], "-crf",
             str(crf), "-pix_fmt", "yuv420p", "-an"], out)  # fmt: skip
    return out


def source(files: Path, cache: Path, f: str) -> Path:
    """A corpus file, or package footage (``footage:NAME``) from the cache."""
    return cache / "footage" / f[len(FOOTAGE) :] if f.startswith(FOOTAGE) else files / f


def _repeating(kind: str, src: Path, a: float, b: float, out: Path) -> Path:
    if out.exists():
        return out
    if kind == "still":  # the frame at a, held for b seconds
        png = out.with_suffix(".png")
        run(["-ss", f"{a:.3f}", "-i", str(src), "-frames:v", "1"], png)
        run(["-loop", "1", "-i", str(png), "-t", f"{b:.3f}", "-r", "30", "-vf", EVEN, *ENCODE[:-3], "-crf",
             "18", "-pix_fmt", "yuv420p", "-an"], out)  # fmt: skip
        png.unlink()
    else:  # a..b three times
        part = f"[0:v]trim={a}:{b},setpts=PTS-STARTPTS,fps=30,setsar=1"
        graph = f"{part},split=3[x][y][z];[x][y][z]concat=n=3:v=1:a=0,{EVEN}[out]"
        run(["-i", str(src), "-filter_complex", graph, "-map", "[out]", *ENCODE[:-3], "-crf", "18", "-pix_fmt",
             "yuv420p", "-an"], out)  # fmt: skip
    return out


def references(set_name: str, files: Path, cache: Path) -> list[Ref]:
    """The library references of a set (te uses dev's library), cut into the cache where needed."""
    key = "holdout" if set_name == "holdout" else "dev"
    table = {**(HOLDOUT_REFS if key == "holdout" else DEV_REFS), **LOW_MOTION_REFS[key]}
    refs = []
    for name, (f, a, b) in table.items():
        src = source(files, cache, f)
        path = src if a is None or b is None else _cut(src, a, b, cache / "refs" / f"{name}.mp4")
        info = probe(str(path))
        refs.append(Ref(name, str(path), info.duration, info.width, info.height))
    for name, (kind, f, a, b) in REPEATING_REFS[key].items():
        path = _repeating(kind, source(files, cache, f), a, b, cache / "refs" / f"{name}.mp4")
        info = probe(str(path))
        refs.append(Ref(name, str(path), info.duration, info.width, info.height))
    return refs


def distractors(files: Path) -> list[Ref]:
    out = []
    for f in DISTRACTORS:
        info = probe(str(files / f))
        out.append(Ref(f"distractor:{f}", str(files / f), info.duration, info.width, info.height))
    return out


def dev_specs(refs: dict[str, Ref]) -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """(kind, reference, params, aux) with fixed parameters, two sources per kind."""
    s: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = []
    add = lambda kind, ref, p, aux=None: s.append((kind, ref, p, aux or {}))  # noqa: E731
    add("reencode-crf40", "karma", {"crf": 40})
    add("reencode-crf40", "chaplin-a", {"crf": 40})
    add("downscale", "chair", {"factor": 3})
    add("downscale", "flower", {"factor": 3})
    add("crop", "karma", {"keep": 0.85})
    add("crop", "pancake", {"keep": 0.8, "x": 0.2, "y": 0.7})
    add("mirror", "pancake", {})
    add("mirror", "plane-a", {})
    add("mirror-crop", "chair", {"keep": 0.85})
    add("mirror-crop", "flower", {"keep": 0.88, "x": 0.7, "y": 0.3})
    cap = {
        "bar": 0.16,
        "text": "BREAKING - footage from today",
        "sub": "shared 10k times",
        "color": "0xb00000",
    }
    add("caption", "karma", {**cap, "top": 0.08})
    add("caption", "friday-a", cap)
    add("logo", "pancake", {"size": 0.2, "corner": "tr"})
    add("logo", "pattern", {"size": 0.3, "corner": "bl"})
    add("vertical-bars", "karma", {"width": 540})
    add("vertical-bars", "chaplin-a", {"width": 480})
    add("vertical-blur", "pancake", {"width": 540, "blur": 20})
    add("vertical-blur", "flower", {"width": 540, "blur": 20})
    add("pip", "karma", {"size": 0.45, "x": 0.9, "y": 0.1})
    add("pip", "chair", {"size": 0.4, "x": 0.1, "y": 0.5})
    add("grey", "flower", {"mode": "grey"})
    add("grey", "karma", {"mode": "grey"})
    add("sepia", "pancake", {"mode": "sepia"})
    add("sepia", "plane-a", {"mode": "sepia"})
    add("contrast", "chair", {"mode": "contrast", "contrast": 1.5, "brightness": 0.05, "sat": 1.4})
    add("contrast", "pattern", {"mode": "contrast", "contrast": 1.5, "brightness": 0.05, "sat": 1.4})
    add("speed-slow", "karma", {"speed": 0.8})
    add("speed-slow", "friday-a", {"speed": 0.8})
    add("speed-fast", "pancake", {"speed": 1.25})
    add("speed-fast", "chair", {"speed": 1.25})
    add("fps-low", "karma", {"fps": 15})
    add("fps-low", "chaplin-a", {"fps": 15})
    add("fps-high", "pancake", {"fps": 60})
    add("fps-high", "flower", {"fps": 60})
    add("excerpt", "chair", {"start": 8.0, "end": 12.0})
    add("excerpt", "karma", {"start": 5.0, "end": 8.0})
    add("compilation", "pancake", {"first": (2.0, 6.0), "second": (3.0, 7.0)}, {"second": "karma"})
    add("compilation", "chair", {"first": (10.0, 14.0), "second": (0.5, 3.5)}, {"second": "plane-a"})
    corners = [0.08, 0.05, 0.94, 0.1, 0.04, 0.96, 0.9, 0.9]
    add("screen", "karma", {"corners": corners, "brightness": 0.08, "contrast": 0.8, "noise": 14})
    add("screen", "chair", {"corners": corners, "brightness": -0.06, "contrast": 0.85, "noise": 14})
    add("rotation-flag", "karma", {"stored": 90})
    add("rotation-flag", "pancake", {"stored": 270})
    return s + dev_low_motion_specs()


def dev_low_motion_specs() -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """Issue 12 on dev: low-motion sources (a talking head, a tree in the wind), time edits, layouts."""
    s: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = []
    add = lambda kind, ref, p, aux=None: s.append((kind, ref, p, aux or {}))  # noqa: E731
    cap = {"bar": 0.16, "text": "BREAKING - he said it live", "sub": "shared 10k times", "color": "0xb00000"}
    add("excerpt", "speaker", {"start": 2.0, "end": 7.0})
    add("excerpt", "tree", {"start": 4.0, "end": 10.0})
    add("reencode-crf40", "speaker", {"crf": 40})
    add("mirror", "tree", {})
    add("speed-fast", "speaker", {"speed": 1.5})
    add("speed-slow", "tree", {"speed": 0.8})
    add("caption", "speaker", cap)
    add("logo", "tree", {"size": 0.25, "corner": "tr"})
    add("subtitles", "speaker", {"band": 0.28})
    add("subtitles", "friday-a", {"band": 0.3})
    add("pip", "speaker", {"size": 0.42, "x": 0.85, "y": 0.15})
    add("pip", "plane-a", {"size": 0.45, "x": 0.1, "y": 0.8})
    add("vertical-blur", "speaker", {"width": 540, "blur": 20})
    add("crop", "tree", {"keep": 0.85, "x": 0.3, "y": 0.6})
    add("grey", "speaker", {"mode": "grey"})
    add("compilation", "speaker", {"first": (1.0, 5.0), "second": (2.0, 6.0)}, {"second": "karma"})
    add("reverse", "karma", {"speed": 1.0})
    add("reverse", "speaker", {"speed": 1.0})
    add("loop", "pancake", {"start": 3.0, "end": 6.0, "times": 3})
    add("loop", "speaker", {"start": 1.0, "end": 4.0, "times": 3})
    add("jumpcut", "chair", {"cuts": [(1.0, 4.5), (7.0, 10.0), (13.0, 16.5)]})
    add("jumpcut", "speaker", {"cuts": [(0.5, 3.5), (5.5, 9.0)]})
    add("split", "karma", {"layout": "lr", "slot": 0, "fit": True})
    add("split", "speaker", {"layout": "tb", "slot": 1, "fit": True})
    add("split", "pancake", {"layout": "lr3", "slot": 2, "fit": True})
    add("split", "flower", {"layout": "lr", "slot": 1, "fit": False})
    add("rotate-pixels", "karma", {"degrees": 90})
    add("rotate-pixels", "speaker", {"degrees": 180})
    add("screenrec", "chair", {"scroll": 0})
    add("screenrec", "speaker", {"scroll": 60})
    add("tilt-zoom", "karma", {"degrees": 3.0, "zoom": 1.12})
    add("tilt-zoom", "speaker", {"degrees": -4.0, "zoom": 1.15})
    add("excerpt-repeating", "still-a", {"start": 3.0, "end": 8.0})
    add("excerpt-repeating", "looped-a", {"start": 5.0, "end": 8.5})
    return s


def holdout_specs(refs: dict[str, Ref], seed: int) -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """The same kinds with seeded-random parameters and sources (two per kind)."""
    rng = random.Random(seed)
    names = sorted(n for n in refs if n in HOLDOUT_REFS)  # the kinds of before issue 12: as they were
    long_names = [n for n in names if refs[n].duration >= 8.0]
    u = rng.uniform
    s: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = []
    texts = [
        "Protest turns violent downtown",
        "EXCLUSIVE - what they do not show you",
        "Live now",
        "Watch before it is deleted",
    ]
    for kind in edits.BUILDERS:
        for _ in range(2):
            ref = rng.choice(long_names if kind in ("excerpt", "compilation") else names)
            aux: dict[str, Any] = {}
            p: dict[str, Any]
            if kind == "reencode-crf40":
                p = {"crf": rng.choice([38, 40, 42])}
            elif kind == "downscale":
                p = {"factor": round(u(2.8, 4.0), 2)}
            elif kind in ("crop", "mirror-crop"):
                p = {"keep": round(u(0.8, 0.9), 3), "x": round(u(0, 1), 2), "y": round(u(0, 1), 2)}
            elif kind == "mirror":
                p = {}
            elif kind == "caption":
                p = {"bar": round(u(0.12, 0.22), 3), "text": rng.choice(texts), "sub": rng.choice(texts),
                     "color": rng.choice(["0x002080", "0x000000", "0xc06000"]),
                     "top": rng.choice([0, 0.07, 0.1])}  # fmt: skip
            elif kind == "logo":
                p = {"size": round(u(0.15, 0.3), 2), "corner": rng.choice(["tr", "tl", "br", "bl"])}
            elif kind in ("vertical-bars", "vertical-blur"):
                p = {"width": rng.choice([360, 480, 540, 720]), "y": round(u(0.35, 0.65), 2),
                     "blur": rng.choice([10, 20, 30])}  # fmt: skip
            elif kind == "pip":
                p = {"size": round(u(0.38, 0.5), 2), "x": round(u(0, 1), 2), "y": round(u(0, 1), 2)}
            elif kind in ("grey", "sepia", "contrast"):
                p = {"mode": kind, "contrast": round(u(1.3, 1.7), 2), "brightness": round(u(-0.1, 0.1), 3),
                     "sat": round(u(0.6, 1.6), 2)}  # fmt: skip
            elif kind == "speed-slow":
                p = {"speed": round(u(0.75, 0.85), 3)}
            elif kind == "speed-fast":
                p = {"speed": round(u(1.15, 1.4), 3)}
            elif kind == "fps-low":
                p = {"fps": rng.choice([10, 12, 15, 20])}
            elif kind == "fps-high":
                p = {"fps": rng.choice([50, 60])}
            elif kind == "excerpt":
                d = refs[ref].duration
                ln = u(3.0, 5.0)
                a = u(0.25 * d, d - ln - 0.5)
                p = {"start": round(a, 2), "end": round(a + ln, 2)}
            elif kind == "compilation":
                other = rng.choice([n for n in names if n != ref])
                d1, d2 = refs[ref].duration, refs[other].duration
                l1, l2 = min(u(3, 5), d1 - 0.5), min(u(2.5, 4.5), d2 - 0.3)
                a1, a2 = u(0, d1 - l1 - 0.2), u(0, d2 - l2 - 0.1)
                p = {"first": (round(a1, 2), round(a1 + l1, 2)), "second": (round(a2, 2), round(a2 + l2, 2))}
                aux = {"second": other}
            elif kind == "screen":
                c = [u(0.02, 0.12), u(0.02, 0.12), u(0.88, 0.98), u(0.02, 0.12),
                     u(0.02, 0.12), u(0.88, 0.98), u(0.88, 0.98), u(0.88, 0.98)]  # fmt: skip
                p = {"corners": [round(v, 3) for v in c], "brightness": round(u(-0.1, 0.12), 3),
                     "contrast": round(u(0.7, 0.95), 2), "noise": rng.choice([8, 14, 20])}  # fmt: skip
            elif kind == "rotation-flag":
                p = {"stored": rng.choice([90, 180, 270])}
            else:
                raise ValueError(kind)
            s.append((kind, ref, p, aux))
    return s + holdout_low_motion_specs(refs, seed)


def holdout_low_motion_specs(
    refs: dict[str, Ref], seed: int
) -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """Issue 12 on the holdout: seeded parameters, other sources (a CCTV view, a man talking in a
    car and to a webcam), the same kinds as ``dev_low_motion_specs``."""
    rng = random.Random(seed + 12)
    u = rng.uniform
    low = ["cctv", "carphone"]
    moving = sorted(n for n in refs if n in HOLDOUT_REFS and refs[n].duration >= 8.0 and not n.endswith("-b"))
    s: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = []
    add = lambda kind, ref, p, aux=None: s.append((kind, ref, p, aux or {}))  # noqa: E731

    def span(ref: str, lo: float, hi: float) -> tuple[float, float]:
        d = refs[ref].duration
        ln = min(u(lo, hi), d - 0.6)
        a = u(0.1, max(0.2, d - ln - 0.2))
        return round(a, 2), round(a + ln, 2)

    for ref in low:
        a, b = span(ref, 2.8, 8.0)
        add("excerpt", ref, {"start": a, "end": b})
        add("speed-fast", ref, {"speed": round(u(1.3, 1.6), 3)})
        add("subtitles", ref, {"band": round(u(0.22, 0.32), 3), "alpha": round(u(0.6, 0.9), 2)})
        add("pip", ref, {"size": round(u(0.38, 0.5), 2), "x": round(u(0, 1), 2), "y": round(u(0, 1), 2)})
        add("reencode-crf40", ref, {"crf": rng.choice([38, 40, 42])})
        add("mirror", ref, {})
    add("caption", "cctv", {"bar": round(u(0.12, 0.2), 3), "text": "Live now", "sub": "Watch before it is deleted",
                            "color": "0x002080", "top": 0})  # fmt: skip
    add(
        "vertical-blur", "carphone", {"width": rng.choice([480, 540]), "y": round(u(0.4, 0.6), 2), "blur": 20}
    )
    add("compilation", "webcam", {"first": (0.0, 2.3), "second": span("cctv", 3.0, 5.0)}, {"second": "cctv"})
    for ref in (rng.choice(moving), "cctv"):
        add("reverse", ref, {"speed": round(u(0.7, 1.4), 3)})
    for ref in (rng.choice(moving), "cctv"):
        a, b = span(ref, 2.6, 4.0)
        add("loop", ref, {"start": a, "end": b, "times": 3})
    for ref in (rng.choice(moving), "cctv"):
        d = refs[ref].duration
        k = 2 if d < 12 else 3
        edges = sorted(round(u(0.2, d - 0.2), 2) for _ in range(2 * k))
        cuts = [(edges[2 * i], edges[2 * i + 1]) for i in range(k)]
        cuts = [(x, y) for x, y in cuts if y - x >= 2.6] or [(0.5, min(d - 0.2, 3.8))]
        add("jumpcut", ref, {"cuts": cuts})
    for ref, layout in ((rng.choice(moving), rng.choice(["lr", "tb"])), ("cctv", rng.choice(["lr3", "tb3"])),
                        ("carphone", rng.choice(["lr", "tb"]))):  # fmt: skip
        n = 3 if layout.endswith("3") else 2
        add("split", ref, {"layout": layout, "slot": rng.randrange(n), "fit": True})
    add("split", rng.choice(moving), {"layout": "lr", "slot": rng.randrange(2), "fit": False})
    for ref in (rng.choice(moving), rng.choice(low)):
        add("rotate-pixels", ref, {"degrees": rng.choice([90, 180, 270])})
    for ref in (rng.choice(moving), "cctv"):
        add("screenrec", ref, {"scroll": rng.choice([0, 40, 90]), "x": rng.choice([20, 40, 80]),
                               "y": rng.choice([80, 110]), "player": rng.choice([(800, 450), (720, 404)])})  # fmt: skip
    for ref in (rng.choice(moving), rng.choice(low)):
        add(
            "tilt-zoom",
            ref,
            {"degrees": round(rng.choice([-1, 1]) * u(2.0, 5.0), 2), "zoom": round(u(1.1, 1.18), 3)},
        )
    for ref in ("still-b", "looped-b"):
        a, b = span(ref, 3.0, 4.5)
        add("excerpt-repeating", ref, {"start": a, "end": b})
    return s
