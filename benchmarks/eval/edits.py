"""Edit kinds: each turns one (or two) reference clips into an ffmpeg command and its ground truth.

Every builder gets the reference(s) it edits (``Ref``: path + duration + size), its parameters, and
returns ``(ffmpeg args, segments)``; times in seconds, relative to the start of each file.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .ffmpeg import ENCODE, EVEN

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


@dataclass(frozen=True)
class Ref:
    """A reference clip of the library: ``name`` is what ground truth and systems call it."""

    name: str
    path: str
    duration: float
    width: int
    height: int


@dataclass(frozen=True)
class Segment:
    """Query [query_start, query_end] shows reference ``reference`` [reference_start, reference_end]."""

    reference: str
    query_start: float
    query_end: float
    reference_start: float
    reference_end: float
    #: other reference starts that are as right (the reference repeats this picture: a loop)
    alternatives: tuple[float, ...] = ()
    #: the reference's picture does not change here: no system can place it in time
    unplaceable: bool = False


@dataclass(frozen=True)
class Case:
    """One query file with its ground truth (no segments: a negative that must match nothing)."""

    name: str
    kind: str
    path: str
    segments: tuple[Segment, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)
    note: str = ""

    @property
    def negative(self) -> bool:
        return not self.segments


def full(ref: Ref, speed: float = 1.0) -> tuple[Segment, ...]:
    return (Segment(ref.name, 0.0, ref.duration / speed, 0.0, ref.duration),)


def _text(s: str) -> str:
    return s.replace("\\", "").replace(":", " ").replace("'", "").replace(",", " ").replace("%", "")


def _vf(ref: Ref, chain: str, crf: int = 23) -> list[str]:
    enc = [*ENCODE]
    enc[enc.index("-crf") + 1] = str(crf)
    return ["-i", ref.path, "-vf", f"{chain},{EVEN}", *enc]


def _fc(inputs: list[str], graph: str, crf: int = 23, extra: tuple[str, ...] = ()) -> list[str]:
    args: list[str] = []
    for i in inputs:
        args += ["-i", i]
    enc = [*ENCODE]
    enc[enc.index("-crf") + 1] = str(crf)
    return [*args, "-filter_complex", graph, "-map", "[out]", *extra, *enc]


def reencode(ref: Ref, p: dict[str, Any], aux: dict[str, Any]) -> tuple[list[str], tuple[Segment, ...]]:
    return _vf(ref, "null", crf=int(p["crf"])), full(ref)


def downscale(ref: Ref, p: dict[str, Any], aux: dict[str, Any]) -> tuple[list[str], tuple[Segment, ...]]:
    return _vf(ref, f"scale=iw/{p['factor']}:-2"), full(ref)


def _crop(p: dict[str, Any]) -> str:
    # keep fraction `keep` of each side; (x, y) in [0, 1] place the window inside the slack
    k, x, y = p["keep"], p.get("x", 0.5), p.get("y", 0.5)
    return f"crop=iw*{k}:ih*{k}:(iw-iw*{k})*{x}:(ih-ih*{k})*{y}"


def crop(ref: Ref, p: dict[str, Any], aux: dict[str, Any]) -> tuple[list[str], tuple[Segment, ...]]:
    return _vf(ref, _crop(p)), full(ref)


def mirror(ref: Ref, p: dict[str, Any], aux: dict[str, Any]) -> tuple[list[str], tuple[Segment, ...]]:
    return _vf(ref, "hflip"), full(ref)


def mirror_crop(ref: Ref, p: dict[str, Any], aux: dict[str, Any]) -> tuple[list[str], tuple[Segment, ...]]:
    return _vf(ref, f"hflip,{_crop(p)}"), full(ref)


def caption(ref: Ref, p: dict[str, Any], aux: dict[str, Any]) -> tuple[list[str], tuple[Segment, ...]]:
    bar = p["bar"]  # bar height as a fraction of the frame height
    t1, t2 = _text(p["text"]), _text(p["sub"])
    chain = (
        f"drawbox=x=0:y=ih*(1-{bar}):w=iw:h=ih*{bar}:color={p['color']}@0.85:t=fill,"
        f"drawtext=fontfile={FONT}:text='{t1}':x=w*0.04:y=h*(1-{bar})+h*{bar}*0.15:"
        f"fontsize=h*{bar}*0.38:fontcolor=white,"
        f"drawtext=fontfile={FONT}:text='{t2}':x=w*0.04:y=h*(1-{bar})+h*{bar}*0.6:"
        f"fontsize=h*{bar}*0.25:fontcolor=yellow"
    )
    if p.get("top"):
        chain += f",drawbox=x=0:y=0:w=iw:h=ih*{p['top']}:color=black@0.7:t=fill"
    return _vf(ref, chain), full(ref)


def logo(ref: Ref, p: dict[str, Any], aux: dict[str, Any]) -> tuple[list[str], tuple[Segment, ...]]:
    lw = max(16, int(ref.width * p["size"]) // 2 * 2)
    x = "main_w-overlay_w-main_w*0.03" if p["corner"] in ("tr", "br") else "main_w*0.03"
    y = "main_h-overlay_h-main_h*0.03" if p["corner"] in ("br", "bl") else "main_h*0.03"
    graph = f"[1:v]scale={lw}:-1[lg];[0:v][lg]overlay={x}:{y},{EVEN}[out]"
    return _fc([ref.path, aux["logo"]], graph), full(ref)


def vertical_bars(ref: Ref, p: dict[str, Any], aux: dict[str, Any]) -> tuple[list[str], tuple[Segment, ...]]:
    w, h = p["width"], p["width"] * 16 // 9 // 2 * 2
    chain = (
        f"scale={w}:{h}:force_original_aspect_ratio=decrease,{EVEN},"
        f"pad={w}:{h}:(ow-iw)/2:(oh-ih)*{p.get('y', 0.5)}:color={p.get('color', 'black')}"
    )
    return _vf(ref, chain), full(ref)


def vertical_blur(ref: Ref, p: dict[str, Any], aux: dict[str, Any]) -> tuple[list[str], tuple[Segment, ...]]:
    w, h = p["width"], p["width"] * 16 // 9 // 2 * 2
    graph = (
        f"[0:v]split[a][b];[a]scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h},"
        f"boxblur={p['blur']}:2,eq=brightness=-0.08[bg];"
        f"[b]scale={w}:{h}:force_original_aspect_ratio=decrease,{EVEN}[fg];"
        f"[bg][fg]overlay=(W-w)/2:(H-h)*{p.get('y', 0.5)},{EVEN}[out]"
    )
    return _fc([ref.path], graph), full(ref)


def pip(ref: Ref, p: dict[str, Any], aux: dict[str, Any]) -> tuple[list[str], tuple[Segment, ...]]:
    bw, bh = 854, 480
    iw = int(bw * p["size"]) // 2 * 2
    x = f"{p['x']}*(W-w)"
    y = f"{p['y']}*(H-h)"
    graph = (
        f"[0:v]scale={bw}:{bh}:force_original_aspect_ratio=increase,crop={bw}:{bh},setsar=1[bg];"
        f"[1:v]scale={iw}:-2,setsar=1,pad=iw+8:ih+8:4:4:color=white[fg];"
        f"[bg][fg]overlay={x}:{y}:shortest=1,{EVEN}[out]"
    )
    enc = _fc([ref.path], graph, extra=("-t", f"{ref.duration:.3f}"))
    return ["-stream_loop", "-1", "-i", aux["background"], *enc], full(ref)


def colour(ref: Ref, p: dict[str, Any], aux: dict[str, Any]) -> tuple[list[str], tuple[Segment, ...]]:
    chains = {
        "grey": "hue=s=0",
        "sepia": "colorchannelmixer=.393:.769:.189:0:.349:.686:.168:0:.272:.534:.131",
        "contrast": "eq=contrast={c}:brightness={b}:saturation={s}",
    }
    chain = chains[p["mode"]].format(
        c=p.get("contrast", 1.5), b=p.get("brightness", 0.05), s=p.get("sat", 1.4)
    )
    return _vf(ref, chain), full(ref)


def speed(ref: Ref, p: dict[str, Any], aux: dict[str, Any]) -> tuple[list[str], tuple[Segment, ...]]:
    s = p["speed"]
    return [*_vf(ref, f"setpts=PTS/{s}"), "-r", "30"], full(ref, s)


def framerate(ref: Ref, p: dict[str, Any], aux: dict[str, Any]) -> tuple[list[str], tuple[Segment, ...]]:
    return _vf(ref, f"fps={p['fps']}"), full(ref)


def excerpt(ref: Ref, p: dict[str, Any], aux: dict[str, Any]) -> tuple[list[str], tuple[Segment, ...]]:
    a, b = p["start"], p["end"]
    vf = _vf(ref, "null")
    # -ss after -i: output seeking decodes from the start (input seeking yields garbage frames on
    # files whose only keyframe is the first, e.g. imageio-cockatoo.mp4)
    args = [*vf[:2], "-ss", f"{a:.3f}", "-t", f"{b - a:.3f}", *vf[2:]]
    return args, (Segment(ref.name, 0.0, b - a, a, b),)


def compilation(ref: Ref, p: dict[str, Any], aux: dict[str, Any]) -> tuple[list[str], tuple[Segment, ...]]:
    other: Ref = aux["second"]
    (a1, b1), (a2, b2) = p["first"], p["second"]
    w, h = 640, 360
    norm = (
        f"scale={w}:{h}:force_original_aspect_ratio=decrease,pad={w}:{h}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=30"
    )
    graph = (
        f"[0:v]trim={a1}:{b1},setpts=PTS-STARTPTS,{norm}[v0];"
        f"[1:v]trim={a2}:{b2},setpts=PTS-STARTPTS,{norm}[v1];"
        f"[v0][v1]concat=n=2:v=1:a=0[out]"
    )
    d1 = b1 - a1
    segs = (
        Segment(ref.name, 0.0, d1, a1, b1),
        Segment(other.name, d1, d1 + (b2 - a2), a2, b2),
    )
    return _fc([ref.path, other.path], graph), segs


def screen(ref: Ref, p: dict[str, Any], aux: dict[str, Any]) -> tuple[list[str], tuple[Segment, ...]]:
    """A clip filmed off a monitor: bezel, perspective, moire, noise, brightness, slight blur."""
    q = p["corners"]  # 8 fractions: x0 y0 x1 y1 x2 y2 x3 y3 (destination of the 4 corners)
    pts = ":".join(f"{'W' if i % 2 == 0 else 'H'}*{v}" for i, v in enumerate(q))
    graph = (
        f"[1:v][0:v]scale2ref=w=iw:h=ih[moire][src];"
        f"[src]eq=brightness={p['brightness']}:contrast={p['contrast']}:saturation=0.85[s];"
        f"[s][moire]overlay=0:0[m];"
        f"[m]pad=iw*1.12:ih*1.12:(ow-iw)/2:(oh-ih)/2:color=0x1a1a1a,"
        f"pad=iw*1.1:ih*1.1:(ow-iw)/2:(oh-ih)/2:color=0x6b6355,"
        f"perspective={pts}:sense=destination,"
        f"noise=alls={p['noise']}:allf=t,gblur=sigma=0.7,{EVEN}[out]"
    )
    return _fc([ref.path, aux["moire"]], graph), full(ref)


def rotation_flag(ref: Ref, p: dict[str, Any], aux: dict[str, Any]) -> tuple[list[str], tuple[Segment, ...]]:
    """Pixels stored rotated, with a display matrix that turns them upright again (phone style)."""
    turn = {90: "transpose=1", 270: "transpose=2", 180: "hflip,vflip"}[p["stored"]]
    return _vf(ref, turn), full(ref)


def rotation_remux(encoded: str, stored: int) -> list[str]:
    """Second step of ``rotation_flag``: stream copy adding the display matrix (ffmpeg 5.1 ``rotate`` tag:
    the stored picture is turned ``stored`` degrees clockwise, the player turns it back)."""
    return ["-i", encoded, "-c", "copy", "-metadata:s:v:0", f"rotate={stored}"]


def excerpt_repeating(
    ref: Ref, p: dict[str, Any], aux: dict[str, Any]
) -> tuple[list[str], tuple[Segment, ...]]:
    """A plain excerpt of a reference whose picture repeats: a still held (no moment can be told:
    ``unplaceable``) or a loop of period ``period`` (every repeat is as right: ``alternatives``)."""
    args, (seg,) = excerpt(ref, p, aux)
    if p["repeat"] == "still":
        return args, (replace(seg, unplaceable=True),)
    period, ln = p["period"], seg.reference_end - seg.reference_start
    alts = [seg.reference_start + k * period for k in range(-3, 4) if k]
    alts = [round(a, 3) for a in alts if -0.05 <= a <= ref.duration - ln + 0.05]
    return args, (replace(seg, alternatives=tuple(alts)),)


def reverse(ref: Ref, p: dict[str, Any], aux: dict[str, Any]) -> tuple[list[str], tuple[Segment, ...]]:
    """Played backwards (at ``speed``): reference time runs down as query time runs up."""
    s = p.get("speed", 1.0)
    d = ref.duration
    return [*_vf(ref, f"reverse,setpts=PTS/{s}"), "-r", "30"], (Segment(ref.name, 0.0, d / s, d, 0.0),)


def _cuts(ref: Ref, cuts: list[tuple[float, float]]) -> tuple[list[str], tuple[Segment, ...]]:
    parts = "".join(
        f"[0:v]trim={a}:{b},setpts=PTS-STARTPTS,fps=30,setsar=1[p{i}];" for i, (a, b) in enumerate(cuts)
    )
    graph = parts + "".join(f"[p{i}]" for i in range(len(cuts))) + f"concat=n={len(cuts)}:v=1:a=0,{EVEN}[out]"
    segs, t = [], 0.0
    for a, b in cuts:
        segs.append(Segment(ref.name, t, t + (b - a), a, b))
        t += b - a
    return _fc([ref.path], graph), tuple(segs)


def loop(ref: Ref, p: dict[str, Any], aux: dict[str, Any]) -> tuple[list[str], tuple[Segment, ...]]:
    """One excerpt repeated ``times`` times (each repeat is its own expected segment)."""
    return _cuts(ref, [(p["start"], p["end"])] * int(p.get("times", 3)))


def jumpcut(ref: Ref, p: dict[str, Any], aux: dict[str, Any]) -> tuple[list[str], tuple[Segment, ...]]:
    """Excerpts of one reference cut together in order, the parts between them left out."""
    return _cuts(ref, [tuple(c) for c in p["cuts"]])


def split(ref: Ref, p: dict[str, Any], aux: dict[str, Any]) -> tuple[list[str], tuple[Segment, ...]]:
    """Split screen: the reference in one panel (halves or thirds, side by side or stacked), other
    footage (a "reaction") in the others. ``fit``: whole picture, bars inside the panel; else cropped
    to fill the panel."""
    layout, slot, n = p["layout"], int(p["slot"]), 3 if p["layout"].endswith("3") else 2
    side_by_side = layout.startswith("lr")
    cw, ch = (1280, 720) if side_by_side else (720, 1280)
    pw, ph = (cw // n // 2 * 2, ch) if side_by_side else (cw, ch // n // 2 * 2)
    how = "decrease" if p.get("fit", True) else "increase"
    panel = f"scale={pw}:{ph}:force_original_aspect_ratio={how},crop='min(iw,{pw})':'min(ih,{ph})',pad={pw}:{ph}:(ow-iw)/2:(oh-ih)/2,setsar=1"
    # input 0 is the other footage (looped), input 1 the reference
    graph = f"[1:v]{panel}[ref];[0:v]scale={pw}:{ph}:force_original_aspect_ratio=increase,crop={pw}:{ph},setsar=1[oth];"
    graph += f"color=c=0x101010:s={cw}x{ch}:r=30[bg];"
    other_slots = [i for i in range(n) if i != slot]
    graph += "[oth]split=" + str(len(other_slots)) + "".join(f"[o{i}]" for i in other_slots) + ";"
    last = "bg"
    for i in range(n):
        x, y = (i * pw, 0) if side_by_side else (0, i * ph)
        src = "ref" if i == slot else f"o{i}"
        graph += f"[{last}][{src}]overlay={x}:{y}:shortest=1[l{i}];"
        last = f"l{i}"
    graph += f"[{last}]{EVEN}[out]"
    enc = _fc([ref.path], graph, extra=("-t", f"{ref.duration:.3f}"))
    return ["-stream_loop", "-1", "-i", aux["other"], *enc], full(ref)


def rotate_pixels(ref: Ref, p: dict[str, Any], aux: dict[str, Any]) -> tuple[list[str], tuple[Segment, ...]]:
    """Pixels turned 90/180/270 degrees with no metadata saying so."""
    turn = {90: "transpose=1", 270: "transpose=2", 180: "hflip,vflip"}[p["degrees"]]
    return _vf(ref, turn), full(ref)


def screenrec(ref: Ref, p: dict[str, Any], aux: dict[str, Any]) -> tuple[list[str], tuple[Segment, ...]]:
    """A screen recording of a browser playing the reference: light page, title bar, a sidebar of
    text, the player rectangle (picture fitted, black around) that scrolls up by ``scroll`` px."""
    W, H = 1280, 720
    pw, ph = p.get("player", (800, 450))
    x0, y0, scroll = p.get("x", 40), p.get("y", 110), p.get("scroll", 0)
    dur = ref.duration
    t1, t2 = _text(p.get("title", "Watch - video of the day")), _text(p.get("side", "Up next - 1.2M views"))
    ypos = f"{y0}-{scroll}*t/{dur:.3f}"
    graph = (
        f"color=c=0xf1f1f1:s={W}x{H}:r=30,"
        f"drawbox=x=0:y=0:w={W}:h=56:color=0x202020:t=fill,"
        f"drawtext=fontfile={FONT}:text='{t1}':x=24:y=16:fontsize=24:fontcolor=white,"
        f"drawbox=x={x0 + pw + 30}:y=90:w={W - x0 - pw - 60}:h=90:color=0xd0d0d0:t=fill,"
        f"drawbox=x={x0 + pw + 30}:y=200:w={W - x0 - pw - 60}:h=90:color=0xd0d0d0:t=fill,"
        f"drawbox=x={x0 + pw + 30}:y=310:w={W - x0 - pw - 60}:h=90:color=0xd0d0d0:t=fill,"
        f"drawtext=fontfile={FONT}:text='{t2}':x={x0 + pw + 34}:y=420:fontsize=18:fontcolor=0x303030[page];"
        f"[0:v]scale={pw}:{ph}:force_original_aspect_ratio=decrease:force_divisible_by=2,"
        f"pad={pw}:{ph}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1[pl];"
        f"[page][pl]overlay=x={x0}:y='{ypos}':shortest=1,"
        f"drawbox=x=0:y=0:w={W}:h=56:color=0x202020:t=fill,{EVEN}[out]"
    )
    return _fc([ref.path], graph, extra=("-t", f"{dur:.3f}")), full(ref)


def subtitles(ref: Ref, p: dict[str, Any], aux: dict[str, Any]) -> tuple[list[str], tuple[Segment, ...]]:
    """A large subtitle band (``band`` of the height) whose two lines change every 2 s."""
    band = p["band"]
    lines = ["and that is exactly what we saw", "nobody expected it to happen here", "they told us to leave at once",
             "we are still waiting for answers"]  # fmt: skip
    chain = f"drawbox=x=0:y=ih*(1-{band}):w=iw:h=ih*{band}:color=black@{p.get('alpha', 0.75)}:t=fill"
    for k in range(int(ref.duration // 2) + 1):
        text = _text(lines[k % len(lines)])
        chain += (f",drawtext=fontfile={FONT}:text='{text}':x=(w-text_w)/2:y=h*(1-{band})+h*{band}*0.3:"
                  f"fontsize=h*{band}*0.3:fontcolor=white:enable='between(t,{2 * k},{2 * k + 2})'")  # fmt: skip
    return _vf(ref, chain), full(ref)


def tilt_zoom(ref: Ref, p: dict[str, Any], aux: dict[str, Any]) -> tuple[list[str], tuple[Segment, ...]]:
    """A small tilt (``degrees``) with a zoom (``zoom``) so that no corner shows."""
    a, z = p["degrees"], p["zoom"]
    chain = f"rotate={a}*PI/180,scale=iw*{z}:ih*{z},crop=iw/{z}:ih/{z}"
    return _vf(ref, chain), full(ref)


BUILDERS = {
    "reencode-crf40": reencode,
    "downscale": downscale,
    "crop": crop,
    "mirror": mirror,
    "mirror-crop": mirror_crop,
    "caption": caption,
    "logo": logo,
    "vertical-bars": vertical_bars,
    "vertical-blur": vertical_blur,
    "pip": pip,
    "grey": colour,
    "sepia": colour,
    "contrast": colour,
    "speed-slow": speed,
    "speed-fast": speed,
    "fps-low": framerate,
    "fps-high": framerate,
    "excerpt": excerpt,
    "compilation": compilation,
    "screen": screen,
    "rotation-flag": rotation_flag,
}
#: the kinds added for low motion, time edits and layouts (issue 12); kept apart so that the seeded
#: holdout parameters of the kinds above stay what they were
NEW_BUILDERS = {
    "excerpt-repeating": excerpt_repeating,
    "reverse": reverse,
    "loop": loop,
    "jumpcut": jumpcut,
    "split": split,
    "rotate-pixels": rotate_pixels,
    "screenrec": screenrec,
    "subtitles": subtitles,
    "tilt-zoom": tilt_zoom,
}
ALL_BUILDERS = {**BUILDERS, **NEW_BUILDERS}


def build(
    kind: str, ref: Ref, params: dict[str, Any], aux: dict[str, Any]
) -> tuple[list[str], tuple[Segment, ...]]:
    return ALL_BUILDERS[kind](ref, params, aux)


def assets(folder: Path) -> dict[str, str]:
    """A logo (RGBA PNG) and a moire pattern (RGBA PNG) the overlays use."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    folder.mkdir(parents=True, exist_ok=True)
    logo_p, moire_p = folder / "logo.png", folder / "moire.png"
    if not logo_p.exists():
        im = Image.new("RGBA", (400, 160), (0, 0, 0, 0))
        d = ImageDraw.Draw(im)
        d.rounded_rectangle((0, 0, 399, 159), radius=30, fill=(200, 20, 30, 220))
        d.ellipse((20, 20, 140, 140), fill=(255, 255, 255, 235))
        font = ImageFont.truetype(FONT, 80)
        d.text((160, 30), "TV24", font=font, fill=(255, 255, 255, 240))
        im.save(logo_p)
    if not moire_p.exists():
        h, w = 720, 1280
        y, x = np.mgrid[0:h, 0:w].astype(np.float32)
        v = np.sin(x * 0.55 + y * 0.07) * np.sin(x * 0.05 - y * 0.6)
        a = (np.clip(v, -1, 1) * 0.5 + 0.5) * 38
        rgba = np.zeros((h, w, 4), np.uint8)
        rgba[..., :3] = (128 + v * 60).clip(0, 255).astype(np.uint8)[..., None]
        rgba[..., 3] = a.astype(np.uint8)
        Image.fromarray(rgba, "RGBA").save(moire_p)
    return {"logo": str(logo_p), "moire": str(moire_p)}
